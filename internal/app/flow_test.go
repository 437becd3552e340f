package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"qqconnect/admin/repair"
	"qqconnect/discuz"
	"qqconnect/internal/testdb"
	"qqconnect/models"
	"qqconnect/plugin/sandbox"
)

var versions = []string{testdb.X34, testdb.X35}

// TestRegisterThroughQQ: an unknown QQ user lands on the bind page, creates a
// new account, and ends up with exactly the rows Discuz writes and Discuz's
// own login cookie; a later QQ login logs the same member in.
func TestRegisterThroughQQ(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			b := s.browser()
			resp, body := b.qqLogin("20001", "forum.php?mod=viewthread&tid=7")
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/connect/qq/bind" {
				t.Fatalf("callback: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			openid := sandbox.OpenID(s.AppID, "20001")
			if n := s.count("SELECT count(*) FROM pre_common_connect_guest WHERE conopenid=? AND conqqnick=? AND conuintoken<>''", openid, "企鹅20001"); n != 1 {
				t.Fatalf("guest rows = %d, want 1", n)
			}
			_, page := b.get("/connect/qq/bind")
			if !strings.Contains(page, "企鹅20001") {
				t.Fatalf("bind page does not show the QQ nickname: %.500s", page)
			}
			resp, body = b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"qq_newbie"}, "email": {"newbie@example.com"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/forum.php?mod=viewthread&tid=7" {
				t.Fatalf("register: %d %q %.500s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			uid := b.discuzLogin()
			if uid == 0 {
				t.Fatal("not logged in after register")
			}
			// UCenter + the six member tables, same uid.
			var hash, salt string
			if err := s.DB.SQL.QueryRow("SELECT password, salt FROM pre_ucenter_members WHERE uid=? AND username='qq_newbie' AND email='newbie@example.com'", uid).Scan(&hash, &salt); err != nil {
				t.Fatalf("UCenter row: %v", err)
			}
			if v == testdb.X35 && (salt != "" || !strings.HasPrefix(hash, "$2y$")) {
				t.Errorf("X3.5 UCenter password should be bcrypt with empty salt, got salt %q hash %.4s", salt, hash)
			}
			if v == testdb.X34 && (len(salt) != 6 || len(hash) != 32) {
				t.Errorf("X3.4 UCenter password should be md5 with a 6-char salt, got salt %q", salt)
			}
			for _, table := range []string{"pre_ucenter_memberfields", "pre_common_member", "pre_common_member_status",
				"pre_common_member_count", "pre_common_member_profile", "pre_common_member_field_forum", "pre_common_member_field_home"} {
				if n := s.count("SELECT count(*) FROM "+table+" WHERE uid=?", uid); n != 1 {
					t.Errorf("%s rows for uid %d = %d, want 1", table, uid, n)
				}
			}
			if n := s.count("SELECT count(*) FROM pre_common_member WHERE uid=? AND conisbind=1 AND groupid=10 AND avatarstatus=0 AND adminid=0 AND timeoffset='9999' AND length(password)=32", uid); n != 1 {
				t.Error("pre_common_member not as Discuz writes it (conisbind=1, groupid=10, timeoffset 9999, md5 password)")
			}
			if n := s.count(`SELECT count(*) FROM pre_common_member_connect WHERE uid=? AND conopenid=? AND conisregister=1
				AND conisfeed=1 AND conuin='' AND conuinsecret='' AND conuintoken<>'' AND conispublishfeed=0 AND conispublisht=0
				AND conisqzoneavatar=0 AND conisqqshow=0`, uid, strings.ToUpper(openid)); n != 1 {
				t.Error("pre_common_member_connect row is not exactly Discuz's")
			}
			if n := s.count("SELECT count(*) FROM pre_connect_memberbindlog WHERE uid=? AND uin=? AND type=1", uid, openid); n != 1 {
				t.Error("bind log type 1 missing")
			}
			if n := s.count("SELECT count(*) FROM pre_common_connect_guest WHERE conopenid=?", openid); n != 0 {
				t.Error("guest row not removed")
			}
			if n := s.count("SELECT count(*) FROM pre_qqconnect_identity WHERE uid=? AND openid=? AND unionid=? AND nickname='企鹅20001'", uid, openid, sandbox.UnionID("20001")); n != 1 {
				t.Error("identity row (unionid, nickname) missing")
			}
			// register_rewardcredit=1 with an empty register_addcredit gives no bonus.
			if n := s.count("SELECT extcredits1 FROM pre_common_member_count WHERE uid=?", uid); n != 0 {
				t.Errorf("extcredits1 = %d, want 0", n)
			}

			// A fresh browser logs straight in with the same QQ.
			b2 := s.browser()
			resp, body = b2.qqLogin("20001", "/forum.php")
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/forum.php" {
				t.Fatalf("second login: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if got := b2.discuzLogin(); got != uid {
				t.Fatalf("second login is uid %d, want %d", got, uid)
			}
		})
	}
}

