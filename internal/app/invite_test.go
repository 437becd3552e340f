package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/testdb"
)

// TestRegisterInvite (issue 14 item 1): on an invite-only site the QQ
// register form asks for Discuz's 邀请码 and registers with a valid one as
// register_ctl does — getinvite() (typed code, the invite_auth cookie of
// an invite link, a member's personal link), the invite row used, the
// day's invite and friend counts, invitegroupid, inviteconfig's credits,
// the friendship (friend_make, friend_cache) and the inviter's
// invite_friend notice; a missing, wrong, used or expired code is refused
// with Discuz's not_open_registration_invite and writes nothing.
func TestRegisterInvite(t *testing.T) {
	cases := []struct{ name, version, charset, username string }{
		{"x3.4", testdb.X34, "", "inv_ok"},
		{"x3.5", testdb.X35, "", "inv_ok"},
		{"x3.4-gbk", testdb.X34, "gbk", "邀请用户"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s *testSite
			if c.charset != "" {
				s = newTestSiteOn(t, testdb.NewCharset(t, c.version, c.charset), nil, nil)
			} else {
				s = newTestSite(t, c.version, nil)
			}
			testRegisterInvite(t, s, c.username)
		})
	}
}

func testRegisterInvite(t *testing.T, s *testSite, username string) {
	now := time.Now().Unix()
	set := func(k, v string) { s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = ? WHERE skey = ?", v, k) }
	set("regstatus", "2")
	set("updatestat", "1")
	set("initcredits", "0,0,1,0,0,0,0,0,0")
	// creditsformula as installed: posts+digestposts*5+extcredits1*2+extcredits2+extcredits3;
	// group 10 holds 0..50 credits, 11 (invitegroupid) 50..200.
	set("creditsformula", "posts+digestposts*5+extcredits1*2+extcredits2+extcredits3")
	inviteConfig := func(add, invited string) {
		set("inviteconfig", `a:4:{s:13:"invitegroupid";s:2:"11";s:18:"inviterewardcredit";s:1:"2";s:15:"inviteaddcredit";s:`+itoa(int64(len(add)))+`:"`+add+`";s:16:"invitedaddcredit";s:`+itoa(int64(len(invited)))+`:"`+invited+`";}`)
	}
	inviteConfig("50", "5")
	s.settingsChanged()
	s.DB.Exec(t, "DELETE FROM pre_common_stat")

	inviter := s.addMember("inviter", "secret123", 10)
	s.DB.Exec(t, "INSERT INTO pre_common_member_count (uid, extcredits2) VALUES (?, 7)", inviter)
	s.DB.Exec(t, "INSERT INTO pre_common_member_field_home (uid, spacecss, blockposition, recentnote, spacenote, privacy, feedfriend, acceptemail, magicgift, stickblogs) VALUES (?, '', '', '', '', '', '', '', '', '')", inviter)
	for _, r := range []struct {
		id                int
		code              string
		fuid, endtime, by int64
	}{
		{1, "GOODCODE01", 0, 0, inviter},
		{2, "USEDCODE02", 1, 0, inviter},
		{3, "OLDCODE003", 0, now - 10, inviter},
		{4, "LINKCODE04", 0, now + 3600, inviter},
		{5, "LINKCODE05", 0, 0, inviter},
	} {
		s.DB.Exec(t, "INSERT INTO pre_common_invite (id, uid, code, fuid, dateline, endtime, status) VALUES (?, ?, ?, ?, ?, ?, 1)",
			r.id, r.by, r.code, r.fuid, now-100, r.endtime)
	}
	fingerprint := func() string {
		var b strings.Builder
		b.WriteString(s.checksum())
		rows, err := s.DB.SQL.Query("CHECKSUM TABLE pre_common_invite, pre_common_stat, pre_home_friend, pre_home_friendlog, pre_home_notification, pre_common_member_newprompt")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var sum any
			rows.Scan(&name, &sum)
			b.WriteString(name + "=" + itoa(toInt(sum)) + ";")
		}
		return b.String()
	}
	qq := 66000
	try := func(b *browser, name string, form url.Values) (*http.Response, string, int64) {
		t.Helper()
		qq++
		b.qqLogin(itoa(int64(qq)), "/")
		_, page := b.get("/connect/qq/bind")
		form.Set("username", name)
		form.Set("email", itoa(int64(qq))+"@example.com")
		resp, body := b.post("/connect/qq/bind", "/connect/qq/register", form)
		var uid int64
		s.DB.SQL.QueryRow("SELECT uid FROM pre_common_member WHERE username = ?", name).Scan(&uid)
		return resp, page + body, uid
	}

	// Refused, nothing written: no code, a wrong one, one differing in
	// case only (MySQL finds it, Discuz's == does not match), a used one,
	// an expired one.
	before := fingerprint()
	for _, code := range []string{"", "NOSUCHCODE", "goodcode01", "USEDCODE02", "OLDCODE003"} {
		resp, body, uid := try(s.browser(), "inv_no", url.Values{"invitecode": {code}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "需要有效的邀请码才能注册") || uid != 0 {
			t.Errorf("code %q: %d uid %d, want 422 not_open_registration_invite: %s", code, resp.StatusCode, uid, alertOf(body))
		}
		if !strings.Contains(body, `name="invitecode"`) || !strings.Contains(body, `id="invite-only"`) {
			t.Errorf("code %q: the register form has no required 邀请码 field", code)
		}
	}
	if after := fingerprint(); after != before {
		t.Errorf("a refused invite wrote rows:\n%s\n%s", before, after)
	}

	// The code used by another registration between the check and the
	// write (a trigger takes it when UCenter's row goes in): refused as
	// used, the whole registration undone.
	s.DB.Exec(t, "CREATE TRIGGER invite_race AFTER INSERT ON "+s.uc("members")+" FOR EACH ROW UPDATE pre_common_invite SET fuid = 999 WHERE id = 1")
	resp, body, uid := try(s.browser(), "inv_race", url.Values{"invitecode": {"GOODCODE01"}})
	s.DB.Exec(t, "DROP TRIGGER invite_race")
	s.DB.Exec(t, "UPDATE pre_common_invite SET fuid = 0 WHERE id = 1")
	if resp.StatusCode != http.StatusUnprocessableEntity || uid != 0 || !strings.Contains(body, "邀请链接已被使用") {
		t.Errorf("invite taken meanwhile: %d uid %d: %s", resp.StatusCode, uid, alertOf(body))
	}
	if after := fingerprint(); after != before {
		t.Errorf("a registration whose invite was taken left rows:\n%s\n%s", before, after)
	}

	// A valid code.
	resp, body, uid = try(s.browser(), username, url.Values{"invitecode": {" GOODCODE01 "}})
	if resp.StatusCode != http.StatusSeeOther || uid == 0 {
		t.Fatalf("valid code: %d uid %d: %s", resp.StatusCode, uid, alertOf(body))
	}
	var fuid, regdateline int64
	var fusername string
	var status int
	if err := s.DB.SQL.QueryRow("SELECT fuid, fusername, regdateline, status FROM pre_common_invite WHERE id = 1").Scan(&fuid, &fusername, &regdateline, &status); err != nil {
		t.Fatal(err)
	}
	if fuid != uid || fusername != username || regdateline < now || regdateline > time.Now().Unix() || status != 2 {
		t.Errorf("invite row: fuid %d %q regdateline %d status %d; want %d %q", fuid, fusername, regdateline, status, uid, username)
	}
	stat := func() (reg, inv, friend int) {
		t.Helper()
		if err := s.DB.SQL.QueryRow("SELECT COALESCE(SUM(register),0), COALESCE(SUM(invite),0), COALESCE(SUM(friend),0) FROM pre_common_stat").Scan(&reg, &inv, &friend); err != nil {
			t.Fatal(err)
		}
		return
	}
	if r, i, f := stat(); r != 1 || i != 1 || f != 1 {
		t.Errorf("stat: register %d invite %d friend %d, want 1 1 1", r, i, f)
	}
	// checkusergroup: 1+50 credits keep the new member in invitegroupid
	// 11; the inviter's 7+5 keep it in 10; both totals recomputed.
	member := func(uid int64) (groupid, credits, ext2 int64) {
		t.Helper()
		if err := s.DB.SQL.QueryRow("SELECT m.groupid, m.credits, c.extcredits2 FROM pre_common_member m JOIN pre_common_member_count c USING (uid) WHERE uid = ?", uid).Scan(&groupid, &credits, &ext2); err != nil {
			t.Fatal(err)
		}
		return
	}
	if g, cr, e := member(uid); g != 11 || cr != 51 || e != 51 {
		t.Errorf("new member: group %d credits %d extcredits2 %d, want 11 51 51", g, cr, e)
	}
	if g, cr, e := member(inviter); g != 10 || cr != 12 || e != 12 {
		t.Errorf("inviter: group %d credits %d extcredits2 %d, want 10 12 12", g, cr, e)
	}
	if n := s.count("SELECT COUNT(*) FROM pre_home_notification WHERE from_idtype = 'changeusergroup'"); n != 0 {
		t.Errorf("%d usergroup notices, want none", n)
	}
	checkFriends(t, s, inviter, "inviter", uid, username, now)
	var note, author, fromType string
	var isNew, authorID, fromID, fromNum, category int
	if err := s.DB.SQL.QueryRow("SELECT note, new, authorid, author, from_id, from_idtype, from_num, category FROM pre_home_notification WHERE uid = ? AND type = 'friend'", inviter).
		Scan(&note, &isNew, &authorID, &author, &fromID, &fromType, &fromNum, &category); err != nil {
		t.Fatalf("invite_friend notice: %v", err)
	}
	wantNote := `恭喜您成功邀请到 <a href="home.php?mod=space&uid=` + itoa(uid) + `">` + username + `</a> 并成为您的好友`
	if note != wantNote || isNew != 1 || authorID != 0 || author != "" || fromID != 0 || fromType != "" || fromNum != 1 || category != 2 {
		t.Errorf("notice: %q new %d author %d %q from %d %q %d category %d", note, isNew, authorID, author, fromID, fromType, fromNum, category)
	}
	var newprompt int
	var data string
	s.DB.SQL.QueryRow("SELECT newprompt FROM pre_common_member WHERE uid = ?", inviter).Scan(&newprompt)
	s.DB.SQL.QueryRow("SELECT data FROM pre_common_member_newprompt WHERE uid = ?", inviter).Scan(&data)
	if newprompt != 1 || data != `a:1:{s:6:"friend";i:1;}` {
		t.Errorf("inviter newprompt %d %q", newprompt, data)
	}

	// Discuz's invite link: the invite_auth cookie "id,code", used with the
	// field left empty, then dropped. Now 1+3 credits move the new member
	// out of invitegroupid 11 into 10, and the inviter's 12+40 into 11,
	// each told with user_usergroup.
	inviteConfig("3", "40")
	cookieName := discuz.CookieName(s.Pre, "/", "", "invite_auth")
	u, _ := url.Parse(s.URL)
	b := s.browser()
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: url.QueryEscape("4,LINKCODE04"), Path: "/"}})
	resp, body, uid2 := try(b, "inv_link", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || uid2 == 0 {
		t.Fatalf("invite link: %d: %s", resp.StatusCode, alertOf(body))
	}
	if !strings.Contains(body, `id="invite-link"`) {
		t.Error("the form does not say the invite link is in use")
	}
	if s.count("SELECT COUNT(*) FROM pre_common_invite WHERE id = 4 AND fuid = ? AND status = 2", uid2) != 1 {
		t.Error("the invite link's row is not marked used")
	}
	if b.jarCookie(cookieName) != "" {
		t.Error("invite_auth is not dropped after the registration")
	}
	if g, cr, _ := member(uid2); g != 10 || cr != 4 {
		t.Errorf("linked member: group %d credits %d, want 10 4", g, cr)
	}
	if g, cr, _ := member(inviter); g != 11 || cr != 52 {
		t.Errorf("inviter: group %d credits %d, want 11 52", g, cr)
	}
	for _, u := range []struct {
		uid   int64
		title string
	}{{uid2, "新手上路"}, {inviter, "注册会员"}} {
		var note string
		var category, authorID int
		if err := s.DB.SQL.QueryRow("SELECT note, category, authorid FROM pre_home_notification WHERE uid = ? AND type = 'system' AND from_idtype = 'changeusergroup' AND from_id = 0 AND new = 1", u.uid).Scan(&note, &category, &authorID); err != nil {
			t.Errorf("usergroup notice of uid %d: %v", u.uid, err)
		} else if want := discuz.UserUsergroupNote(u.title); note != want || category != 3 || authorID != 0 {
			t.Errorf("usergroup notice of uid %d: %q category %d, want %q", u.uid, note, category, want)
		}
	}
	var prompt string
	s.DB.SQL.QueryRow("SELECT data FROM pre_common_member_newprompt WHERE uid = ?", inviter).Scan(&prompt)
	if prompt != `a:2:{s:6:"friend";i:2;s:6:"system";i:1;}` {
		t.Errorf("inviter newprompt data %q", prompt)
	}
	if s.count("SELECT friends FROM pre_common_member_count WHERE uid = ?", inviter) != 2 {
		t.Error("the inviter's friend count is not 2")
	}
	var feed string
	s.DB.SQL.QueryRow("SELECT feedfriend FROM pre_common_member_field_home WHERE uid = ?", inviter).Scan(&feed)
	if feed != itoa(uid2)+","+itoa(uid) && feed != itoa(uid)+","+itoa(uid2) {
		t.Errorf("inviter feedfriend %q", feed)
	}

	// A cookie whose code is wrong: refused, dropped, nothing written.
	before = fingerprint()
	b = s.browser()
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: url.QueryEscape("5,WRONGCODE"), Path: "/"}})
	resp, body, uid3 := try(b, "inv_badlink", url.Values{})
	if resp.StatusCode != http.StatusUnprocessableEntity || uid3 != 0 || !strings.Contains(body, "需要有效的邀请码才能注册") {
		t.Errorf("wrong invite link: %d uid %d: %s", resp.StatusCode, uid3, alertOf(body))
	}
	if b.jarCookie(cookieName) != "" {
		t.Error("a wrong invite_auth is not dropped")
	}
	if after := fingerprint(); after != before {
		t.Error("a wrong invite link wrote rows")
	}

	// A member's personal link "uid,key,appid": no invite row, but the
	// friendship and credits; only when the group may invite for free.
	var pw, siteID string
	s.DB.SQL.QueryRow("SELECT password FROM pre_common_member WHERE uid = ?", inviter).Scan(&pw)
	s.DB.SQL.QueryRow("SELECT svalue FROM pre_common_setting WHERE skey = 'siteuniqueid'").Scan(&siteID)
	key := discuz.PersonalInviteKeyX34(siteID, inviter, 0)
	if s.DB.Version == testdb.X35 {
		key = discuz.PersonalInviteKeyX35(pw, inviter)
	}
	personal := url.QueryEscape(itoa(inviter) + "," + key + ",0")
	s.DB.Exec(t, "UPDATE pre_common_usergroup SET allowinvite = 0 WHERE groupid IN (10, 11)")
	b = s.browser()
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: personal, Path: "/"}})
	if resp, body, uid4 := try(b, "inv_pers_no", url.Values{}); resp.StatusCode != http.StatusUnprocessableEntity || uid4 != 0 {
		t.Errorf("personal link of a group that may not invite: %d: %s", resp.StatusCode, alertOf(body))
	}
	s.DB.Exec(t, "UPDATE pre_common_usergroup SET allowinvite = 1, inviteprice = 0 WHERE groupid IN (10, 11)")
	_, inv0, _ := stat()
	// The feed: only with 动态 on and the inviter's privacy asking for it.
	if n := s.count("SELECT COUNT(*) FROM pre_home_feed"); n != 0 {
		t.Errorf("%d feeds without feedstatus", n)
	}
	set("feedstatus", "1")
	s.DB.Exec(t, "UPDATE pre_common_member_field_home SET privacy = ? WHERE uid = ?", `a:1:{s:4:"feed";a:1:{s:6:"invite";i:1;}}`, inviter)
	b = s.browser()
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: personal, Path: "/"}})
	resp, body, uid5 := try(b, "inv_pers", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || uid5 == 0 {
		t.Fatalf("personal link: %d: %s", resp.StatusCode, alertOf(body))
	}
	if _, inv1, _ := stat(); inv1 != inv0 {
		t.Errorf("a personal link counted as a used invite row")
	}
	if s.count("SELECT COUNT(*) FROM pre_home_friend WHERE uid = ? AND fuid = ?", inviter, uid5) != 1 {
		t.Error("personal link: no friendship")
	}
	var icon, fname, title, titleData, bodyData string
	var fuidFeed int64
	if err := s.DB.SQL.QueryRow("SELECT uid, username, icon, title_template, title_data, body_data FROM pre_home_feed").Scan(&fuidFeed, &fname, &icon, &title, &titleData, &bodyData); err != nil {
		t.Fatalf("invite feed: %v", err)
	}
	link := `<a href="home.php?mod=space&uid=` + itoa(uid5) + `">inv_pers</a>`
	if fuidFeed != inviter || fname != "inviter" || icon != "friend" || title != "{actor} 发起邀请，和 {username} 成为了好友" ||
		titleData != `a:1:{s:8:"username";s:`+itoa(int64(len(link)))+`:"`+link+`";}` || bodyData != "a:0:{}" {
		t.Errorf("invite feed: %d %q %q %q %q %q", fuidFeed, fname, icon, title, titleData, bodyData)
	}

	// regstatus 3: open, the code optional; a wrong one is no invite.
	set("regstatus", "3")
	resp, body, uid6 := try(s.browser(), "inv_open", url.Values{"invitecode": {"NOSUCHCODE"}})
	if resp.StatusCode != http.StatusSeeOther || uid6 == 0 {
		t.Fatalf("regstatus 3: %d: %s", resp.StatusCode, alertOf(body))
	}
	if !strings.Contains(body, `name="invitecode"`) || strings.Contains(body, `id="invite-only"`) {
		t.Error("regstatus 3: the form should offer an optional 邀请码")
	}
	if g, _, _ := member(uid6); g == 11 || s.count("SELECT COUNT(*) FROM pre_home_friend WHERE fuid = ?", uid6) != 0 {
		t.Errorf("regstatus 3 without a valid code got the invite's group %d or friends", g)
	}
}

