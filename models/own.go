package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Own-table rows (docs/architecture.md; created by package migrations). The
// time columns are Unix seconds written by the caller's clock, so GORM's
// automatic CreatedAt/UpdatedAt handling is switched off.

// Identity is qqconnect's extra data about a bound QQ account.
type Identity struct {
	ID             int64   `gorm:"column:id;primaryKey;autoIncrement"`
	UID            int64   `gorm:"column:uid"`
	AppID          string  `gorm:"column:appid"`
	OpenID         string  `gorm:"column:openid"` // upper-case, as Discuz stores it
	UnionID        *string `gorm:"column:unionid"`
	Nickname       string  `gorm:"column:nickname"`
	AvatarURL      string  `gorm:"column:avatar_url"`
	TokenExpiresAt int64   `gorm:"column:token_expires_at"`
	CreatedAt      int64   `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt      int64   `gorm:"column:updated_at;autoUpdateTime:false"`
}

// OAuthState is the server-side mark of an OAuth state that completed a
// login, keyed by sha256(state): the state itself travels in the visitor's
// encrypted session cookie (plugin.LoginState), so an anonymous
// GET /connect/qq/login writes no row. Older releases kept every
// outstanding state here; their other columns (browser_hash, intent, uid,
// referer, request_secret) stay in the table and keep their defaults.
type OAuthState struct {
	StateHash string `gorm:"column:state_hash;primaryKey"`
	CreatedAt int64  `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt int64  `gorm:"column:expires_at"`
	Protocol  string `gorm:"column:protocol"` // "used"
}