// TestBindExisting: the password check guards the bind, wrong passwords are
// rate-limited and write nothing, the right one binds with Discuz's rows.
func TestBindExisting(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			uid := s.addMember("alice", "correct horse", 10)
			b := s.browser()
			b.qqLogin("30001", "/")
			before := s.checksum()
			for i := 0; i < 5; i++ {
				resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"alice"}, "password": {"wrong"}})
				if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "用户名或密码错误") {
					t.Fatalf("wrong password %d: status %d %.300s", i, resp.StatusCode, body)
				}
			}
			resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"alice"}, "password": {"correct horse"}})
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("6th attempt on one account: status %d, want 429: %.300s", resp.StatusCode, body)
			}
			if after := s.checksum(); after != before {
				t.Fatalf("refused binds changed Discuz tables:\n%s\n%s", before, after)
			}
			// Another account from the same browser is not locked by alice's failures.
			uid2 := s.addMember("bob", "bob-secret", 10)
			resp, body = b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"Bob"}, "password": {"bob-secret"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("bind bob: %d %.500s", resp.StatusCode, body)
			}
			if got := b.discuzLogin(); got != uid2 {
				t.Fatalf("logged in as %d, want bob %d", got, uid2)
			}
			openid := sandbox.OpenID(s.AppID, "30001")
			if n := s.count(`SELECT count(*) FROM pre_common_member_connect WHERE uid=? AND conopenid=? AND conisregister=0 AND conisfeed=1 AND conuintoken<>''`, uid2, openid); n != 1 {
				t.Error("connect row for bob not written as Discuz does")
			}
			if n := s.count("SELECT count(*) FROM pre_common_member WHERE uid=? AND conisbind=1", uid2); n != 1 {
				t.Error("conisbind not set")
			}
			if n := s.count("SELECT count(*) FROM pre_connect_memberbindlog WHERE uid=? AND uin=? AND type=1", uid2, openid); n != 1 {
				t.Error("bind log missing")
			}
			if n := s.count("SELECT count(*) FROM pre_common_member_connect WHERE uid=?", uid); n != 0 {
				t.Error("alice got a binding")
			}
		})
	}
}

