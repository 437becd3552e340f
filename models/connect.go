package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Binding facts written into pre_common_member_connect (CONTRACT §4).
type Binding struct {
	UID        int64
	OpenID     string // stored UPPER case
	Token      string // conuintoken: the OAuth 2.0 access token, as Discuz keeps it
	Uin        string // conuin: OAuth 1.0 token (cloud era), '' for OAuth 2.0
	UinSecret  string // conuinsecret: OAuth 1.0 secret, '' for OAuth 2.0
	IsRegister bool   // the account was created through QQ
	Identity   Identity
	Now        time.Time
}

func (s *Store) connectRow(b Binding) map[string]any {
	reg := 0
	if b.IsRegister {
		reg = 1
	}
	return map[string]any{
		"uid": b.UID, "conuin": b.Uin, "conuinsecret": b.UinSecret, "conuintoken": b.Token,
		"conopenid": strings.ToUpper(b.OpenID), "conisfeed": 1, "conispublishfeed": 0, "conispublisht": 0,
		"conisregister": reg, "conisqzoneavatar": 0, "conisqqshow": 0,
	}
}

// QQCred is what QQ handed over at login: an OAuth 2.0 access token
// (conuintoken), or an OAuth 1.0 token and secret (conuin/conuinsecret) as
// cloud-era Discuz stored them.
type QQCred struct {
	Token     string // OAuth 2.0 access token
	Uin       string // OAuth 1.0 access token
	UinSecret string // OAuth 1.0 token secret
}

// OAuth1 reports whether the credentials came from the Qzone OAuth 1.0 flow.
func (c QQCred) OAuth1() bool { return c.Uin != "" }

// SaveGuest keeps the QQ visitor who has no forum account yet, as Discuz's
// callback does (REPLACE INTO pre_common_connect_guest).
func (s *Store) SaveGuest(ctx context.Context, openid string, cred QQCred, nickname string) error {
	t := s.T.Discuz("common_connect_guest")
	if utf8.ValidString(nickname) {
		// An emoji nickname on a 3-byte utf8 table loses the emoji, not the login.
		nickname = s.Fit(t, "conqqnick", nickname)
	}
	err := s.DB.WithContext(ctx).Exec("REPLACE INTO "+t+" (conopenid, conuin, conuinsecret, conqqnick, conuintoken) VALUES (?, ?, ?, ?, ?)",
		strings.ToUpper(openid), cred.Uin, cred.UinSecret, truncateBytes(nickname, 100), cred.Token).Error
	if err != nil {
		return fmt.Errorf("save connect guest: %w", err)
	}
	return nil
}

// truncateBytes cuts s to at most n characters (the column is char(n)) without splitting a rune.
func truncateBytes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

// RepairStaleBinding deletes a connect row whose member is gone or whose
// conisbind is 0, exactly as Discuz's callback does before deciding that an
// openid is unbound. It reports whether a row was removed.
func (s *Store) RepairStaleBinding(ctx context.Context, c *MemberConnect) (bool, error) {
	m, err := Maybe(s.MemberByUID(ctx, c.UID))
	if err != nil {
		return false, err
	}
	return s.RemoveStaleBinding(ctx, c, m)
}

// RemoveStaleBinding is RepairStaleBinding for a caller that already read
// the member row (m nil: no such member).
func (s *Store) RemoveStaleBinding(ctx context.Context, c *MemberConnect, m *Member) (bool, error) {
	if m != nil && m.ConIsBind == 1 {
		return false, nil
	}
	err := s.DB.WithContext(ctx).Exec("DELETE FROM "+s.T.Discuz("common_member_connect")+" WHERE uid = ?", c.UID).Error
	if err != nil {
		return false, fmt.Errorf("remove stale binding of uid %d: %w", c.UID, err)
	}
	return true, nil
}

