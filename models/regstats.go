package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"qqconnect/discuz"
)

// What Discuz's register_ctl::on_register does after the member rows, which
// a QQ registration goes through too (class_member.php; the QQ extrafile
// member_connect_register.php runs build_cache_userstats again after it
// has deleted the guest row): the day's register count in pre_common_stat
// (when updatestat is on), the welcome notice (welcomemsg 1 or 3), and the
// userstats cache (members and the newest member on the forum index).

// RegAftermath is the site settings those steps read.
type RegAftermath struct {
	UpdateStat   bool    // pre_common_setting.updatestat
	TimeOffset   float64 // the site's timeoffset in hours (dgmdate for a member whose timeoffset is 9999)
	WelcomeMsg   int     // 0 none, 1 notice, 2 mail, 3 both
	WelcomeTitle string
	WelcomeText  string
	SiteName     string
	BBName       string
	AdminEmail   string
	SiteURL      string // Discuz's siteurl, ending in "/": the welcome mail's links
	MemberSplit  bool   // pre_common_member_archive holds members too
	// VerifyNotify are the administrators whose 管理通知 include
	// verifyuser (pre_common_setting notifyusers / adminnotifytypes).
	VerifyNotify []int64
}

// LoadRegAftermath reads the settings Discuz's register applies after the rows.
func (s *Store) LoadRegAftermath(ctx context.Context) (*RegAftermath, error) {
	m, err := s.Settings(ctx, "updatestat", "timeoffset", "welcomemsg", "welcomemsgtitle", "welcomemsgtxt",
		"sitename", "bbname", "adminemail", "membersplit", "notifyusers", "adminnotifytypes")
	if err != nil {
		return nil, err
	}
	a := &RegAftermath{
		UpdateStat:   discuz.PHPTruthy(m["updatestat"]),
		WelcomeTitle: m["welcomemsgtitle"], WelcomeText: m["welcomemsgtxt"],
		SiteName: m["sitename"], BBName: m["bbname"], AdminEmail: m["adminemail"],
		MemberSplit: discuz.PHPTruthy(m["membersplit"]),
	}
	a.WelcomeMsg, _ = strconv.Atoi(strings.TrimSpace(m["welcomemsg"]))
	a.TimeOffset, _ = strconv.ParseFloat(strings.TrimSpace(m["timeoffset"]), 64)
	a.VerifyNotify = s.notifyUsers(m["notifyusers"], m["adminnotifytypes"], "verifyuser")
	return a, nil
}

// notifyUsers is manage_addnotify's list: the uids of notifyusers whose
// types string has a truthy character at the position of typ in
// adminnotifytypes. Unreadable values give none, as PHP's would.
func (s *Store) notifyUsers(serialized, types, typ string) []int64 {
	idx := -1
	for i, t := range strings.Split(types, ",") {
		if t == typ {
			idx = i
			break
		}
	}
	if idx < 0 || serialized == "" {
		return nil
	}
	arr, err := s.UnserializeSetting(serialized)
	if err != nil {
		return nil
	}
	var out []int64
	for _, e := range arr.Entries {
		uid, err := strconv.ParseInt(e.Key.String(), 10, 64)
		if err != nil || uid <= 0 || e.Val.Arr == nil {
			continue
		}
		flags := e.Val.Arr.GetString("types")
		if idx < len(flags) && flags[idx] != '0' {
			out = append(out, uid)
		}
	}
	return out
}

// ManageVerifyUserNote is lang_notification's manage_verifyuser.
const ManageVerifyUserNote = `有新的待审核会员。<a href="admin.php?action=moderate&operation=members">现在进行审核</a>`