// TestRefusals: every case Discuz refuses gets a clear page and writes nothing.
// TestRegisterAwaitingApproval (issue 14 #1): on a site that approves new
// members by hand (regverify=2) a QQ registration lands in group 8 with
// Discuz's pre_common_member_validate row, so it appears in 审核用户; with
// QQ registrations exempt (connect.register_regverify) neither.
func TestRegisterAwaitingApproval(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			s.DB.Exec(t, "REPLACE INTO pre_common_setting (skey, svalue) VALUES ('regverify', '2')")
			regverify := func(from, to string) { // connect.register_regverify: QQ registrations exempt ("1", Discuz's default)
				s.DB.Exec(t, "UPDATE pre_common_setting SET svalue=REPLACE(svalue, ?, ?) WHERE skey='connect'",
					`s:18:"register_regverify";s:1:"`+from+`"`, `s:18:"register_regverify";s:1:"`+to+`"`)
				s.settingsChanged()
			}
			regverify("1", "0")
			register := func(qq, name string) int64 {
				b := s.browser()
				b.qqLogin(qq, "/")
				if resp, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {name}, "email": {name + "@example.com"}}); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("register %s: %d %.300s", name, resp.StatusCode, body)
				}
				var uid int64
				s.DB.SQL.QueryRow("SELECT uid FROM pre_common_member WHERE username = ?", name).Scan(&uid)
				return uid
			}
			// 管理通知: boss gets verifyuser (the third of adminnotifytypes), clerk only verifythread.
			boss, clerk := s.addMember("boss", "boss-pw-1", 1), s.addMember("clerk", "clerk-pw-1", 1)
			notify := fmt.Sprintf(`a:2:{i:%d;a:2:{s:8:"username";s:4:"boss";s:5:"types";s:3:"001";}i:%d;a:2:{s:8:"username";s:5:"clerk";s:5:"types";s:3:"100";}}`, boss, clerk)
			s.DB.Exec(t, "REPLACE INTO pre_common_setting (skey, svalue) VALUES ('notifyusers', ?)", notify)
			notice := func(uid int64) (n, fromNum, isNew, category int64, note string, prompt int64, promptData string) {
				s.DB.SQL.QueryRow("SELECT COUNT(*), COALESCE(MAX(from_num), 0), COALESCE(MAX(new), 0), COALESCE(MAX(category), 0), COALESCE(MAX(note), '') FROM pre_home_notification WHERE uid = ? AND type = 'verifyuser' AND from_id = 1 AND from_idtype = 'verifyuser'", uid).
					Scan(&n, &fromNum, &isNew, &category, &note)
				s.DB.SQL.QueryRow("SELECT newprompt FROM pre_common_member WHERE uid = ?", uid).Scan(&prompt)
				s.DB.SQL.QueryRow("SELECT data FROM pre_common_member_newprompt WHERE uid = ?", uid).Scan(&promptData)
				return
			}
			before := time.Now().Unix()
			uid := register("48001", "waits_qq")
			var submit, mod, times, status int64
			var admin, message, remark string
			err := s.DB.SQL.QueryRow("SELECT submitdate, moddate, admin, submittimes, status, message, remark FROM pre_common_member_validate WHERE uid = ?", uid).
				Scan(&submit, &mod, &admin, &times, &status, &message, &remark)
			if err != nil || submit < before || mod != 0 || admin != "" || times != 1 || status != 0 || message != "" || remark != "" {
				t.Fatalf("validate row of uid %d: %v submit %d mod %d admin %q times %d status %d %q %q", uid, err, submit, mod, admin, times, status, message, remark)
			}
			if n := s.count("SELECT count(*) FROM pre_common_member WHERE uid = ? AND groupid = 8", uid); n != 1 {
				t.Error("the member awaiting approval is not in group 8")
			}
			if n, from, isNew, cat, note, prompt, data := notice(boss); n != 1 || from != 1 || isNew != 1 || cat != 4 || note != models.ManageVerifyUserNote || prompt != 1 || data != `a:1:{s:6:"manage";i:1;}` {
				t.Errorf("boss's 管理通知 after one registration: %d rows from_num %d new %d category %d %q; newprompt %d %q", n, from, isNew, cat, note, prompt, data)
			}
			if n, _, _, _, _, prompt, _ := notice(clerk); n != 0 || prompt != 0 {
				t.Errorf("clerk, who does not take verifyuser, got %d notices (newprompt %d)", n, prompt)
			}
			register("48003", "waits_qq2")
			if n, from, isNew, _, _, prompt, data := notice(boss); n != 1 || from != 2 || isNew != 1 || prompt != 1 || data != `a:1:{s:6:"manage";i:1;}` {
				t.Errorf("boss's 管理通知 after two registrations: %d rows from_num %d new %d; newprompt %d %q (one notice, counted once)", n, from, isNew, prompt, data)
			}
			// QQ registrations exempt: no validate row, not group 8.
			regverify("0", "1")
			uid = register("48002", "free_qq")
			if n := s.count("SELECT count(*) FROM pre_common_member_validate WHERE uid = ?", uid); n != 0 {
				t.Error("an exempt QQ registration got a validate row")
			}
			if n := s.count("SELECT count(*) FROM pre_common_member WHERE uid = ? AND groupid = 8", uid); n != 0 {
				t.Error("an exempt QQ registration is in group 8")
			}
			// Not exempt, with connect.register_groupid set: that group, the validate row still written.
			regverify("1", "0")
			s.setConnect("register_groupid", "10")
			uid = register("48005", "group_qq")
			if n := s.count("SELECT count(*) FROM pre_common_member m JOIN pre_common_member_validate v ON v.uid = m.uid WHERE m.uid = ? AND m.groupid = 10", uid); n != 1 {
				t.Errorf("register_groupid with regverify=2: %d rows in group 10 with a validate row, want 1", n)
			}
			s.setConnect("register_groupid", "0")
			regverify("0", "1")
			// Not exempt, but the client is on ipverifywhite (register_ctl): no verification.
			regverify("1", "0")
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = ? WHERE skey = 'ipverifywhite'", "10.9.\n127.0.0.")
			uid = register("48004", "white_qq")
			if n := s.count("SELECT count(*) FROM pre_common_member_validate WHERE uid = ?", uid) + s.count("SELECT count(*) FROM pre_common_member WHERE uid = ? AND groupid = 8", uid); uid == 0 || n != 0 {
				t.Errorf("a registration from an ipverifywhite address awaits approval (uid %d, %d)", uid, n)
			}
		})
	}
}