// RecordLogin refreshes the binding and the member's visit facts when a bound
// QQ user logs in: Discuz's OAuth 2.0 callback updates conuintoken, conopenid
// and conisfeed; the cloud-era OAuth 1.0 one kept conuin/conuinsecret fresh.
// Then lastip, lastvisit and lastactivity, and qqconnect's identity row
// (id.ID > 0: LoginLookup found it, so it is updated in place).
func (s *Store) RecordLogin(ctx context.Context, uid int64, openid string, cred QQCred, ip string, id Identity, now time.Time) error {
	tables := []string{s.T.Discuz("common_member_connect"), s.T.Discuz("common_member_status"), s.T.Own("identity")}
	cols, args := []string{"conuintoken", "conopenid"}, []any{cred.Token, strings.ToUpper(openid)}
	if cred.OAuth1() {
		cols, args = []string{"conuin", "conuinsecret", "conopenid"}, []any{cred.Uin, cred.UinSecret, strings.ToUpper(openid)}
	}
	set := func(alias string) string {
		var b strings.Builder
		for _, c := range cols {
			b.WriteString(alias + c + " = ?, ")
		}
		return b.String() + alias + "conisfeed = 1"
	}
	visit := []any{s.Fit(tables[1], "lastip", ip), now.Unix(), now.Unix()}
	// On MySQL one multi-table UPDATE writes the binding and the visit (a
	// bound login is the hot path, README "Performance"), and the identity
	// row too when it exists: one statement, atomic on its own. LEFT JOINs:
	// a member without a status row still gets the rest. SQLite has no
	// multi-table UPDATE.
	joined := func(withIdentity bool) (string, []any) {
		q := "UPDATE " + tables[0] + " c LEFT JOIN " + tables[1] + " s ON s.uid = c.uid"
		var all []any
		if withIdentity {
			q += " LEFT JOIN " + tables[2] + " i ON i.id = ?"
			all = append(all, id.ID)
		}
		q += " SET " + set("c.") + ", s.lastip = ?, s.lastvisit = ?, s.lastactivity = ?"
		all = append(append(all, args...), visit...)
		if withIdentity {
			q += ", i.uid = ?, i.unionid = ?, i.nickname = ?, i.avatar_url = ?, i.token_expires_at = ?, i.updated_at = ?"
			all = append(all, uid, id.UnionID, s.Fit(tables[2], "nickname", id.Nickname), s.Fit(tables[2], "avatar_url", id.AvatarURL),
				id.TokenExpiresAt, id.UpdatedAt)
		}
		return q + " WHERE c.uid = ?", append(all, uid)
	}
	multi := ip != "" && s.Dialect == DriverMySQL
	if multi && id.ID > 0 {
		q, all := joined(true)
		if err := s.hotExec(ctx, q, all...); err != nil {
			return fmt.Errorf("record the login of uid %d: %w", uid, err)
		}
		return nil
	}
	return s.write(ctx, tables, func(w *writer) error {
		if multi {
			q, all := joined(false)
			if err := w.exec(nil, q, all...); err != nil {
				return fmt.Errorf("refresh binding and visit of uid %d: %w", uid, err)
			}
			return s.UpsertIdentity(ctx, w.tx, id)
		}
		if err := w.exec(nil, "UPDATE "+tables[0]+" SET "+set("")+" WHERE uid = ?", append(args, uid)...); err != nil {
			return fmt.Errorf("refresh binding of uid %d: %w", uid, err)
		}
		if ip != "" {
			if err := w.exec(nil, "UPDATE "+tables[1]+" SET lastip = ?, lastvisit = ?, lastactivity = ? WHERE uid = ?",
				append(visit, uid)...); err != nil {
				return fmt.Errorf("record visit of uid %d: %w", uid, err)
			}
		}
		return s.UpsertIdentity(ctx, w.tx, id)
	})
}