// notifyVerifyUser is manage_addnotify('verifyuser') after a registration
// that awaits approval: notification_add(admin, 'verifyuser',
// 'manage_verifyuser', {from_id 1, from_idtype verifyuser}, system, category
// 4 "manage") for each administrator in a.VerifyNotify who exists and has
// not filtered it out. An admin's earlier such notice is updated (from_num
// + 1, new again) rather than repeated; newprompt and the member's
// newprompt counts {manage} grow only when that notice was not new. The
// mail notification_add would send is not: qqconnect sends no mail.
func (s *Store) notifyVerifyUser(w *writer, a *RegAftermath, now time.Time) error {
	tn, tm, tp := s.T.Discuz("home_notification"), s.T.Discuz("common_member"), s.T.Discuz("common_member_newprompt")
	if !s.Schema.HasTable(tn) || !s.Schema.HasTable(tp) {
		return nil
	}
	note := s.Fit(tn, "note", ManageVerifyUserNote)
	for _, uid := range a.VerifyNotify {
		var exists int64
		if err := w.tx.Table(tm).Where("uid = ?", uid).Count(&exists).Error; err != nil {
			return fmt.Errorf("read administrator uid %d: %w", uid, err)
		} else if exists == 0 {
			continue // getuserbyuid: no such member
		}
		if filtered, err := s.filtersNotice(w, uid, "verifyuser|0"); err != nil {
			return err
		} else if filtered {
			continue
		}
		var old struct {
			ID       int64
			New      int
			FromNum  int64
			Type     string
			Note     string
			Dateline int64
			Category int
			AuthorID int64
			Author   string
		}
		found := false
		rows, err := w.tx.Raw("SELECT id, new, from_num, type, note, dateline, category, authorid, author FROM "+tn+
			" WHERE from_id = 1 AND from_idtype = 'verifyuser' AND uid = ? LIMIT 1", uid).Rows()
		if err != nil {
			return fmt.Errorf("read the verifyuser notice of uid %d: %w", uid, err)
		}
		if rows.Next() {
			found = true
			err = rows.Scan(&old.ID, &old.New, &old.FromNum, &old.Type, &old.Note, &old.Dateline, &old.Category, &old.AuthorID, &old.Author)
		}
		rows.Close()
		if err != nil {
			return fmt.Errorf("read the verifyuser notice of uid %d: %w", uid, err)
		}
		if found {
			o := old
			if err := w.exec(func(db *gorm.DB) error {
				return db.Exec("UPDATE "+tn+" SET type = ?, new = ?, authorid = ?, author = ?, note = ?, dateline = ?, from_num = ?, category = ? WHERE id = ?",
					o.Type, o.New, o.AuthorID, o.Author, o.Note, o.Dateline, o.FromNum, o.Category, o.ID).Error
			}, "UPDATE "+tn+" SET type = 'verifyuser', new = 1, authorid = 0, author = '', note = ?, dateline = ?, from_num = ?, category = 4 WHERE id = ?",
				note, now.Unix(), old.FromNum+1, old.ID); err != nil {
				return fmt.Errorf("update the verifyuser notice of uid %d: %w", uid, err)
			}
		} else if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("DELETE FROM "+tn+" WHERE uid = ? AND from_id = 1 AND from_idtype = 'verifyuser'", uid).Error
		}, "INSERT INTO "+tn+" (uid, type, new, authorid, author, note, dateline, from_id, from_idtype, from_num, category) VALUES (?, 'verifyuser', 1, 0, '', ?, ?, 1, 'verifyuser', 1, 4)",
			uid, note, now.Unix()); err != nil {
			return fmt.Errorf("write the verifyuser notice of uid %d: %w", uid, err)
		}
		if found && old.New != 0 {
			continue // already counted as new
		}
		if err := s.countNotice(w, uid, "manage"); err != nil {
			return err
		}
	}
	return nil
}

// bumpNewprompt adds one to category in the member's
// pre_common_member_newprompt data (serialized), creating the row.
func (s *Store) bumpNewprompt(w *writer, tp string, uid int64, category string) error {
	var datas []string
	if err := w.tx.Table(tp).Where("uid = ?", uid).Limit(1).Pluck("data", &datas).Error; err != nil {
		return fmt.Errorf("read the newprompt of uid %d: %w", uid, err)
	}
	if len(datas) == 0 {
		data := string(discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: &discuz.Array{Entries: []discuz.Entry{{Key: discuz.Str(category), Val: discuz.Int(1)}}}}))
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("DELETE FROM "+tp+" WHERE uid = ?", uid).Error
		}, "INSERT INTO "+tp+" (uid, data) VALUES (?, ?)", uid, data); err != nil {
			return fmt.Errorf("write the newprompt of uid %d: %w", uid, err)
		}
		return nil
	}
	before := datas[0]
	arr, err := discuz.UnserializeText(before, "")
	if err != nil {
		arr = &discuz.Array{} // dunserialize of a broken value is empty too
	}
	n := int64(0)
	if v, ok := arr.Get(category); ok {
		n, _ = strconv.ParseInt(v.String(), 10, 64)
	}
	arr.Set(category, discuz.Int(n+1))
	after := string(discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: arr}))
	if err := w.exec(func(db *gorm.DB) error {
		return db.Exec("UPDATE "+tp+" SET data = ? WHERE uid = ?", before, uid).Error
	}, "UPDATE "+tp+" SET data = ? WHERE uid = ?", after, uid); err != nil {
		return fmt.Errorf("write the newprompt of uid %d: %w", uid, err)
	}
	return nil
}

