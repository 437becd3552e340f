package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// ErrNotFound is returned (possibly wrapped; test with errors.Is) by every
// single-row lookup in this package when there is no such row, and by
// ConsumeState/PendingByToken for expired rows. Existence checks return a bool
// instead, and list queries an empty slice.
var ErrNotFound = errors.New("not found")

// The structs below are read-side views of Discuz rows. They have no
// TableName: always use them with db.Table(s.T.Discuz(...)) so the prefix is
// honoured. Only columns common to X3.4 and X3.5 are mapped.

// Member is a pre_common_member row.
type Member struct {
	UID          int64  `gorm:"column:uid;primaryKey"`
	Email        string `gorm:"column:email"`
	Username     string `gorm:"column:username"`
	Password     string `gorm:"column:password"` // session secret md5(random), not a credential (discuz.md §7.1)
	Status       int    `gorm:"column:status"`
	EmailStatus  int    `gorm:"column:emailstatus"`
	AvatarStatus int    `gorm:"column:avatarstatus"`
	AdminID      int    `gorm:"column:adminid"`
	GroupID      int    `gorm:"column:groupid"`
	RegDate      int64  `gorm:"column:regdate"`
	Credits      int64  `gorm:"column:credits"`
	ConIsBind    int    `gorm:"column:conisbind"`
}

// MemberConnect is a pre_common_member_connect row (the QQ binding).
type MemberConnect struct {
	UID              int64  `gorm:"column:uid;primaryKey"`
	ConUin           string `gorm:"column:conuin"`
	ConUinSecret     string `gorm:"column:conuinsecret"`
	ConOpenID        string `gorm:"column:conopenid"`
	ConIsFeed        int    `gorm:"column:conisfeed"`
	ConIsPublishFeed int    `gorm:"column:conispublishfeed"`
	ConIsPublishT    int    `gorm:"column:conispublisht"`
	ConIsRegister    int    `gorm:"column:conisregister"`
	ConIsQzoneAvatar int    `gorm:"column:conisqzoneavatar"`
	ConIsQQShow      int    `gorm:"column:conisqqshow"`
	ConUinToken      string `gorm:"column:conuintoken"`
}

// ConnectGuest is a pre_common_connect_guest row (QQ user not yet bound).
type ConnectGuest struct {
	ConOpenID    string `gorm:"column:conopenid;primaryKey"`
	ConUin       string `gorm:"column:conuin"`
	ConUinSecret string `gorm:"column:conuinsecret"`
	ConQQNick    string `gorm:"column:conqqnick"`
	ConUinToken  string `gorm:"column:conuintoken"`
}

// BindLog is a pre_connect_memberbindlog row; Type 1 = bind, 2 = unbind.
type BindLog struct {
	MblID    int64  `gorm:"column:mblid;primaryKey"`
	UID      int64  `gorm:"column:uid"`
	Uin      string `gorm:"column:uin"`
	Type     int    `gorm:"column:type"`
	Dateline int64  `gorm:"column:dateline"`
}

// UCMember is a pre_ucenter_members row. Password is bcrypt with Salt ”
// (X3.5) or md5(md5(pw).salt) with a 6-char Salt (X3.4).
type UCMember struct {
	UID      int64  `gorm:"column:uid;primaryKey"`
	Username string `gorm:"column:username"`
	Password string `gorm:"column:password"`
	Email    string `gorm:"column:email"`
	Salt     string `gorm:"column:salt"`
	Secques  string `gorm:"column:secques"` // quescrypt of the 安全提问, "" when none (discuz.QuesCrypt)
	RegIP    string `gorm:"column:regip"`
	RegDate  int64  `gorm:"column:regdate"`
}

// Plugin is a pre_common_plugin row.
type Plugin struct {
	PluginID   int64  `gorm:"column:pluginid;primaryKey"`
	Available  int    `gorm:"column:available"`
	AdminID    int    `gorm:"column:adminid"`
	Name       string `gorm:"column:name"`
	Identifier string `gorm:"column:identifier"`
	Directory  string `gorm:"column:directory"`
	Version    string `gorm:"column:version"`
	Modules    string `gorm:"column:modules"`
}

// Usergroup is a pre_common_usergroup row.
type Usergroup struct {
	GroupID       int64  `gorm:"column:groupid;primaryKey"`
	Type          string `gorm:"column:type"`
	GroupTitle    string `gorm:"column:grouptitle"`
	CreditsHigher int64  `gorm:"column:creditshigher"`
	CreditsLower  int64  `gorm:"column:creditslower"`
	AllowVisit    int    `gorm:"column:allowvisit"`
}