// BindExisting links a QQ openid to an existing member whose password was
// checked: connect row, conisbind=1, bind log type 1, guest row removed
// (Discuz member_connect_logging.php). conisbind is set last because Discuz
// treats a connect row without it as stale: until then the bind is invisible.
func (s *Store) BindExisting(ctx context.Context, b Binding) error {
	tConn, tMember, tLog, tGuest, tID := s.T.Discuz("common_member_connect"), s.T.Discuz("common_member"),
		s.T.Discuz("connect_memberbindlog"), s.T.Discuz("common_connect_guest"), s.T.Own("identity")
	openid := strings.ToUpper(b.OpenID)
	guest, err := Maybe(s.GuestByOpenID(ctx, openid))
	if err != nil {
		return err
	}
	return s.write(ctx, []string{tConn, tMember, tLog, tGuest, tID}, func(w *writer) error {
		if err := s.writeBinding(ctx, w, b); err != nil {
			return err
		}
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("UPDATE "+tMember+" SET conisbind = 0 WHERE uid = ?", b.UID).Error
		}, "UPDATE "+tMember+" SET conisbind = 1 WHERE uid = ?", b.UID); err != nil {
			return fmt.Errorf("mark uid %d bound: %w", b.UID, err)
		}
		return s.deleteGuest(w, guest)
	})
}

// writeBinding writes the identity, the connect row and the bind log of b.
func (s *Store) writeBinding(ctx context.Context, w *writer, b Binding) error {
	tConn, tLog := s.T.Discuz("common_member_connect"), s.T.Discuz("connect_memberbindlog")
	openid := strings.ToUpper(b.OpenID)
	if err := s.UpsertIdentity(ctx, w.tx, b.Identity); err != nil {
		return err
	}
	w.onUndo(func(db *gorm.DB) error { return s.DeleteIdentity(ctx, db, b.Identity.AppID, b.Identity.OpenID) })
	row := s.connectRow(b)
	cols, marks, args := columnsOf(s.filterColumns(tConn, row))
	if err := w.exec(func(db *gorm.DB) error {
		return db.Exec("DELETE FROM "+tConn+" WHERE uid = ?", b.UID).Error
	}, "REPLACE INTO "+tConn+" ("+cols+") VALUES ("+marks+")", args...); err != nil {
		return fmt.Errorf("write binding of uid %d: %w", b.UID, err)
	}
	now := b.Now.Unix()
	if err := w.exec(func(db *gorm.DB) error {
		return db.Exec("DELETE FROM "+tLog+" WHERE uid = ? AND uin = ? AND type = 1 AND dateline = ?", b.UID, openid, now).Error
	}, "INSERT INTO "+tLog+" (uid, uin, type, dateline) VALUES (?, ?, 1, ?)", b.UID, openid, now); err != nil {
		return fmt.Errorf("write bind log of uid %d: %w", b.UID, err)
	}
	return nil
}

func (s *Store) deleteGuest(w *writer, guest *ConnectGuest) error {
	if guest == nil {
		return nil
	}
	t := s.T.Discuz("common_connect_guest")
	g := *guest
	return w.exec(func(db *gorm.DB) error {
		return db.Exec("REPLACE INTO "+t+" (conopenid, conuin, conuinsecret, conqqnick, conuintoken) VALUES (?, ?, ?, ?, ?)",
			g.ConOpenID, g.ConUin, g.ConUinSecret, g.ConQQNick, g.ConUinToken).Error
	}, "DELETE FROM "+t+" WHERE conopenid = ?", g.ConOpenID)
}

