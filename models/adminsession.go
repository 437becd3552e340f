package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// AdminSession is a server-side admin session, keyed by the SHA-256 of the
// random cookie value so a database leak yields no usable session.
type AdminSession struct {
	IDHash    string `gorm:"column:id_hash;primaryKey"`
	UID       int64  `gorm:"column:uid"`
	Username  string `gorm:"column:username"`
	CSRF      string `gorm:"column:csrf"`
	IP        string `gorm:"column:ip"`
	CreatedAt int64  `gorm:"column:created_at;autoCreateTime:false"`
	LastSeen  int64  `gorm:"column:last_seen"`
	ReauthAt  int64  `gorm:"column:reauth_at"` // last password entry
	FP        string `gorm:"column:fp"`        // AdminFingerprint at sign-in
}

// AdminFingerprint digests what must not change under a live admin session:
// the UCenter password hash and salt, Discuz's session secret
// (common_member.password, renewed by Discuz on a password change) and
// adminid. A change of any ends every session of that administrator.
// m is the member's row as the caller just read it; only UCenter is read here.
func (s *Store) AdminFingerprint(ctx context.Context, m *Member) (string, error) {
	uc, err := s.UCMemberByUID(ctx, m.UID)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s\x00%d", m.UID, uc.Password, uc.Salt, m.Password, m.AdminID)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CreateAdminSession stores a new session.
func (s *Store) CreateAdminSession(ctx context.Context, a AdminSession) error {
	if err := s.own(ctx, "admin_session").Create(&a).Error; err != nil {
		return fmt.Errorf("create admin session: %w", err)
	}
	return nil
}

// AdminSessionByHash returns a session idle for less than idle, or
// ErrNotFound (an idle one is deleted).
func (s *Store) AdminSessionByHash(ctx context.Context, idHash string, now time.Time, idle time.Duration) (*AdminSession, error) {
	var a AdminSession
	if err := first(s.own(ctx, "admin_session").Where("id_hash = ?", idHash), &a, "admin session"); err != nil {
		return nil, err
	}
	if now.Unix()-a.LastSeen > int64(idle/time.Second) {
		_ = s.DeleteAdminSession(ctx, idHash)
		return nil, fmt.Errorf("admin session idle: %w", ErrNotFound)
	}
	return &a, nil
}

// TouchAdminSession records activity (and a fresh password entry when reauth).
func (s *Store) TouchAdminSession(ctx context.Context, idHash string, now time.Time, reauth bool) error {
	upd := map[string]any{"last_seen": now.Unix()}
	if reauth {
		upd["reauth_at"] = now.Unix()
	}
	if err := s.own(ctx, "admin_session").Where("id_hash = ?", idHash).Updates(upd).Error; err != nil {
		return fmt.Errorf("touch admin session: %w", err)
	}
	return nil
}

// DeleteAdminSession ends a session (logout).
func (s *Store) DeleteAdminSession(ctx context.Context, idHash string) error {
	if err := s.own(ctx, "admin_session").Where("id_hash = ?", idHash).Delete(&AdminSession{}).Error; err != nil {
		return fmt.Errorf("delete admin session: %w", err)
	}
	return nil
}

// PurgeAdminSessions removes sessions idle longer than idle.
func (s *Store) PurgeAdminSessions(ctx context.Context, now time.Time, idle time.Duration) error {
	err := s.own(ctx, "admin_session").Where("last_seen < ?", now.Add(-idle).Unix()).Delete(&AdminSession{}).Error
	if err != nil {
		return fmt.Errorf("purge admin sessions: %w", err)
	}
	return nil
}