// TestSettingsTTL: the QQ login settings are kept for qqSettingsTTL. A
// change made behind the instance's back (Discuz's admin panel, the CLI)
// shows once that has passed; one made by the instance's own repairs (the
// admin panel) at once.
func TestSettingsTTL(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	if err := models.SeedDemoSettingCache(t.Context(), s.App.Store, time.Now()); err != nil {
		t.Fatal(err) // repairs patch Discuz's setting cache: it must exist
	}
	login := func() (int, string) {
		resp, body := s.browser().get("/connect/qq/login?referer=/")
		return resp.StatusCode, body
	}
	if status, _ := login(); status != http.StatusFound {
		t.Fatalf("login redirect on a working site: %d", status)
	}
	// Discuz's admin switches QQ login off.
	s.DB.Exec(t, "UPDATE pre_common_plugin SET available=0 WHERE identifier='qqconnect'")
	if status, _ := login(); status != http.StatusFound {
		t.Fatalf("within the TTL the kept settings answer: %d, want 302", status)
	}
	time.Sleep(qqSettingsTTL + 100*time.Millisecond)
	if status, body := login(); status == http.StatusFound || !strings.Contains(body, "QQ互联功能尚未开启") {
		t.Fatalf("%s after the change: %d %.300s, want the refusal", qqSettingsTTL, status, body)
	}
	// The admin panel's repair turns it back on, and the next login sees it.
	if _, _, err := liveRepairer(s.App).Apply(t.Context(), repair.PluginEnable, repair.Args{}, repair.Actor{Name: "test", Source: "web"}); err != nil {
		t.Fatal(err)
	}
	if status, body := login(); status != http.StatusFound {
		t.Fatalf("right after plugin-enable from the admin panel: %d %.300s", status, body)
	}
	if _, _, err := liveRepairer(s.App).Apply(t.Context(), repair.PluginDisable, repair.Args{}, repair.Actor{Name: "test", Source: "web"}); err != nil {
		t.Fatal(err)
	}
	if status, body := login(); !strings.Contains(body, "QQ互联功能尚未开启") {
		t.Fatalf("right after plugin-disable from the admin panel: %d %.300s", status, body)
	}
}

// TestCallbackWritesSessionOnce: whatever the callback decides (a bound
// login, a QQ user to bind, a refusal), its answer sets qqconnect's session
// cookie once, and that cookie no longer holds the used state.
func TestCallbackWritesSessionOnce(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	bound := s.browser()
	bound.qqLogin("45001", "/")
	if resp, body := bound.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"once45001"}, "email": {"o@example.com"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d %.300s", resp.StatusCode, body)
	}
	s.DB.Exec(t, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES (?, 999, 0)", sandbox.OpenID(s.AppID, "45003"))
	cases := []struct{ name, qq, wantLocation, wantBody string }{
		{"bound login", "45001", "/", ""},
		{"QQ user to bind", "45002", "/connect/qq/bind", ""},
		{"refusal", "45003", "", "此QQ账号已被本站屏蔽"},
	}
	for _, tc := range cases {
		b := s.browser()
		resp, body := b.qqLogin(tc.qq, "/")
		if resp.Header.Get("Location") != tc.wantLocation || !strings.Contains(body, tc.wantBody) {
			t.Fatalf("%s: %d Location %q %.200s", tc.name, resp.StatusCode, resp.Header.Get("Location"), body)
		}
		n := 0
		for _, ck := range resp.Cookies() {
			if ck.Name == "qqc_session" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: the callback set qqc_session %d times, want once", tc.name, n)
		}
		// The browser's session now holds no state: the same callback again is refused.
		if resp, body := b.get(resp.Request.URL.String()); !strings.Contains(body, "登录请求已失效") {
			t.Errorf("%s: the callback replayed in the same browser: %d %.200s", tc.name, resp.StatusCode, body)
		}
	}
}