// columnsOf renders a row map as a column list, placeholders and arguments in
// a stable order.
func columnsOf(row map[string]any) (cols, marks string, args []any) {
	keys := make([]string, 0, len(row))
	for k := range row {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for i, k := range keys {
		if i > 0 {
			cols += ", "
			marks += ", "
		}
		cols += k
		marks += "?"
		args = append(args, row[k])
	}
	return cols, marks, args
}

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// NewMember is an account created through QQ, as Discuz's register_ctl and
// UCenter's add_user write it.
type NewMember struct {
	Username       string
	Email          string
	UCPassword     string // UCenter hash
	UCSalt         string // '' for bcrypt (UCenter 1.7), 6 chars for md5 (UCenter 1.6)
	MemberPassword string // pre_common_member.password: md5(random(10)), the session secret
	GroupID        int64
	Credits        int64
	ExtCredits     [9]int64 // index 1..8
	IP             string
	Binding        Binding          // UID filled in by Register
	RegRules       *RegRuleSettings // the site's regctrl/regfloodctrl: pre_common_regip rows; nil = none
	Port           int              // the client's port (Discuz's remoteport: common_member_status port/regport); 0 unknown
	Aftermath      *RegAftermath    // stat count, welcome notice, userstats cache; nil = none (the demo)
	SiteCharset    string           // the site's charset, for the userstats blob ("" = utf-8)
	// Validate: the site approves new members by hand (regverify=2) and QQ
	// registrations are not exempt: the pre_common_member_validate row that
	// puts the member into 审核用户, as Discuz's register does.
	Validate bool
	// Profile: the register form's profile fields, stored in
	// pre_common_member_profile as insert_user() does; Verify: the ones the
	// site checks first (needverify), kept in pre_common_member_verify_info
	// for 认证审核 instead, as register_ctl does.
	Profile map[string]string
	Verify  []FieldValue // in the form's order, as PHP serializes them
	// AuthStr: pre_common_member_field_forum.authstr, set when the site
	// verifies new members by mail (regverify=1): the activation link's
	// token (discuz.ActivationAuthStr), written with the row instead of by
	// emailcheck_send()'s UPDATE right after.
	AuthStr string
	// Invite: the valid invite the member registers with (FindInvite);
	// nil = none. InviteConfig: the site's inviteconfig (its credits).
	Invite       *Invite
	InviteConfig InviteConfig
}

// Register creates the UCenter account, the six pre_common_member* rows with
// the same uid, and the QQ binding with conisregister=1, all as one unit.
func (s *Store) Register(ctx context.Context, n NewMember) (int64, error) {
	tUC, tUCF, tStatus := s.T.UCenter("members"), s.T.UCenter("memberfields"), s.T.Discuz("common_member_status")
	six := []string{"common_member", "common_member_status", "common_member_count",
		"common_member_profile", "common_member_field_forum", "common_member_field_home"}
	tables := []string{tUC, tUCF, s.T.Discuz("common_member_connect"), s.T.Discuz("connect_memberbindlog"),
		s.T.Discuz("common_connect_guest"), s.T.Own("identity")}
	if n.RegRules != nil && s.Schema.HasTable(s.T.Discuz("common_regip")) {
		tables = append(tables, s.T.Discuz("common_regip"))
	}
	for _, t := range six {
		tables = append(tables, s.T.Discuz(t))
	}
	if n.Aftermath != nil {
		tables = append(tables, s.regAftermathTables()...)
	}
	tVerifyInfo, tVerify := s.T.Discuz("common_member_verify_info"), s.T.Discuz("common_member_verify")
	if len(n.Verify) > 0 {
		if !s.Schema.HasTable(tVerifyInfo) || !s.Schema.HasTable(tVerify) {
			return 0, fmt.Errorf("register: profile fields awaiting verification, but %s is missing", tVerifyInfo)
		}
		tables = append(tables, tVerifyInfo, tVerify)
	}
	tValidate := s.T.Discuz("common_member_validate")
	n.Validate = n.Validate && s.Schema.HasTable(tValidate) // the standalone demo forum has no such table
	if n.Validate {
		tables = append(tables, tValidate)
	}
	if n.Invite != nil {
		tables = append(tables, s.inviteTables()...)
		// updatemembercount for the new member, right after insert_user:
		// the same as starting with the credits.
		if c := n.InviteConfig; n.Invite.UID > 0 && c.AddCredit != 0 && c.RewardCredit >= 1 && c.RewardCredit <= 8 {
			n.ExtCredits[c.RewardCredit] += c.AddCredit
		}
	}
	openid := strings.ToUpper(n.Binding.OpenID)
	guest, err := Maybe(s.GuestByOpenID(ctx, openid))
	if err != nil {
		return 0, err
	}
	now := n.Binding.Now.Unix()
	var uid int64
	err = s.write(ctx, tables, func(w *writer) error {
		uc := map[string]any{"username": n.Username, "password": n.UCPassword, "email": n.Email,
			"regip": s.Fit(tUC, "regip", n.IP), "regdate": now, "salt": n.UCSalt, "secques": "", "myid": "", "myidkey": ""}
		res := w.uc.Table(tUC).Create(s.filterColumns(tUC, uc))
		if res.Error != nil {
			return fmt.Errorf("create UCenter member %q: %w", n.Username, res.Error)
		}
		if err := w.uc.Table(tUC).Where("username = ?", n.Username).Pluck("uid", &uid).Error; err != nil || uid == 0 {
			return fmt.Errorf("read new UCenter uid of %q: %v", n.Username, err)
		}
		del := func(table string) func(db *gorm.DB) error {
			return func(db *gorm.DB) error { return db.Exec("DELETE FROM "+table+" WHERE uid = ?", uid).Error }
		}
		w.onUndoUC(del(tUC))
		if err := w.insertUC(s, tUCF, map[string]any{"uid": uid, "blacklist": ""}, del(tUCF)); err != nil {
			return err
		}
		// The invite row first of the forum's (Discuz marks it after the
		// member rows): a code taken meanwhile stops the unit before them.
		if n.Invite != nil && n.Invite.ID > 0 {
			if err := s.claimInvite(w, n.Invite, uid, n.Username, now); err != nil {
				return err
			}
		}
		rows := map[string]map[string]any{
			"common_member": {"uid": uid, "username": n.Username, "password": n.MemberPassword, "email": n.Email,
				"adminid": 0, "groupid": n.GroupID, "regdate": now, "emailstatus": 0, "credits": n.Credits,
				"timeoffset": "9999", "avatarstatus": 0, "conisbind": 0},
			"common_member_status": {"uid": uid, "regip": s.Fit(tStatus, "regip", n.IP), "lastip": s.Fit(tStatus, "lastip", n.IP), "lastvisit": now,
				"lastactivity": now, "lastpost": 0, "lastsendmail": 0, "port": n.Port, "regport": n.Port},
			"common_member_count": {"uid": uid},
			"common_member_profile": {"uid": uid, "bio": "", "interest": "", "field1": "", "field2": "", "field3": "",
				"field4": "", "field5": "", "field6": "", "field7": "", "field8": ""},
			"common_member_field_forum": {"uid": uid, "medals": "", "sightml": "", "groupterms": "", "groups": "", "authstr": n.AuthStr},
			"common_member_field_home": {"uid": uid, "spacecss": "", "blockposition": "", "recentnote": "",
				"spacenote": "", "privacy": "", "feedfriend": "", "acceptemail": "", "magicgift": "", "stickblogs": ""},
		}
		for i := 1; i <= 8; i++ {
			rows["common_member_count"][fmt.Sprintf("extcredits%d", i)] = n.ExtCredits[i]
		}
		tProfile := s.T.Discuz("common_member_profile")
		for k, v := range n.Profile {
			if k != "uid" && s.Schema.Has(tProfile, k) {
				rows["common_member_profile"][k] = s.Fit(tProfile, k, v)
			}
		}
		for _, name := range six {
			t := s.T.Discuz(name)
			if err := w.insert(s, t, rows[name], del(t)); err != nil {
				return err
			}
		}
		b := n.Binding
		b.UID = uid
		b.IsRegister = true
		b.Identity.UID = uid
		if err := s.writeBinding(ctx, w, b); err != nil {
			return err
		}
		if err := s.recordRegIP(ctx, w, n.RegRules, n.IP, n.Binding.Now); err != nil {
			return err
		}
		if len(n.Verify) > 0 {
			if err := s.insertVerify(w, tVerifyInfo, tVerify, uid, n.Username, n.Verify, now, del); err != nil {
				return err
			}
		}
		if n.Validate {
			// class_member's register: submitted now, not yet moderated, no message (the QQ form has none).
			row := map[string]any{"uid": uid, "submitdate": now, "moddate": 0, "admin": "", "submittimes": 1,
				"status": 0, "message": "", "remark": ""}
			if err := w.insert(s, tValidate, row, del(tValidate)); err != nil {
				return err
			}
			if n.Aftermath != nil {
				if err := s.notifyVerifyUser(w, n.Aftermath, n.Binding.Now); err != nil {
					return err
				}
			}
		}
		if a := n.Aftermath; a != nil {
			if err := s.countRegistration(w, a, n.Binding.Now); err != nil {
				return err
			}
		}
		if n.Invite != nil {
			if err := s.inviteAftermath(w, &n, uid, n.Binding.Now); err != nil {
				return err
			}
		}
		if a := n.Aftermath; a != nil {
			if err := s.welcome(w, a, uid, n.Username, n.Binding.Now); err != nil {
				return err
			}
			if err := s.welcomeMail(w, a, n.Email, n.Username, n.Binding.Now); err != nil {
				return err
			}
		}
		tMember := s.T.Discuz("common_member")
		if err := w.exec(nil, "UPDATE "+tMember+" SET conisbind = 1, avatarstatus = 0 WHERE uid = ?", uid); err != nil {
			return fmt.Errorf("mark uid %d bound: %w", uid, err)
		}
		if err := s.deleteGuest(w, guest); err != nil {
			return err
		}
		if n.Aftermath != nil {
			// after the guest row is gone, as the QQ extrafile rebuilds it
			return s.rebuildUserStats(w, n.Aftermath, n.SiteCharset, n.Binding.Now)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return uid, nil
}

// Unbind removes a member's QQ binding as Discuz does (connect row deleted,
// conisbind=0, bind log type 2). When newUCPassword is set (accounts created
// through QQ), the UCenter password is replaced in the same unit of work.
func (s *Store) Unbind(ctx context.Context, c *MemberConnect, appid, newUCHash, newUCSalt string, now time.Time) error {
	tConn, tMember, tLog, tUC, tID := s.T.Discuz("common_member_connect"), s.T.Discuz("common_member"),
		s.T.Discuz("connect_memberbindlog"), s.T.UCenter("members"), s.T.Own("identity")
	old := *c
	var oldUC *UCMember
	if newUCHash != "" {
		var err error
		if oldUC, err = Maybe(s.UCMemberByUID(ctx, c.UID)); err != nil {
			return err
		}
		if oldUC == nil {
			return fmt.Errorf("unbind uid %d: no UCenter account", c.UID)
		}
	}
	var oldID *Identity
	if ids, err := Maybe(s.IdentityByUID(ctx, c.UID)); err == nil && ids != nil {
		oldID = ids
	}
	return s.write(ctx, []string{tConn, tMember, tLog, tUC, tID}, func(w *writer) error {
		if oldUC != nil {
			u := *oldUC
			if err := w.execUC(func(db *gorm.DB) error {
				return db.Exec("UPDATE "+tUC+" SET password = ?, salt = ? WHERE uid = ?", u.Password, u.Salt, u.UID).Error
			}, "UPDATE "+tUC+" SET password = ?, salt = ? WHERE uid = ?", newUCHash, newUCSalt, c.UID); err != nil {
				return fmt.Errorf("set password of uid %d: %w", c.UID, err)
			}
		}
		now := now.Unix()
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("DELETE FROM "+tLog+" WHERE uid = ? AND type = 2 AND dateline = ?", old.UID, now).Error
		}, "INSERT INTO "+tLog+" (uid, uin, type, dateline) VALUES (?, ?, 2, ?)", c.UID, strings.ToUpper(c.ConOpenID), now); err != nil {
			return fmt.Errorf("write unbind log of uid %d: %w", c.UID, err)
		}
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("UPDATE "+tMember+" SET conisbind = 1 WHERE uid = ?", old.UID).Error
		}, "UPDATE "+tMember+" SET conisbind = 0 WHERE uid = ?", c.UID); err != nil {
			return fmt.Errorf("mark uid %d unbound: %w", c.UID, err)
		}
		row := s.connectRow(Binding{UID: old.UID, OpenID: old.ConOpenID, Token: old.ConUinToken, Uin: old.ConUin,
			UinSecret: old.ConUinSecret, IsRegister: old.ConIsRegister == 1})
		row["conisfeed"], row["conispublishfeed"], row["conispublisht"] = old.ConIsFeed, old.ConIsPublishFeed, old.ConIsPublishT
		row["conisqzoneavatar"], row["conisqqshow"] = old.ConIsQzoneAvatar, old.ConIsQQShow
		cols, marks, args := columnsOf(s.filterColumns(tConn, row))
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("REPLACE INTO "+tConn+" ("+cols+") VALUES ("+marks+")", args...).Error
		}, "DELETE FROM "+tConn+" WHERE uid = ?", c.UID); err != nil {
			return fmt.Errorf("delete binding of uid %d: %w", c.UID, err)
		}
		if oldID != nil {
			id := *oldID
			if err := s.DeleteIdentity(ctx, w.tx, id.AppID, id.OpenID); err != nil {
				return err
			}
			w.onUndo(func(db *gorm.DB) error { return s.UpsertIdentity(ctx, db, id) })
		}
		return nil
	})
}