// checkFriends asserts friend_make's rows between an inviter and a new member.
func checkFriends(t *testing.T, s *testSite, inviter int64, inviterName string, uid int64, username string, now int64) {
	t.Helper()
	for _, r := range []struct {
		uid, fuid int64
		fusername string
	}{{inviter, uid, username}, {uid, inviter, inviterName}} {
		var fname, note string
		var gid, num int
		var dateline int64
		if err := s.DB.SQL.QueryRow("SELECT fusername, gid, num, dateline, note FROM pre_home_friend WHERE uid = ? AND fuid = ?", r.uid, r.fuid).Scan(&fname, &gid, &num, &dateline, &note); err != nil {
			t.Errorf("friend row %d→%d: %v", r.uid, r.fuid, err)
			continue
		}
		if fname != r.fusername || gid != 0 || num != 0 || dateline < now || note != "" {
			t.Errorf("friend row %d→%d: %q gid %d num %d dateline %d note %q", r.uid, r.fuid, fname, gid, num, dateline, note)
		}
	}
	var action string
	if err := s.DB.SQL.QueryRow("SELECT action FROM pre_home_friendlog WHERE uid = ? AND fuid = ?", max(uid, inviter), min(uid, inviter)).Scan(&action); err != nil || action != "add" {
		t.Errorf("friendlog: %q %v", action, err)
	}
	var friends int
	var feed string
	s.DB.SQL.QueryRow("SELECT friends FROM pre_common_member_count WHERE uid = ?", uid).Scan(&friends)
	s.DB.SQL.QueryRow("SELECT feedfriend FROM pre_common_member_field_home WHERE uid = ?", uid).Scan(&feed)
	if friends != 1 || feed != itoa(inviter) {
		t.Errorf("new member friend cache: %d %q", friends, feed)
	}
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case []byte:
		var n int64
		for _, c := range x {
			n = n*10 + int64(c-'0')
		}
		return n
	}
	return 0
}