func TestRefusals(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	bound := s.addMember("boundone", "pw-123456", 10)
	waiting := s.addMember("waiting", "pw-123456", 8)

	// Bind an account first, to have "openid bound elsewhere" and "account already bound".
	b := s.browser()
	b.qqLogin("40001", "/")
	if resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"boundone"}, "password": {"pw-123456"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup bind: %d %.300s", resp.StatusCode, body)
	}
	_ = bound

	cases := []struct {
		name  string
		setup func()
		run   func(b *browser) (int, string)
		want  string
	}{
		{"plugin disabled", func() { s.DB.Exec(t, "UPDATE pre_common_plugin SET available=0 WHERE identifier='qqconnect'") },
			func(b *browser) (int, string) {
				r, body := b.get("/connect/qq/login?referer=/")
				return r.StatusCode, body
			},
			"QQ互联功能尚未开启"},
		{"plugin not installed", func() { s.DB.Exec(t, "DELETE FROM pre_common_plugin WHERE identifier='qqconnect'") },
			func(b *browser) (int, string) {
				r, body := b.get("/connect/qq/login?referer=/")
				return r.StatusCode, body
			},
			"QQ互联功能尚未开启"},
		{"connect.allow=0", func() {
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue=REPLACE(svalue, 's:5:\"allow\";s:1:\"1\";s:4:\"feed\"', 's:5:\"allow\";s:1:\"0\";s:4:\"feed\"') WHERE skey='connect'")
		}, func(b *browser) (int, string) {
			r, body := b.get("/connect/qq/login?referer=/")
			return r.StatusCode, body
		},
			"QQ互联功能尚未开启"},
		{"empty appkey", func() { s.DB.Exec(t, "UPDATE pre_common_setting SET svalue='' WHERE skey='connectappkey'") },
			func(b *browser) (int, string) {
				r, body := b.get("/connect.php?mod=login&op=init&referer=forum.php")
				return r.StatusCode, body
			},
			"QQ互联功能暂时不可用"},
		{"blacklisted QQ", func() {
			s.DB.Exec(t, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES (?, 999, 0)", sandbox.OpenID(s.AppID, "40002"))
		}, func(b *browser) (int, string) {
			r, body := b.qqLogin("40002", "/forum.php?mod=viewthread&tid=7")
			if !strings.Contains(body, "此QQ账号已被本站屏蔽") {
				t.Errorf("blacklisted page lacks Discuz's wording: %.300s", body)
			}
			return r.StatusCode, body
		},
			// Discuz's page links to 更换其他QQ账号登录, back to where the login began.
			`href="/connect/qq/login?referer=%2Fforum.php%3Fmod%3Dviewthread%26tid%3D7"`},
		{"account already bound", nil, func(b *browser) (int, string) {
			b.qqLogin("40003", "/")
			r, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"boundone"}, "password": {"pw-123456"}})
			return r.StatusCode, body
		}, "该账号已经绑定了QQ"},
		{"awaiting verification", nil, func(b *browser) (int, string) {
			b.qqLogin("40004", "/")
			r, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"waiting"}, "password": {"pw-123456"}})
			return r.StatusCode, body
		}, "等待验证"},
		{"username taken", nil, func(b *browser) (int, string) {
			b.qqLogin("40005", "/")
			r, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"boundone"}, "email": {"x@example.com"}})
			return r.StatusCode, body
		}, "该用户名已被注册"},
		{"bad username", nil, func(b *browser) (int, string) {
			b.qqLogin("40006", "/")
			r, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"a b"}, "email": {"x@example.com"}})
			return r.StatusCode, body
		}, "用户名须为3到15个字符"},
		{"QQ account limit reached", func() {
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue=REPLACE(svalue, 's:17:\"register_uinlimit\";s:0:\"\"', 's:17:\"register_uinlimit\";s:1:\"1\"') WHERE skey='connect'")
			s.DB.Exec(t, "INSERT INTO pre_connect_memberbindlog (uid, uin, type, dateline) VALUES (4242, ?, 1, 0)", sandbox.OpenID(s.AppID, "40008"))
		}, func(b *browser) (int, string) {
			b.qqLogin("40008", "/")
			r, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"limited"}, "email": {"x@example.com"}})
			return r.StatusCode, body
		}, "该QQ注册的账号数已达上限"},
		{"registration closed", func() { s.DB.Exec(t, "UPDATE pre_common_setting SET svalue='0' WHERE skey='regconnect'") },
			func(b *browser) (int, string) {
				b.qqLogin("40007", "/")
				r, body := b.do(http.MethodPost, "/connect/qq/register", url.Values{"username": {"newname"}, "email": {"x@example.com"}, "_csrf": {csrfOf(b, "/connect/qq/bind")}}, nil)
				return r.StatusCode, body
			}, "本站未开放QQ注册"},
		{"no pending identity", nil, func(b *browser) (int, string) { r, body := b.get("/connect/qq/bind"); return r.StatusCode, body },
			"QQ登录信息已过期"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.DB.InstallQQConnect(t, s.AppID, s.AppKey)
			if c.setup != nil {
				c.setup()
			}
			s.settingsChanged()
			before := s.checksum()
			states := s.count("SELECT count(*) FROM pre_qqconnect_oauth_state")
			status, body := c.run(s.browser())
			if !strings.Contains(body, c.want) {
				t.Fatalf("status %d, page lacks %q: %.600s", status, c.want, body)
			}
			if after := s.checksum(); after != before {
				t.Fatalf("refusal changed Discuz tables")
			}
			if strings.HasPrefix(c.name, "plugin") || strings.HasPrefix(c.name, "connect") || strings.HasPrefix(c.name, "empty") {
				if n := s.count("SELECT count(*) FROM pre_qqconnect_oauth_state"); n != states {
					t.Fatalf("refused login still stored a state")
				}
			}
		})
	}
	_ = waiting
}