// first loads one row into dst or returns ErrNotFound, wrapped with what.
func first(q *gorm.DB, dst any, what string) error {
	err := q.Limit(1).Take(dst).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (s *Store) discuz(ctx context.Context, name string) *gorm.DB {
	return s.DB.WithContext(ctx).Table(s.T.Discuz(name))
}

func (s *Store) ucenter(ctx context.Context, name string) *gorm.DB {
	return s.ucConn().WithContext(ctx).Table(s.T.UCenter(name))
}

// MemberByUID returns the forum member, or ErrNotFound.
func (s *Store) MemberByUID(ctx context.Context, uid int64) (*Member, error) {
	var m Member
	if err := first(s.discuz(ctx, "common_member").Where("uid = ?", uid), &m, fmt.Sprintf("member uid %d", uid)); err != nil {
		return nil, err
	}
	return &m, nil
}

// MemberByUsername returns the forum member, or ErrNotFound. The comparison
// is the database's own: with Discuz's _ci collation (and NOCASE in the demo
// schema) "Alice" finds "alice", exactly as Discuz's login does.
func (s *Store) MemberByUsername(ctx context.Context, username string) (*Member, error) {
	var m Member
	if err := first(s.discuz(ctx, "common_member").Where("username = ?", username), &m, "member by username"); err != nil {
		return nil, err
	}
	return &m, nil
}

// UCMemberByUsername returns the UCenter account, or ErrNotFound (same
// collation rule as MemberByUsername).
func (s *Store) UCMemberByUsername(ctx context.Context, username string) (*UCMember, error) {
	var m UCMember
	if err := first(s.ucenter(ctx, "members").Where("username = ?", username), &m, "ucenter member by username"); err != nil {
		return nil, err
	}
	return &m, nil
}

// UCMemberByUID returns the UCenter account, or ErrNotFound.
func (s *Store) UCMemberByUID(ctx context.Context, uid int64) (*UCMember, error) {
	var m UCMember
	if err := first(s.ucenter(ctx, "members").Where("uid = ?", uid), &m, fmt.Sprintf("ucenter member uid %d", uid)); err != nil {
		return nil, err
	}
	return &m, nil
}

// ConnectByUID returns the member's QQ binding, or ErrNotFound.
func (s *Store) ConnectByUID(ctx context.Context, uid int64) (*MemberConnect, error) {
	var c MemberConnect
	if err := first(s.discuz(ctx, "common_member_connect").Where("uid = ?", uid), &c, fmt.Sprintf("connect uid %d", uid)); err != nil {
		return nil, err
	}
	return &c, nil
}

// ConnectByOpenID returns the binding of an openid, or ErrNotFound. Discuz
// stores openids upper-case, so the argument is upper-cased; conopenid has no
// UNIQUE key, so if several rows share it the lowest uid wins.
func (s *Store) ConnectByOpenID(ctx context.Context, openid string) (*MemberConnect, error) {
	var c MemberConnect
	q := s.discuz(ctx, "common_member_connect").Where("conopenid = ?", strings.ToUpper(openid)).Order("uid")
	if err := first(q, &c, "connect by openid"); err != nil {
		return nil, err
	}
	return &c, nil
}

// GuestByOpenID returns the QQ guest row, or ErrNotFound.
func (s *Store) GuestByOpenID(ctx context.Context, openid string) (*ConnectGuest, error) {
	var g ConnectGuest
	if err := first(s.discuz(ctx, "common_connect_guest").Where("conopenid = ?", strings.ToUpper(openid)), &g, "connect guest by openid"); err != nil {
		return nil, err
	}
	return &g, nil
}

// BindLogs returns the member's bind/unbind history, oldest first (empty if none).
func (s *Store) BindLogs(ctx context.Context, uid int64) ([]BindLog, error) {
	var logs []BindLog
	if err := s.discuz(ctx, "connect_memberbindlog").Where("uid = ?", uid).Order("dateline, mblid").Find(&logs).Error; err != nil {
		return nil, fmt.Errorf("bind logs uid %d: %w", uid, err)
	}
	return logs, nil
}

// PluginByIdentifier returns the plugin row, or ErrNotFound (plugin not installed).
func (s *Store) PluginByIdentifier(ctx context.Context, identifier string) (*Plugin, error) {
	var p Plugin
	if err := first(s.discuz(ctx, "common_plugin").Where("identifier = ?", identifier), &p, "plugin "+identifier); err != nil {
		return nil, err
	}
	return &p, nil
}

// UsergroupExists reports whether the usergroup exists (e.g. connect.guest_groupid).
func (s *Store) UsergroupExists(ctx context.Context, gid int64) (bool, error) {
	var n int64
	if err := s.discuz(ctx, "common_usergroup").Where("groupid = ?", gid).Count(&n).Error; err != nil {
		return false, fmt.Errorf("usergroup %d: %w", gid, err)
	}
	return n > 0, nil
}

// IsUinBlacklisted reports whether the openid is in pre_common_uin_black, as
// Discuz checks at QQ login (uin holds the upper-case openid).
func (s *Store) IsUinBlacklisted(ctx context.Context, openid string) (bool, error) {
	var n int64
	if err := s.discuz(ctx, "common_uin_black").Where("uin = ?", strings.ToUpper(openid)).Count(&n).Error; err != nil {
		return false, fmt.Errorf("uin blacklist: %w", err)
	}
	return n > 0, nil
}

// CountBindUIDs counts the distinct forum accounts ever bound to the openid:
// Discuz's register_uinlimit check (SELECT count(DISTINCT uid) … WHERE uin=?
// AND type=1, table_connect_memberbindlog.php).
func (s *Store) CountBindUIDs(ctx context.Context, openid string) (int64, error) {
	var n int64
	err := s.discuz(ctx, "connect_memberbindlog").
		Where("uin = ? AND type = ?", strings.ToUpper(openid), 1).
		Distinct("uid").Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count bound uids: %w", err)
	}
	return n, nil
}

// Maybe turns ErrNotFound into (nil, nil) for callers where "no row" is a
// normal answer rather than an error.
func Maybe[T any](v *T, err error) (*T, error) {
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return v, err
}
