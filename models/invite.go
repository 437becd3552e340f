package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"qqconnect/discuz"
)

// Registration with an invite code, as Discuz's register_ctl::on_register
// does it (class_member.php): getinvite() finds the invite, and after the
// member rows the invite row is marked used (updatestat 'invite'), the
// inviter and the new member get inviteconfig's credits and become friends
// (friend_make), and the inviter is told (notification_add invite_friend).

// ErrInviteTaken: the invite row was used by a parallel registration
// between the check and the write.
var ErrInviteTaken = errors.New("invite code already used")

// Invite is what getinvite() returns.
type Invite struct {
	ID       int64  // the pre_common_invite row; 0 for a member's personal link
	UID      int64  // the inviter; 0 when the row has none (an administrator's code)
	Username string // the inviter's username ("" when the member is gone, as in Discuz)
	AppID    int64  // X3.4: the application an invite was for
}

// InviteConfig is the part of pre_common_setting inviteconfig a
// registration reads.
type InviteConfig struct {
	IPWhite          string // inviteipwhite
	GroupID          int64  // invitegroupid: the invited member's usergroup (0 = the usual)
	RewardCredit     int    // inviterewardcredit: which extcredits (1..8; 0 none)
	AddCredit        int64  // inviteaddcredit: for the new member
	InvitedAddCredit int64  // invitedaddcredit: for the inviter
	// AddCreditOn, InvitedAddCreditOn: the setting is PHP-truthy, so
	// Discuz calls updatemembercount, and checkusergroup, even when its
	// number is 0.
	AddCreditOn, InvitedAddCreditOn bool
	// CreditsFormula: the site's creditsformula, which checkusergroup
	// recomputes the totals with.
	CreditsFormula string
	// FeedStatus, SitePrivacy: the site's feedstatus (动态 on) and its
	// default privacy, which a member without a privacy[feed] of its own
	// gets (space_merge).
	FeedStatus  bool
	SitePrivacy string
}

// ParseInviteConfig reads the serialized inviteconfig; an unreadable or
// empty one is all zero, as dunserialize gives Discuz.
func (s *Store) ParseInviteConfig(raw string) InviteConfig {
	var c InviteConfig
	if raw == "" {
		return c
	}
	arr, err := s.UnserializeSetting(raw)
	if err != nil {
		return c
	}
	c.IPWhite = arr.GetString("inviteipwhite")
	c.GroupID = discuz.PHPIntval(arr.GetString("invitegroupid"))
	c.RewardCredit = int(discuz.PHPIntval(arr.GetString("inviterewardcredit")))
	if c.AddCreditOn = discuz.PHPTruthy(arr.GetString("inviteaddcredit")); c.AddCreditOn {
		c.AddCredit = discuz.PHPIntval(arr.GetString("inviteaddcredit"))
	}
	if c.InvitedAddCreditOn = discuz.PHPTruthy(arr.GetString("invitedaddcredit")); c.InvitedAddCreditOn {
		c.InvitedAddCredit = discuz.PHPIntval(arr.GetString("invitedaddcredit"))
	}
	return c
}

// inviteTables are the tables an invited registration reads and writes.
func (s *Store) inviteTables() []string {
	return []string{s.T.Discuz("common_invite"), s.T.Discuz("home_friend"), s.T.Discuz("home_friendlog"), s.T.Discuz("home_feed")}
}

// FindInvite is getinvite(): a typed code (trimmed) is looked up by code;
// else a two-part invite_auth cookie names the row by id; either must pass
// discuz.InviteUsable. A three-part cookie is a member's personal link:
// its key must be that member's (helper_invite::generate_key on X3.5,
// space_key on X3.4) and the member's usergroup must allow inviting for
// free (allowinvite, inviteprice 0). nil when there is no valid invite.
func (s *Store) FindInvite(ctx context.Context, code string, cookie discuz.InviteAuth, now time.Time) (*Invite, error) {
	tInvite := s.T.Discuz("common_invite")
	if !s.Schema.HasTable(tInvite) {
		return nil, nil
	}
	db := s.DB.WithContext(ctx)
	code = discuz.PHPTrim(code)
	var inv *Invite
	switch {
	case cookie.Parts == 2 || code != "":
		q := db.Table(tInvite)
		if code != "" {
			q = q.Where("code = ?", code)
		} else {
			q, code = q.Where("id = ?", cookie.ID), cookie.Code
		}
		var rows []struct {
			ID, UID, Fuid, Endtime, AppID int64
			Code                          string
		}
		cols := "id, uid, code, fuid, endtime"
		if s.Schema.Has(tInvite, "appid") {
			cols += ", appid AS app_id"
		}
		if err := q.Select(cols).Limit(1).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("read the invite: %w", err)
		}
		if len(rows) == 0 || !discuz.InviteUsable(rows[0].Code, code, rows[0].Fuid, rows[0].Endtime, now.Unix()) {
			return nil, nil
		}
		inv = &Invite{ID: rows[0].ID, UID: rows[0].UID, AppID: rows[0].AppID}
	case cookie.Parts == 3:
		var err error
		if inv, err = s.personalInvite(ctx, cookie); err != nil || inv == nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	if inv.UID > 0 {
		var names []string
		if err := db.Table(s.T.Discuz("common_member")).Where("uid = ?", inv.UID).Limit(1).Pluck("username", &names).Error; err != nil {
			return nil, fmt.Errorf("read the inviter uid %d: %w", inv.UID, err)
		}
		if len(names) > 0 {
			inv.Username = names[0]
		}
	}
	return inv, nil
}