func csrfOf(b *browser, page string) string {
	_, html := b.get(page)
	m := csrfRe.FindStringSubmatch(html)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestStateRules: the state is single-use and bound to the browser that
// started the login.
func TestStateRules(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	b := s.browser()
	resp, _ := b.get("/connect/qq/login?referer=/")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if q.Get("redirect_uri") != s.URL+"/connect/qq/callback" || q.Get("scope") != "get_user_info" || q.Get("response_type") != "code" || len(q.Get("state")) < 32 {
		t.Fatalf("authorize URL not as required: %s", loc)
	}
	s.QQ.AddIdentity("50001", "x")
	code, err := s.QQ.Authorize(t.Context(), q.Get("client_id"), q.Get("redirect_uri"), q.Get("state"), "50001")
	if err != nil {
		t.Fatal(err)
	}
	cb := "/connect/qq/callback?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state"))

	// Another browser cannot use this state.
	other := s.browser()
	if _, body := other.get(cb); !strings.Contains(body, "不是从本浏览器发起") {
		t.Fatalf("state accepted in another browser: %.300s", body)
	}
	// A copy of the browser's cookies taken now (an old session cookie replayed later).
	u, _ := url.Parse(s.URL)
	clone := s.browser()
	clone.c.Jar.SetCookies(u, b.c.Jar.Cookies(u))
	// The right browser completes the login once…
	if resp, body := b.get(cb); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/connect/qq/bind" {
		t.Fatalf("callback in the right browser: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	// …and never again: not from its session (the state is gone from it), and
	// not with the old cookie either (server-side single use).
	if _, body := b.get(cb); !strings.Contains(body, "不是从本浏览器发起") {
		t.Fatalf("used state accepted again: %.300s", body)
	}
	code2, err := s.QQ.Authorize(t.Context(), q.Get("client_id"), q.Get("redirect_uri"), q.Get("state"), "50001")
	if err != nil {
		t.Fatal(err)
	}
	if _, body := clone.get("/connect/qq/callback?code=" + url.QueryEscape(code2) + "&state=" + url.QueryEscape(q.Get("state"))); !strings.Contains(body, "不是从本浏览器发起") {
		t.Fatalf("used state accepted with a replayed session cookie and a fresh code: %.300s", body)
	}
	if n := s.count("SELECT count(*) FROM pre_qqconnect_oauth_state"); n != 1 {
		t.Fatalf("%d oauth_state rows after one completed login, want 1 (the used mark)", n)
	}
	// A mobile browser asks QQ for the mobile page.
	req, _ := b.do(http.MethodGet, "/connect/qq/login?referer=/", nil, map[string]string{"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"})
	if l, _ := url.Parse(req.Header.Get("Location")); l.Query().Get("display") != "mobile" {
		t.Fatalf("no display=mobile for a phone: %s", req.Header.Get("Location"))
	}
	// Foreign referers are never followed.
	resp, _ = b.qqLogin("50002", "https://evil.example/phish")
	if resp.Header.Get("Location") != "/connect/qq/bind" {
		t.Fatalf("unexpected %q", resp.Header.Get("Location"))
	}
}