// Pending is a QQ identity waiting for the user to bind or register.
type Pending struct {
	TokenHash   string  `gorm:"column:token_hash;primaryKey"`
	BrowserHash string  `gorm:"column:browser_hash"`
	AppID       string  `gorm:"column:appid"`
	OpenID      string  `gorm:"column:openid"`
	UnionID     *string `gorm:"column:unionid"`
	Nickname    string  `gorm:"column:nickname"`
	AvatarURL   string  `gorm:"column:avatar_url"`
	Referer     string  `gorm:"column:referer"`
	CreatedAt   int64   `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt   int64   `gorm:"column:expires_at"`
}

// LoginAttempt is one password attempt, for rate limiting.
type LoginAttempt struct {
	ID        int64  `gorm:"column:id;primaryKey;autoIncrement"`
	Kind      string `gorm:"column:kind"` // "bind" or "admin"
	IP        string `gorm:"column:ip"`
	Account   string `gorm:"column:account"` // "u:<uid>" or "n:<hash of the typed name>" (AccountKey)
	Success   bool   `gorm:"column:success"`
	CreatedAt int64  `gorm:"column:created_at;autoCreateTime:false"`
}

// Meta is a key/value row (e.g. the standalone mode's generated authkey).
type Meta struct {
	K string `gorm:"column:k;primaryKey"`
	V string `gorm:"column:v"`
}

// AttemptRetention is how long PurgeExpired keeps login attempts: far longer
// than any rate-limit window, short enough to keep the table small.
const AttemptRetention = 7 * 24 * time.Hour

func (s *Store) own(ctx context.Context, name string) *gorm.DB {
	return s.DB.WithContext(ctx).Table(s.T.Own(name))
}

// ownTx is own() on the caller's transaction when there is one.
func (s *Store) ownTx(ctx context.Context, tx *gorm.DB, name string) *gorm.DB {
	if tx == nil {
		return s.own(ctx, name)
	}
	return tx.WithContext(ctx).Table(s.T.Own(name))
}

// SavePending stores a QQ identity awaiting bind/register (openid upper-cased).
func (s *Store) SavePending(ctx context.Context, p Pending) error {
	p.OpenID = strings.ToUpper(p.OpenID)
	t := s.T.Own("pending")
	p.Nickname, p.AvatarURL, p.Referer = s.Fit(t, "nickname", p.Nickname), s.Fit(t, "avatar_url", p.AvatarURL), s.Fit(t, "referer", p.Referer)
	if err := s.own(ctx, "pending").Create(&p).Error; err != nil {
		return fmt.Errorf("save pending: %w", err)
	}
	return nil
}

// ReplacePending stores p in place of every other pending record of its
// QQ identity, in one transaction: a pending record recovered from the
// QQ游客 cookie (which any number of requests may present) costs one row
// per identity, not one per request.
func (s *Store) ReplacePending(ctx context.Context, p Pending) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := s.ownTx(ctx, tx, "pending").Where("appid = ? AND openid = ?", p.AppID, strings.ToUpper(p.OpenID)).Delete(&Pending{}).Error
		if err != nil {
			return fmt.Errorf("replace pending: %w", err)
		}
		p.OpenID = strings.ToUpper(p.OpenID)
		t := s.T.Own("pending")
		p.Nickname, p.AvatarURL, p.Referer = s.Fit(t, "nickname", p.Nickname), s.Fit(t, "avatar_url", p.AvatarURL), s.Fit(t, "referer", p.Referer)
		if err := s.ownTx(ctx, tx, "pending").Create(&p).Error; err != nil {
			return fmt.Errorf("replace pending: %w", err)
		}
		return nil
	})
}

// PendingByToken returns the pending identity; unknown or expired gives ErrNotFound.
func (s *Store) PendingByToken(ctx context.Context, tokenHash string, now time.Time) (*Pending, error) {
	var p Pending
	q := s.own(ctx, "pending").Where("token_hash = ? AND expires_at > ?", tokenHash, now.Unix())
	if err := first(q, &p, "pending"); err != nil {
		return nil, err
	}
	return &p, nil
}

// UpsertIdentity inserts or updates the identity keyed by (appid, openid),
// keeping created_at of an existing row. Pass the caller's transaction as tx
// (nil = own statement) so it commits or rolls back with the Discuz writes.
func (s *Store) UpsertIdentity(ctx context.Context, tx *gorm.DB, id Identity) error {
	id.ID = 0
	id.OpenID = strings.ToUpper(id.OpenID)
	t := s.T.Own("identity")
	id.Nickname, id.AvatarURL = s.Fit(t, "nickname", id.Nickname), s.Fit(t, "avatar_url", id.AvatarURL)
	err := s.ownTx(ctx, tx, "identity").Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "appid"}, {Name: "openid"}},
		DoUpdates: clause.AssignmentColumns([]string{"uid", "unionid", "nickname", "avatar_url", "token_expires_at", "updated_at"}),
	}).Create(&id).Error
	if err != nil {
		return fmt.Errorf("upsert identity uid %d: %w", id.UID, err)
	}
	return nil
}

// IdentityByUID returns the member's most recently updated identity, or ErrNotFound.
func (s *Store) IdentityByUID(ctx context.Context, uid int64) (*Identity, error) {
	var id Identity
	q := s.own(ctx, "identity").Where("uid = ?", uid).Order("updated_at DESC, id DESC")
	if err := first(q, &id, fmt.Sprintf("identity uid %d", uid)); err != nil {
		return nil, err
	}
	return &id, nil
}

// DeleteIdentity removes the identity (no error if absent); tx as in UpsertIdentity.
func (s *Store) DeleteIdentity(ctx context.Context, tx *gorm.DB, appid, openid string) error {
	err := s.ownTx(ctx, tx, "identity").
		Where("appid = ? AND openid = ?", appid, strings.ToUpper(openid)).
		Delete(&Identity{}).Error
	if err != nil {
		return fmt.Errorf("delete identity: %w", err)
	}
	return nil
}

// GetMeta returns the value of a key, or ErrNotFound.
func (s *Store) GetMeta(ctx context.Context, k string) (string, error) {
	var m Meta
	if err := first(s.own(ctx, "meta").Where("k = ?", k), &m, "meta "+k); err != nil {
		return "", err
	}
	return m.V, nil
}

// SetMeta inserts or replaces a key.
func (s *Store) SetMeta(ctx context.Context, k, v string) error {
	err := s.own(ctx, "meta").Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "k"}},
		DoUpdates: clause.AssignmentColumns([]string{"v"}),
	}).Create(&Meta{K: k, V: v}).Error
	if err != nil {
		return fmt.Errorf("set meta %s: %w", k, err)
	}
	return nil
}

// PurgeExpired deletes expired states and pending identities, and login
// attempts older than AttemptRetention; it returns how many rows went.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	steps := []struct {
		table string
		where string
		arg   int64
		model any
	}{
		{"oauth_state", "expires_at <= ?", now.Unix(), &OAuthState{}},
		{"claim", "expires_at <= ?", now.Unix(), &claimRow{}},
		{"pending", "expires_at <= ?", now.Unix(), &Pending{}},
		{"login_attempt", "created_at < ?", now.Add(-AttemptRetention).Unix(), &LoginAttempt{}},
	}
	for _, st := range steps {
		res := s.own(ctx, st.table).Where(st.where, st.arg).Delete(st.model)
		if res.Error != nil {
			return total, fmt.Errorf("purge %s: %w", st.table, res.Error)
		}
		total += res.RowsAffected
	}
	return total, nil
}