// siteTime is t in the site's time zone (dgmdate with timeoffset).
func (a *RegAftermath) siteTime(t time.Time) time.Time {
	return t.In(time.FixedZone("site", int(a.TimeOffset*3600)))
}

// WelcomeNote is the notice text Discuz writes: replacesitevar, then
// nl2br and ':' as &#58;, then lang()'s {actor}/{from_*} variables.
func (a *RegAftermath) WelcomeNote(username string, uid int64, now time.Time) string {
	text := a.replaceSiteVars(a.WelcomeText, username, now)
	text = nl2br(strings.ReplaceAll(text, ":", "&#58;"))
	return strings.NewReplacer(
		"{from_id}", "0", "{from_idtype}", "welcomemsg", "{from_num}", "1",
		"{actor}", fmt.Sprintf(`<a href="home.php?mod=space&uid=%d">%s</a>`, uid, username),
	).Replace(text)
}

// replaceSiteVars is replacesitevar() for the new member.
func (a *RegAftermath) replaceSiteVars(text, username string, now time.Time) string {
	st := a.siteTime(now)
	return strings.NewReplacer(
		"{sitename}", a.SiteName, "{bbname}", a.BBName,
		"{time}", fmt.Sprintf("%d-%d-%d %02d:%02d", st.Year(), st.Month(), st.Day(), st.Hour(), st.Minute()),
		"{adminemail}", a.AdminEmail, "{username}", username, "{myname}", username,
	).Replace(text)
}

// hrefAttr is a link in the welcome text; sendmail_cron() points the ones
// not starting with http:// or https:// (any case) at the site.
var hrefAttr = regexp.MustCompile(`(?i)href="([^"]+)"`)

// WelcomeMail is the welcome mail sendmail_cron() queues (welcomemsg 2 and
// 3): replacesitevar() on the title and the text, and every relative link
// made absolute with the site URL. Discuz's own replacement there writes
// the site URL without the link's path ('\1' is the empty look-ahead
// group); qqconnect keeps the path, as sendmail() itself does.
func (a *RegAftermath) WelcomeMail(username string, now time.Time) (subject, message string) {
	message = a.replaceSiteVars(a.WelcomeText, username, now)
	message = hrefAttr.ReplaceAllStringFunc(message, func(m string) string {
		link := hrefAttr.FindStringSubmatch(m)[1]
		if l := strings.ToLower(link); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			return m
		}
		return `href="` + a.SiteURL + link + `"`
	})
	return a.replaceSiteVars(a.WelcomeTitle, username, now), message
}