// TestUnbind: an account made through QQ must set a password before it may
// unbind; afterwards the rows are Discuz's and the new password works.
func TestUnbind(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			b := s.browser()
			b.qqLogin("60001", "/")
			if resp, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"unbinder"}, "email": {"u@example.com"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("register: %d %.300s", resp.StatusCode, body)
			}
			uid := b.discuzLogin()
			_, page := b.get("/connect/qq/unbind")
			if !strings.Contains(page, "newpassword1") || !strings.Contains(page, "企鹅60001") {
				t.Fatalf("unbind page lacks the password fields or nickname: %.500s", page)
			}
			before := s.checksum()
			resp, body := b.post("/connect/qq/unbind", "/connect/qq/unbind", url.Values{"newpassword1": {"abc12345"}, "newpassword2": {"different"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || s.checksum() != before {
				t.Fatalf("mismatched passwords: %d, changed=%v %.300s", resp.StatusCode, s.checksum() != before, body)
			}
			resp, body = b.post("/connect/qq/unbind", "/connect/qq/unbind", url.Values{"newpassword1": {"abc12345"}, "newpassword2": {"abc12345"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("unbind: %d %.300s", resp.StatusCode, body)
			}
			openid := sandbox.OpenID(s.AppID, "60001")
			if n := s.count("SELECT count(*) FROM pre_common_member_connect WHERE uid=?", uid); n != 0 {
				t.Error("connect row not deleted")
			}
			if n := s.count("SELECT count(*) FROM pre_common_member WHERE uid=? AND conisbind=0", uid); n != 1 {
				t.Error("conisbind not cleared")
			}
			if n := s.count("SELECT count(*) FROM pre_connect_memberbindlog WHERE uid=? AND uin=? AND type=2", uid, openid); n != 1 {
				t.Error("unbind log (type 2) missing")
			}
			var hash, salt string
			s.DB.SQL.QueryRow("SELECT password, salt FROM pre_ucenter_members WHERE uid=?", uid).Scan(&hash, &salt)
			if !discuz.VerifyUCPassword(hash, salt, "abc12345") {
				t.Error("the new password does not verify against UCenter")
			}
			if b.discuzLogin() != 0 {
				t.Error("still logged in after unbind (Discuz logs the member out)")
			}
		})
	}
}

// TestCSRF: a POST without the form token, or from another site, is refused.
func TestCSRF(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	s.addMember("carol", "carol-pw", 10)
	b := s.browser()
	b.qqLogin("70001", "/")
	before := s.checksum()
	token := csrfOf(b, "/connect/qq/bind")
	for name, tc := range map[string]struct {
		form url.Values
		hdr  map[string]string
	}{
		"no token":    {url.Values{"username": {"carol"}, "password": {"carol-pw"}}, nil},
		"cross-site":  {url.Values{"username": {"carol"}, "password": {"carol-pw"}, "_csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"wrong token": {url.Values{"username": {"carol"}, "password": {"carol-pw"}, "_csrf": {"x" + token}}, nil},
	} {
		resp, body := b.do(http.MethodPost, "/connect/qq/bind", tc.form, tc.hdr)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403: %.200s", name, resp.StatusCode, body)
		}
	}
	if s.checksum() != before {
		t.Fatal("a refused POST changed the database")
	}
}

// TestFailedWriteLeavesNothing: when a write fails part-way (here: the bind
// log insert, forced by a trigger), nothing of the registration or bind
// remains — by rollback on X3.5's InnoDB, by undoing each step on X3.4's MyISAM.
func TestFailedWriteLeavesNothing(t *testing.T) {
	layouts := []struct {
		name    string
		prepare func(t *testing.T) func(db *testdb.DB) map[string]string
	}{
		{"ucenter in the forum database", func(*testing.T) func(db *testdb.DB) map[string]string { return nil }},
		{"ucenter in its own database", ucenterElsewhere},
	}
	for _, v := range versions {
		for _, l := range layouts {
			t.Run(v+"/"+l.name, func(t *testing.T) { testFailedWrite(t, v, l.prepare(t)) })
		}
	}
}

func testFailedWrite(t *testing.T, v string, prepare func(db *testdb.DB) map[string]string) {
	s := newTestSiteWith(t, v, nil, prepare)
	s.addMember("dave", "dave-pw-1", 10)
	s.DB.Exec(t, `CREATE TRIGGER qqc_fail_bindlog BEFORE INSERT ON pre_connect_memberbindlog
		FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'`)
	b := s.browser()
	b.qqLogin("80001", "/")
	before := s.checksum()
	guests := s.count("SELECT count(*) FROM pre_common_connect_guest")
	resp, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"failing"}, "email": {"f@example.com"}})
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(body, "injected") {
		t.Fatalf("register with a failing write: %d %.300s", resp.StatusCode, body)
	}
	if after := s.checksum(); after != before {
		t.Fatalf("a failed register left rows behind:\n%s\n%s", before, after)
	}
	resp, _ = b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"dave"}, "password": {"dave-pw-1"}})
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("bind with a failing write: %d", resp.StatusCode)
	}
	if after := s.checksum(); after != before {
		t.Fatalf("a failed bind left rows behind:\n%s\n%s", before, after)
	}
	if n := s.count("SELECT count(*) FROM pre_common_connect_guest"); n != guests {
		t.Fatalf("guest rows %d, want %d", n, guests)
	}
	// With the fault gone the same pending identity binds fine.
	s.DB.Exec(t, "DROP TRIGGER qqc_fail_bindlog")
	if resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"dave"}, "password": {"dave-pw-1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bind after the fault: %d %.300s", resp.StatusCode, body)
	}
}

