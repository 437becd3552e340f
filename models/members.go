package models

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MemberBinding is what the admin sees of one member's QQ binding.
type MemberBinding struct {
	Member      Member
	Connect     *MemberConnect
	Identity    *Identity
	Logs        []BindLog
	Blacklisted bool   // the bound openid is in pre_common_uin_black
	BannedUin   string // the member's own pre_common_uin_black row (Discuz joins it by uid), "" when none
}

var hex32 = regexp.MustCompile(`^[0-9A-Fa-f]{32}$`)

// SearchMembers finds members by uid, QQ openid or username (exact, then
// prefix), at most limit of them, with their bindings.
func (s *Store) SearchMembers(ctx context.Context, q string, limit int) ([]MemberBinding, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	var uids []int64
	tm := s.T.Discuz("common_member")
	switch {
	case hex32.MatchString(q):
		// The member bound to it now, then the one it is banned with, then
		// every member whose bind log names it (the openid's history).
		openid := strings.ToUpper(q)
		for _, src := range []struct{ table, col string }{
			{s.T.Discuz("common_member_connect"), "conopenid"},
			{s.T.Discuz("common_uin_black"), "uin"},
			{s.T.Discuz("connect_memberbindlog"), "uin"},
		} {
			var found []int64
			err := s.DB.WithContext(ctx).Table(src.table).Where(src.col+" = ?", openid).
				Order("uid").Limit(limit).Pluck("uid", &found).Error
			if err != nil {
				return nil, fmt.Errorf("search by openid: %w", err)
			}
			uids = append(uids, found...)
		}
	default:
		if uid, err := strconv.ParseInt(q, 10, 64); err == nil && uid > 0 {
			uids = append(uids, uid)
		}
		var byName []int64
		like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
		err := s.DB.WithContext(ctx).Table(tm).Where("username = ? OR username LIKE ?", q, like).
			Order("uid").Limit(limit).Pluck("uid", &byName).Error
		if err != nil {
			return nil, fmt.Errorf("search by username: %w", err)
		}
		uids = append(uids, byName...)
	}
	seen := map[int64]bool{}
	var out []MemberBinding
	for _, uid := range uids {
		if seen[uid] || len(out) >= limit {
			continue
		}
		seen[uid] = true
		b, err := s.MemberBindingByUID(ctx, uid)
		if err != nil {
			return nil, err
		}
		if b != nil {
			out = append(out, *b)
		}
	}
	return out, nil
}

// MemberBindingByUID returns one member with its binding, or nil.
func (s *Store) MemberBindingByUID(ctx context.Context, uid int64) (*MemberBinding, error) {
	m, err := Maybe(s.MemberByUID(ctx, uid))
	if err != nil || m == nil {
		return nil, err
	}
	b := &MemberBinding{Member: *m}
	if b.Connect, err = Maybe(s.ConnectByUID(ctx, uid)); err != nil {
		return nil, err
	}
	if b.Identity, err = Maybe(s.IdentityByUID(ctx, uid)); err != nil {
		return nil, err
	}
	if b.Logs, err = s.BindLogs(ctx, uid); err != nil {
		return nil, err
	}
	if b.Connect != nil {
		if b.Blacklisted, err = s.IsUinBlacklisted(ctx, b.Connect.ConOpenID); err != nil {
			return nil, err
		}
	}
	var banned []string
	if err := s.DB.WithContext(ctx).Table(s.T.Discuz("common_uin_black")).Where("uid = ?", uid).Limit(1).Pluck("uin", &banned).Error; err != nil {
		return nil, fmt.Errorf("read the ban of uid %d: %w", uid, err)
	}
	if len(banned) > 0 {
		b.BannedUin = banned[0]
	}
	return b, nil
}

// BindingRow is one line of the admin's list of QQ bindings.
type BindingRow struct {
	UID           int64  `gorm:"column:uid"`
	Username      string `gorm:"column:username"`
	ConOpenID     string `gorm:"column:conopenid"`
	ConIsRegister int    `gorm:"column:conisregister"`
	ConIsBind     int    `gorm:"column:conisbind"`
}

// ListBindings lists the members bound to QQ, newest uid first (the
// connect table's primary key: no sort, no scan of the member table),
// only those created through QQ when registered, and whether there are
// more after this page.
func (s *Store) ListBindings(ctx context.Context, registered bool, limit, offset int) ([]BindingRow, bool, error) {
	q := s.DB.WithContext(ctx).Table(s.T.Discuz("common_member_connect") + " c").
		Select("c.uid, m.username, c.conopenid, c.conisregister, m.conisbind").
		Joins("JOIN " + s.T.Discuz("common_member") + " m ON m.uid = c.uid").
		Where("c.conopenid <> ''")
	if registered {
		q = q.Where("c.conisregister = 1")
	}
	var rows []BindingRow
	if err := q.Order("c.uid DESC").Limit(limit + 1).Offset(offset).Scan(&rows).Error; err != nil {
		return nil, false, fmt.Errorf("list QQ bindings: %w", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	return rows, more, nil
}