// welcomeMail queues the welcome mail as sendmail_cron() does: the
// address's pre_common_mailcron row (made when it has none) and a
// pre_common_mailqueue row, which Discuz's mail cron sends.
func (s *Store) welcomeMail(w *writer, a *RegAftermath, email, username string, now time.Time) error {
	tc, tq := s.T.Discuz("common_mailcron"), s.T.Discuz("common_mailqueue")
	if (a.WelcomeMsg != 2 && a.WelcomeMsg != 3) || a.WelcomeText == "" || !s.Schema.HasTable(tc) || !s.Schema.HasTable(tq) ||
		strings.HasSuffix(strings.ToLower(email), "@m.invalid") {
		return nil
	}
	var cid int64
	if err := w.tx.Table(tc).Where("email = ?", email).Order("sendtime").Limit(1).Pluck("cid", &cid).Error; err != nil {
		return fmt.Errorf("welcome mail of %q: %w", username, err)
	}
	if cid == 0 {
		if err := w.exec(func(db *gorm.DB) error {
			return db.Exec("DELETE FROM "+tc+" WHERE email = ?", email).Error
		}, "INSERT INTO "+tc+" (touid, email, sendtime) VALUES (0, ?, 0)", email); err != nil {
			return fmt.Errorf("welcome mail of %q: %w", username, err)
		}
		if err := w.tx.Table(tc).Where("email = ?", email).Order("cid DESC").Limit(1).Pluck("cid", &cid).Error; err != nil {
			return fmt.Errorf("welcome mail of %q: %w", username, err)
		}
	}
	subject, message := a.WelcomeMail(username, now)
	if err := w.exec(func(db *gorm.DB) error {
		return db.Exec("DELETE FROM "+tq+" WHERE cid = ? AND dateline = ?", cid, now.Unix()).Error
	}, "INSERT INTO "+tq+" (cid, subject, message, dateline) VALUES (?, ?, ?, ?)", cid, subject, message, now.Unix()); err != nil {
		return fmt.Errorf("welcome mail of %q: %w", username, err)
	}
	return nil
}