// TestDiscuzURLs: a site that keeps its registered Discuz callback
// (connect.php?mod=login&op=callback) works through the connect.php aliases.
func TestDiscuzURLs(t *testing.T) {
	s := newTestSite(t, testdb.X35, map[string]string{"QQCONNECT_CALLBACK_PATH": "/connect.php?mod=login&op=callback"})
	uid := s.addMember("erin", "erin-pw-1", 10)
	b := s.browser()
	resp, _ := b.get("/connect.php?mod=login&op=init&referer=forum.php")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if q.Get("redirect_uri") != s.URL+"/connect.php?mod=login&op=callback" {
		t.Fatalf("redirect_uri %q", q.Get("redirect_uri"))
	}
	s.QQ.AddIdentity("10003", "e")
	code, err := s.QQ.Authorize(t.Context(), q.Get("client_id"), q.Get("redirect_uri"), q.Get("state"), "10003")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := b.get(q.Get("redirect_uri") + "&code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state")))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/connect/qq/bind" {
		t.Fatalf("connect.php callback: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"erin"}, "password": {"erin-pw-1"}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/forum.php" {
		t.Fatalf("bind: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if b.discuzLogin() != uid {
		t.Fatal("not logged in as erin")
	}
	if _, body := b.get("/connect.php?mod=register"); !strings.Contains(body, "未定义操作") {
		t.Fatal("unknown connect.php mod not refused")
	}
}

// TestMetricsAndHealth: operators' endpoints answer and count outcomes.
func TestMetricsAndHealth(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	b := s.browser()
	b.qqLogin("90001", "/")
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready",
		"/metrics": `qqconnect_logins_total{outcome="pending"} 1`} {
		resp, body := b.get(path)
		if resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, lacks %q", path, resp.StatusCode, want)
		}
	}
	_, body := b.get("/metrics")
	if !strings.Contains(body, `qqconnect_qq_call_duration_seconds_count{endpoint="token"} 1`) {
		t.Error("QQ call latency not recorded")
	}
	if strings.Contains(body, s.AppKey) {
		t.Fatal("the AppKey leaked into /metrics")
	}
}

// TestUnionIDRefused: without the unionid permission (100048) a QQ user still
// logs in by openid, no unionid is stored, and the refusal is remembered for
// the doctor.
func TestUnionIDRefused(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	s.QQ.SetUnionIDAllowed(s.AppID, false)
	b := s.browser()
	if resp, body := b.qqLogin("21001", "/"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/connect/qq/bind" {
		t.Fatalf("login without unionid permission: %d %.300s", resp.StatusCode, body)
	}
	if resp, _ := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"nounion"}, "email": {"n@example.com"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("register failed")
	}
	if n := s.count("SELECT count(*) FROM pre_qqconnect_identity WHERE openid=? AND unionid IS NULL", sandbox.OpenID(s.AppID, "21001")); n != 1 {
		t.Fatal("identity should have a NULL unionid")
	}
	if n := s.count("SELECT count(*) FROM pre_qqconnect_meta WHERE k='qq_unionid_refused_at' AND v<>''"); n != 1 {
		t.Fatal("the refusal was not remembered for the doctor")
	}
	// The refusal is not asked for again on every login: the member's next
	// QQ login makes one /me call, not a refused one and a second.
	before := s.qqCalls("me")
	if before != 2 {
		t.Fatalf("first login: %d /me calls, want 2 (asked for unionid, refused, asked without)", before)
	}
	b2 := s.browser()
	if resp, body := b2.qqLogin("21001", "/"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") == "/connect/qq/bind" {
		t.Fatalf("second login: %d %.300s", resp.StatusCode, body)
	}
	if n := s.qqCalls("me") - before; n != 1 {
		t.Fatalf("second login made %d /me calls, want 1", n)
	}
}
