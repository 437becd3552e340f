package models

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrThrottled is returned by ReserveAttempt when the IP or the account has
// used up its budget of failures in the window.
var ErrThrottled = errors.New("too many failed attempts")

// AttemptBudget is one limiter's rule: at most PerIP failures per IP key and
// PerAccount per account key within Window.
type AttemptBudget struct {
	PerIP, PerAccount int64
	Window            time.Duration
}

// ReserveAttempt books one password attempt BEFORE the password is checked,
// and counts it as a failure until MarkAttemptOK says otherwise. Insert
// first, count second: the k-th attempt to commit its row sees at least k
// rows, so however many run in parallel (threads or instances), at most the
// budget's number pass. A refused attempt takes its row back, so a burst
// against a locked account does not stretch the lock. An attempt that cannot
// be recorded is refused (the error), never let through unrecorded.
func (s *Store) ReserveAttempt(ctx context.Context, kind, ipKey, accountKey string, now time.Time, b AttemptBudget) (int64, error) {
	a := LoginAttempt{Kind: kind, IP: ipKey, Account: accountKey, CreatedAt: now.Unix()}
	if err := s.own(ctx, "login_attempt").Create(&a).Error; err != nil {
		return 0, fmt.Errorf("record login attempt: %w", err)
	}
	since := now.Add(-b.Window).Unix()
	count := func(col, v string) (int64, error) {
		var n int64
		err := s.own(ctx, "login_attempt").
			Where("kind = ? AND "+col+" = ? AND success = ? AND created_at >= ?", kind, v, false, since).
			Count(&n).Error
		return n, err
	}
	byIP, err := count("ip", ipKey)
	var byAccount int64
	if err == nil {
		byAccount, err = count("account", accountKey)
	}
	if err != nil || byIP > b.PerIP || byAccount > b.PerAccount {
		// Background context: the row must go even when the request was cancelled.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.own(dctx, "login_attempt").Where("id = ?", a.ID).Delete(&LoginAttempt{}).Error
		if err != nil {
			return 0, fmt.Errorf("count login attempts: %w", err)
		}
		return 0, ErrThrottled
	}
	return a.ID, nil
}

// MarkAttemptOK turns a reserved attempt into a success, which no budget counts.
func (s *Store) MarkAttemptOK(ctx context.Context, id int64) error {
	if err := s.own(ctx, "login_attempt").Where("id = ?", id).Update("success", true).Error; err != nil {
		return fmt.Errorf("mark login attempt %d ok: %w", id, err)
	}
	return nil
}