// personalInvite checks a member's personal invite link (getinvite's
// three-part cookie).
func (s *Store) personalInvite(ctx context.Context, c discuz.InviteAuth) (*Invite, error) {
	db := s.DB.WithContext(ctx)
	var m []struct {
		Password string
		GroupID  int64 `gorm:"column:groupid"`
	}
	if err := db.Table(s.T.Discuz("common_member")).Select("password, groupid").Where("uid = ?", c.ID).Limit(1).Find(&m).Error; err != nil {
		return nil, fmt.Errorf("read the inviter uid %d: %w", c.ID, err)
	}
	var key string
	inv := &Invite{UID: c.ID}
	if s.UCenterBcrypt() { // X3.5
		if len(m) == 0 {
			return nil, nil
		}
		key = discuz.PersonalInviteKeyX35(m[0].Password, c.ID)
	} else {
		set, err := s.Settings(ctx, "siteuniqueid")
		if err != nil {
			return nil, err
		}
		key = discuz.PersonalInviteKeyX34(set["siteuniqueid"], c.ID, c.AppID)
		inv.AppID = c.AppID
	}
	if c.Code != key || len(m) == 0 {
		return nil, nil
	}
	var g []struct {
		AllowInvite int     `gorm:"column:allowinvite"`
		InvitePrice float64 `gorm:"column:inviteprice"`
	}
	if err := db.Table(s.T.Discuz("common_usergroup")).Select("allowinvite, inviteprice").Where("groupid = ?", m[0].GroupID).Limit(1).Find(&g).Error; err != nil {
		return nil, fmt.Errorf("read usergroup %d: %w", m[0].GroupID, err)
	}
	if len(g) == 0 || g[0].AllowInvite == 0 || g[0].InvitePrice > 0 {
		return nil, nil
	}
	return inv, nil
}

// claimInvite marks the invite row used by the new member, as on_register
// does (fuid, fusername, regdateline, status 2) — only while it is still
// unused, so two registrations cannot share one code.
func (s *Store) claimInvite(w *writer, inv *Invite, uid int64, username string, now int64) error {
	t := s.T.Discuz("common_invite")
	var status []int64
	if err := w.tx.Table(t).Where("id = ?", inv.ID).Limit(1).Pluck("status", &status).Error; err != nil {
		return fmt.Errorf("read invite %d: %w", inv.ID, err)
	}
	res := w.tx.Exec("UPDATE "+t+" SET fuid = ?, fusername = ?, regdateline = ?, status = 2 WHERE id = ? AND fuid = 0",
		uid, s.Fit(t, "fusername", username), now, inv.ID)
	if res.Error != nil {
		return fmt.Errorf("use invite %d: %w", inv.ID, res.Error)
	}
	if res.RowsAffected == 0 || len(status) == 0 {
		return ErrInviteTaken
	}
	old := status[0]
	w.onUndo(func(db *gorm.DB) error {
		return db.Exec("UPDATE "+t+" SET fuid = 0, fusername = '', regdateline = 0, status = ? WHERE id = ? AND fuid = ?", old, inv.ID, uid).Error
	})
	return nil
}

// inviteAftermath is what on_register does for an invite after the
// member rows: updatestat('invite') for a used row; for an invite with an
// inviter, the inviter's credits (updatemembercount; the new member's are
// in its count row already), friend_make and the invite_friend notice; on
// X3.4 updatestat('appinvite') for an application's invite.
func (s *Store) inviteAftermath(w *writer, n *NewMember, uid int64, now time.Time) error {
	inv, a := n.Invite, n.Aftermath
	if inv.ID > 0 && a != nil {
		if err := s.updateStat(w, a, now, "invite"); err != nil {
			return err
		}
	}
	if inv.UID == 0 {
		return nil
	}
	c := n.InviteConfig
	formula := discuz.ParseCreditsFormula(c.CreditsFormula)
	if c.AddCreditOn {
		// the credits went in with the count row (see Register)
		if err := s.checkUserGroup(w, formula, uid, uid, true, now); err != nil {
			return err
		}
	}
	if c.InvitedAddCreditOn {
		if c.InvitedAddCredit != 0 && c.RewardCredit >= 1 && c.RewardCredit <= 8 {
			t, col := s.T.Discuz("common_member_count"), "extcredits"+strconv.Itoa(c.RewardCredit)
			add := c.InvitedAddCredit
			if err := w.exec(func(db *gorm.DB) error {
				return db.Exec("UPDATE "+t+" SET "+col+" = "+col+" - ? WHERE uid = ?", add, inv.UID).Error
			}, "UPDATE "+t+" SET "+col+" = "+col+" + ? WHERE uid = ?", add, inv.UID); err != nil {
				return fmt.Errorf("credit the inviter uid %d: %w", inv.UID, err)
			}
		}
		if err := s.checkUserGroup(w, formula, inv.UID, uid, false, now); err != nil {
			return err
		}
	}
	if err := s.makeFriends(w, a, inv, uid, n.Username, now); err != nil {
		return err
	}
	if a != nil {
		if err := s.notifyInviter(w, inv.UID, uid, n.Username, now); err != nil {
			return err
		}
		if err := s.inviteFeed(w, &n.InviteConfig, inv, uid, n.Username, now); err != nil {
			return err
		}
		if inv.AppID != 0 && s.Schema.Has(s.T.Discuz("common_stat"), "appinvite") {
			return s.updateStat(w, a, now, "appinvite")
		}
	}
	return nil
}