// LoginFacts is what a QQ callback must know about an openid before it
// logs anyone in.
type LoginFacts struct {
	Blacklisted bool           // in pre_common_uin_black
	Connect     *MemberConnect // the binding (lowest uid), nil when none
	Member      *Member        // the bound member, nil when none (or no binding)
	IdentityID  int64          // qqconnect's identity row for this AppID and openid, 0 when none
}

// LoginLookup reads the blacklist, the binding, its member and qqconnect's
// identity row in one statement (two for an openid nobody bound): Discuz's
// three lookups (connect.php's uin_black check, fetch_by_openid, the member
// row) on the callback's hot path. The columns come from the Member and
// MemberConnect mappings, so the rows read here are the rows read
// everywhere else.
func (s *Store) LoginLookup(ctx context.Context, appID, openid string) (*LoginFacts, error) {
	openid = strings.ToUpper(openid)
	black := "SELECT COUNT(*) FROM " + s.T.Discuz("common_uin_black") + " WHERE uin = ?"
	// The binding drives the statement (no derived table: MariaDB would
	// build a temporary table for it, a quarter of the statement's cost);
	// every join compares with a constant, so indexes serve it whatever the
	// tables' charsets.
	q := "SELECT (" + black + "), COALESCE(i.id, 0), " + connectFields.selectList("c") + ", " + memberFields.selectList("m") +
		" FROM " + s.T.Discuz("common_member_connect") + " c LEFT JOIN " + s.T.Discuz("common_member") + " m ON m.uid = c.uid" +
		" LEFT JOIN " + s.T.Own("identity") + " i ON i.appid = ? AND i.openid = ?" +
		" WHERE c.conopenid = ? ORDER BY c.uid LIMIT 1"
	f := &LoginFacts{}
	var conn MemberConnect
	var member Member
	found := false
	err := s.hotQuery(ctx, q, []any{openid, appID, openid, openid}, func(rows *sql.Rows) error {
		found = true
		nc := len(connectFields.cols)
		raw := make([]sql.RawBytes, 2+nc+len(memberFields.cols))
		dest := make([]any, len(raw))
		for i := range raw {
			dest[i] = &raw[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		f.Blacklisted = string(raw[0]) != "0"
		f.IdentityID, _ = strconv.ParseInt(string(raw[1]), 10, 64)
		if err := connectFields.assign(&conn, raw[2:2+nc]); err != nil {
			return err
		}
		return memberFields.assign(&member, raw[2+nc:])
	})
	if err == nil && !found {
		// Not bound: only the blacklist is left to read.
		err = s.hotQuery(ctx, black, []any{openid}, func(rows *sql.Rows) error {
			var n int64
			err := rows.Scan(&n)
			f.Blacklisted = n > 0
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("look up the QQ binding: %w", err)
	}
	if conn.UID > 0 {
		f.Connect = &conn
	}
	if member.UID > 0 { // NULL (member gone) leaves 0; Discuz has no uid 0
		f.Member = &member
	}
	return f, nil
}
