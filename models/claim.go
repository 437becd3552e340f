package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm/clause"
)

// ErrBusy is returned by Claim when another request holds one of the keys.
var ErrBusy = errors.New("another request is working on this")

// ClaimTTL bounds a claim left behind by a crashed process; a bind or
// register takes well under a second.
const ClaimTTL = time.Minute

// Claim takes named locks (rows with unique keys in qqconnect_claim) for a
// write that must not run twice at once for one openid, account or
// username, across threads and instances, on InnoDB and MyISAM alike. It
// returns the release function, or ErrBusy. Expired claims are taken over.
func (s *Store) Claim(ctx context.Context, now time.Time, keys ...string) (release func(), err error) {
	var held []string
	release = func() {
		if len(held) == 0 {
			return
		}
		// The lock must go even when the request was cancelled.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.own(rctx, "claim").Where("k IN ?", held).Delete(&claimRow{}).Error
	}
	for _, k := range keys {
		if len(k) > 191 {
			k = k[:191]
		}
		took, err := s.takeClaim(ctx, k, now)
		if err == nil && !took {
			// A crashed holder's claim: take it over once.
			res := s.own(ctx, "claim").Where("k = ? AND expires_at <= ?", k, now.Unix()).Delete(&claimRow{})
			if res.Error == nil && res.RowsAffected == 1 {
				took, err = s.takeClaim(ctx, k, now)
			}
		}
		if err != nil || !took {
			release()
			if err == nil || lostRace(err) {
				return func() {}, ErrBusy
			}
			return func() {}, fmt.Errorf("claim %s: %w", strings.SplitN(k, ":", 2)[0], err)
		}
		held = append(held, k)
	}
	return release, nil
}

// takeClaim inserts the claim row; false when it exists (no error: a held
// claim is the expected answer, not a failure to log).
func (s *Store) takeClaim(ctx context.Context, k string, now time.Time) (bool, error) {
	res := s.own(ctx, "claim").Clauses(clause.OnConflict{DoNothing: true}).
		Create(&claimRow{K: k, ExpiresAt: now.Add(ClaimTTL).Unix()})
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// lostRace reports the errors InnoDB gives the losers of parallel inserts
// of one key around a delete (deadlock 1213, lock wait timeout 1205): the
// statement was rolled back and holds nothing, so the claim is just busy.
func lostRace(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205 || me.Number == 1062
	}
	return isDuplicate(err)
}

type claimRow struct {
	K         string `gorm:"column:k;primaryKey"`
	ExpiresAt int64  `gorm:"column:expires_at"`
}

// isDuplicate reports a unique-key violation (MySQL 1062, sqlite's UNIQUE
// constraint).
func isDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "constraint failed: UNIQUE")
}

// IsDuplicate is isDuplicate for callers outside the package (a UCenter
// username taken by a parallel registration).
func IsDuplicate(err error) bool { return err != nil && isDuplicate(err) }

// TakePending removes the pending identity and reports whether this caller
// removed it: of several parallel binds or registers of one pending QQ
// identity, exactly one goes on.
func (s *Store) TakePending(ctx context.Context, tokenHash string) (bool, error) {
	res := s.own(ctx, "pending").Where("token_hash = ?", tokenHash).Delete(&Pending{})
	if res.Error != nil {
		return false, fmt.Errorf("take pending: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// RestorePending puts back a pending identity taken by a bind or register
// that was then refused, so the QQ user can try another account.
func (s *Store) RestorePending(ctx context.Context, p Pending) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return s.SavePending(rctx, p)
}

// MarkStateUsed records that an OAuth state (its hash) has completed a login,
// so it can never complete another. States themselves live in the visitor's
// encrypted session cookie and cost no row until then. ErrNotFound when the
// state was used already.
func (s *Store) MarkStateUsed(ctx context.Context, stateHash string, now time.Time, expiresAt int64) error {
	err := s.hotExec(ctx, "INSERT INTO "+s.T.Own("oauth_state")+" (state_hash, created_at, expires_at, protocol) VALUES (?, ?, ?, ?)",
		stateHash, now.Unix(), expiresAt, "used")
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("oauth state already used: %w", ErrNotFound)
		}
		return fmt.Errorf("mark oauth state used: %w", err)
	}
	return nil
}