// nl2br is PHP's: "<br />" before every \r\n, \n\r, \n and \r.
func nl2br(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			b.WriteString("<br />")
			b.WriteByte(c)
			if i+1 < len(s) && (s[i+1] == '\r' || s[i+1] == '\n') && s[i+1] != c {
				i++
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// regAftermathTables are the tables the steps write, for the unit's engine check.
func (s *Store) regAftermathTables() []string {
	return []string{s.T.Discuz("common_stat"), s.T.Discuz("common_statuser"), s.T.Discuz("home_notification"),
		s.T.Discuz("common_member_newprompt"), s.T.Discuz("common_syscache"),
		s.T.Discuz("common_mailcron"), s.T.Discuz("common_mailqueue")}
}

// countRegistration is updatestat('register').
func (s *Store) countRegistration(w *writer, a *RegAftermath, now time.Time) error {
	return s.updateStat(w, a, now, "register")
}

// updateStat is updatestat(column) without a per-user marker
// (table_common_stat::updatestat): the day's row (in the site's time zone)
// gets column+1, created when missing; a new day clears the per-user
// markers of earlier days, as Discuz does. column is one of the code's
// own names, never input.
func (s *Store) updateStat(w *writer, a *RegAftermath, now time.Time, column string) error {
	t := s.T.Discuz("common_stat")
	if !a.UpdateStat || !s.Schema.HasTable(t) || !s.Schema.Has(t, column) {
		return nil
	}
	c := "`" + column + "`"
	day, _ := strconv.Atoi(a.siteTime(now).Format("20060102"))
	var n int64
	if err := w.tx.Table(t).Where("daytime = ?", day).Count(&n).Error; err != nil {
		return fmt.Errorf("read %s: %w", t, err)
	}
	if n > 0 {
		return w.exec(func(db *gorm.DB) error {
			return db.Exec("UPDATE "+t+" SET "+c+" = "+c+" - 1 WHERE daytime = ? AND "+c+" > 0", day).Error
		}, "UPDATE "+t+" SET "+c+" = "+c+" + 1 WHERE daytime = ?", day)
	}
	if err := w.exec(func(db *gorm.DB) error {
		return db.Exec("DELETE FROM "+t+" WHERE daytime = ? AND "+c+" = 1", day).Error
	}, "INSERT INTO "+t+" (daytime, "+c+") VALUES (?, 1) ON DUPLICATE KEY UPDATE "+c+" = "+c+" + 1", day); err != nil {
		return fmt.Errorf("count %s in %s: %w", column, t, err)
	}
	if su := s.T.Discuz("common_statuser"); s.Schema.HasTable(su) {
		// earlier days' markers, which Discuz drops here too; nothing to undo
		if err := w.exec(nil, "DELETE FROM "+su+" WHERE daytime != ?", day); err != nil {
			return fmt.Errorf("clear %s: %w", su, err)
		}
	}
	return nil
}

// welcome is notification_add($uid, 'system', $welcomemsgtxt, from_idtype
// 'welcomemsg', system) for welcomemsg 1 and 3: the notice (category 3,
// system), newprompt+1 and the member's newprompt counts {system: 1}. The
// mail of welcomemsg 2 and 3 is not sent: qqconnect does not send mail.
func (s *Store) welcome(w *writer, a *RegAftermath, uid int64, username string, now time.Time) error {
	tn, tp := s.T.Discuz("home_notification"), s.T.Discuz("common_member_newprompt")
	if (a.WelcomeMsg != 1 && a.WelcomeMsg != 3) || a.WelcomeText == "" || !s.Schema.HasTable(tn) || !s.Schema.HasTable(tp) {
		return nil
	}
	note := s.Fit(tn, "note", a.WelcomeNote(username, uid, now))
	if err := w.exec(func(db *gorm.DB) error {
		return db.Exec("DELETE FROM "+tn+" WHERE uid = ? AND from_idtype = 'welcomemsg'", uid).Error
	}, "INSERT INTO "+tn+" (uid, type, new, authorid, author, note, dateline, from_id, from_idtype, from_num, category) VALUES (?, 'system', 1, 0, '', ?, ?, 0, 'welcomemsg', 1, 3)",
		uid, note, now.Unix()); err != nil {
		return fmt.Errorf("write the welcome notice of uid %d: %w", uid, err)
	}
	// checkusergroup may have given the new member a notice already
	return s.countNotice(w, uid, "system")
}

// UserStatsCacheName is the syscache row (and memory key) of build_cache_userstats.
const UserStatsCacheName = "userstats"

// rebuildUserStats is build_cache_userstats(): totalmembers =
// count(common_member) (+ the archive when membersplit is on) + count(the
// QQ guest rows), as table_common_member::count() adds them; newsetuser =
// the username of the highest uid; saved as the serialized array row.
func (s *Store) rebuildUserStats(w *writer, a *RegAftermath, charset string, now time.Time) error {
	tc := s.T.Discuz("common_syscache")
	var total, n int64
	if err := w.tx.Table(s.T.Discuz("common_member")).Count(&total).Error; err != nil {
		return fmt.Errorf("count members: %w", err)
	}
	if arch := s.T.Discuz("common_member_archive"); a.MemberSplit && s.Schema.HasTable(arch) {
		if err := w.tx.Table(arch).Count(&n).Error; err != nil {
			return fmt.Errorf("count archived members: %w", err)
		}
		total += n
	}
	if err := w.tx.Table(s.T.Discuz("common_connect_guest")).Count(&n).Error; err != nil {
		return fmt.Errorf("count QQ guests: %w", err)
	}
	total += n
	var newest []string
	if err := w.tx.Table(s.T.Discuz("common_member")).Order("uid DESC").Limit(1).Pluck("username", &newest).Error; err != nil {
		return fmt.Errorf("read the newest member: %w", err)
	}
	name := ""
	if len(newest) > 0 {
		name = newest[0]
	}
	// The blob holds the site's bytes, as PHP serialized them.
	siteName, err := discuz.ToCharset(name, charset)
	if err != nil {
		siteName = name
	}
	stats := &discuz.Array{}
	stats.Set("totalmembers", discuz.Int(total))
	stats.Set("newsetuser", discuz.Str(siteName))
	data := discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: stats})

	var old struct {
		Ctype    int
		Dateline int64
		Data     []byte
	}
	err = w.tx.Raw("SELECT ctype, dateline, data FROM "+tc+" WHERE cname = ?", UserStatsCacheName).Row().Scan(&old.Ctype, &old.Dateline, &old.Data)
	had := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read the userstats cache: %w", err)
	}
	return w.exec(func(db *gorm.DB) error {
		if !had {
			return db.Exec("DELETE FROM "+tc+" WHERE cname = ?", UserStatsCacheName).Error
		}
		return db.Exec("REPLACE INTO "+tc+" (cname, ctype, dateline, data) VALUES (?, ?, ?, ?)", UserStatsCacheName, old.Ctype, old.Dateline, old.Data).Error
	}, "REPLACE INTO "+tc+" (cname, ctype, dateline, data) VALUES (?, 1, ?, ?)", UserStatsCacheName, now.Unix(), data)
}
