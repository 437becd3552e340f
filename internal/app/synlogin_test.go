package app

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/testdb"
)

// synMyKey is UC_MYKEY of the test UCenter (uc_server/data/config.inc.php).
const synMyKey = "ucmykey0of0this0ucenter"

// synApp is one row of UCenter's applications table.
type synApp struct {
	id       int
	url      string
	file     string // apifilename
	key      string // the authkey the application decodes with
	synlogin int
	extra    []string // extra['extraurl']
	mykey    bool     // stored encrypted with UC_MYKEY, as UCenter 1.6's admin stores it
}

// synApps: the forum itself (appid 1 = UC_APPID, with an extra URL), an
// application with synlogin and a plain authkey, one without synlogin,
// and one whose authkey UCenter 1.6's admin stored encrypted.
var synApps = []synApp{
	{id: 1, url: "http://bbs.example.com", file: "uc.php", key: "forumkey", synlogin: 1, extra: []string{"http://bbs2.example.com"}},
	{id: 2, url: "http://home.example.com", file: "uc.php", key: "homekey", synlogin: 1},
	{id: 3, url: "http://nosyn.example.com", file: "uc.php", key: "nosynkey", synlogin: 0},
	{id: 4, url: "https://shop.example.com/sub", file: "ucapi.php", key: "shopkey", synlogin: 1, extra: []string{"https://shop2.example.com"}, mykey: true},
}

// phpExtra is the serialized extra column UCenter's admin writes.
func phpExtra(urls []string) string {
	if urls == nil {
		return `a:1:{s:7:"apppath";s:0:"";}`
	}
	var b strings.Builder
	fmt.Fprintf(&b, `a:2:{s:7:"apppath";s:0:"";s:8:"extraurl";a:%d:{`, len(urls))
	for i, u := range urls {
		fmt.Fprintf(&b, `i:%d;s:%d:"%s";`, i, len(u), u)
	}
	b.WriteString("}}")
	return b.String()
}

// synloginSite is a site read from its DISCUZ_ROOT (UC_APPID 1, UCenter's
// own config under uc_server/ with UC_MYKEY) whose UCenter has apps. With
// layout "ucdb" UCenter has a database of its own on the forum's server,
// with "remote" one on the second server. It returns the connection that
// reaches UCenter's tables (named by s.uc).
func synloginSite(t *testing.T, db *testdb.DB, layout string, apps []synApp) (*testSite, *sql.DB) {
	t.Helper()
	for _, a := range apps {
		key := a.key
		if a.mykey {
			var err error
			if key, err = discuz.AuthcodeEncode(a.key, synMyKey, 0, rand.Reader); err != nil {
				t.Fatal(err)
			}
		}
		db.Exec(t, `INSERT INTO pre_ucenter_applications (appid, type, name, url, authkey, apifilename, synlogin, viewprourl, extra, tagtemplates, allowips)
			VALUES (?, 'OTHER', ?, ?, ?, ?, ?, '', ?, '', '')`, a.id, "app"+strconv.Itoa(a.id), a.url, key, a.file, a.synlogin, phpExtra(a.extra))
	}
	defines := "define('UC_CONNECT', 'mysql');\ndefine('UC_APPID', '1');\n"
	ucSQL := db.SQL
	switch layout {
	case "ucdb":
		env := ucenterElsewhere(t)(db)
		defines += "define('UC_DBTABLEPRE', '" + env["QQCONNECT_UC_TABLE_PREFIX"] + "');\n"
	case "remote":
		uc := db.MoveUCenter(t)
		defines += fmt.Sprintf("define('UC_DBHOST', '%s');\ndefine('UC_DBUSER', '%s');\ndefine('UC_DBPW', '%s');\n"+
			"define('UC_DBNAME', '%s');\ndefine('UC_DBCHARSET', '%s');\ndefine('UC_DBTABLEPRE', '`%s`.pre_ucenter_');\n",
			uc.Host, uc.User, uc.Pass, uc.DB, db.Charset, uc.DB)
		ucSQL = uc.SQL
	}
	root := db.DiscuzRoot(t, db.Charset, defines)
	dir := filepath.Join(root, "uc_server", "data")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "config.inc.php"), []byte("<?php \r\ndefine('UC_KEY', 'uckey');\r\ndefine('UC_MYKEY', '"+synMyKey+"');\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newTestSiteOn(t, db, map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_DB_DSN": ""}, nil)
	if (layout == "remote") != s.App.Store.UCRemote() || (layout == "") == strings.Contains(s.uc("members"), ".") {
		t.Fatalf("UCenter not where layout %q puts it: %s, remote %v", layout, s.uc("members"), s.App.Store.UCRemote())
	}
	return s, ucSQL
}

// synWant is one script tag the landing page must carry.
type synWant struct{ base, file, key string }

// synWants is what UCenter's onsynlogin writes for synApps: the forum's
// extra URL (not its own), then each other app with synlogin, its URL and
// its extra URLs, in appid order.
var synWants = []synWant{
	{"http://bbs2.example.com", "uc.php", "forumkey"},
	{"http://home.example.com", "uc.php", "homekey"},
	{"https://shop.example.com/sub", "ucapi.php", "shopkey"},
	{"https://shop2.example.com", "ucapi.php", "shopkey"},
}

var synScriptRe = regexp.MustCompile(`<script type="text/javascript" src="([^"]*)" reload="1"></script>`)

// checkLanding asserts the landing page of a synchronized login: exactly
// the wanted script tags, each code decoding with its app's authkey to
// UCenter's query string for the member; the policy lets exactly them
// load; the page then goes to target; no secret outside the codes.
func checkLanding(t *testing.T, s *testSite, uc *sql.DB, resp *http.Response, body string, uid int64, target string, wants []synWant, secrets ...string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("landing: status %d, want 200 (Location %q) %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var username, hash string
	if err := uc.QueryRow("SELECT CAST(username AS BINARY), password FROM "+s.uc("members")+" WHERE uid=?", uid).Scan(&username, &hash); err != nil {
		t.Fatal(err)
	}
	got := synScriptRe.FindAllStringSubmatch(body, -1)
	if len(got) != len(wants) {
		t.Fatalf("%d script tags, want %d: %.2000s", len(got), len(wants), body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for i, w := range wants {
		src := html.UnescapeString(got[i][1])
		prefix := w.base + "/api/" + w.file + "?time="
		if !strings.HasPrefix(src, prefix) {
			t.Errorf("script %d: %q, want %s…", i, src, prefix)
			continue
		}
		u, _ := url.Parse(src)
		q := u.Query()
		if len(q) != 2 || !strings.HasPrefix(u.RawQuery, "time="+q.Get("time")+"&code=") {
			t.Errorf("script %d: query %q is not time=…&code=…", i, u.RawQuery)
		}
		ts, _ := strconv.ParseInt(q.Get("time"), 10, 64)
		if d := time.Now().Unix() - ts; d < 0 || d > 30 {
			t.Errorf("script %d: time %d is not now", i, ts)
		}
		plain, err := discuz.AuthcodeDecode(q.Get("code"), w.key, time.Now())
		if err != nil {
			t.Errorf("script %d: code does not decode with app key %q: %v", i, w.key, err)
			continue
		}
		want := "action=synlogin&username=" + username + "&uid=" + strconv.FormatInt(uid, 10) + "&password=" + hash + "&time=" + q.Get("time")
		if plain != want {
			t.Errorf("script %d decodes to %q, want %q", i, plain, want)
		}
		if !strings.Contains(csp, " "+strings.SplitN(src, "?", 2)[0]) {
			t.Errorf("policy %q does not let %s load", csp, src)
		}
	}
	if !strings.Contains(csp, "script-src 'self' ") || strings.Contains(csp, "nosyn") {
		t.Errorf("policy %q", csp)
	}
	esc := html.EscapeString(target)
	if !strings.Contains(body, `content="3;url=`+esc+`"`) || !strings.Contains(body, `href="`+esc+`"`) ||
		!strings.Contains(body, `<script src="/connect/qq/static/synlogin.js" data-to="`+esc+`">`) {
		t.Errorf("the page does not go on to %q: %.2000s", target, body)
	}
	for _, secret := range append(secrets, hash) {
		if strings.Contains(body, secret) || strings.Contains(body, url.QueryEscape(secret)) {
			t.Errorf("a secret is on the page outside the codes: %.6s…", secret)
		}
	}
}

// TestSynlogin (issue 14 item 4): with UCenter applications that take
// synchronized logins, a QQ login and a bind answer with a landing page
// carrying UCenter's script tags, as Discuz's login-succeeded page does;
// registration, bind while logged in and unbind are left as Discuz leaves
// them (no scripts), and so is every login once Discuz's allowsynlogin is
// off.
func TestSynlogin(t *testing.T) {
	cases := []struct{ name, version, charset, layout, username string }{
		{"x3.4", testdb.X34, "", "", "synuser"},
		{"x3.5", testdb.X35, "", "", "synuser"},
		{"x3.4-gbk", testdb.X34, "gbk", "", "同步用户"}, // the username goes into the code in UCenter's bytes
		{"x3.5-ucdb", testdb.X35, "", "ucdb", "synuser"},
		{"x3.5-remote", testdb.X35, "", "remote", "synuser"}, // the switch read on UCenter's own server
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var db *testdb.DB
			if c.charset != "" {
				db = testdb.NewCharset(t, c.version, c.charset)
			} else {
				db = testdb.New(t, c.version)
			}
			s, uc := synloginSite(t, db, c.layout, synApps)
			secrets := []string{"homekey", "shopkey", "forumkey", "nosynkey", synMyKey}

			// Register through QQ: Discuz's register_ctl writes no synlogin.
			b := s.browser()
			b.qqLogin("71001", "/")
			resp, body := b.post(bindPath, "/connect/qq/register", url.Values{"username": {c.username}, "email": {"syn@example.com"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
				t.Fatalf("register: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			uid := b.discuzLogin()

			// A QQ login: the landing page, and the member is logged in here.
			b2 := s.browser()
			target := "/forum.php?mod=viewthread&tid=7"
			resp, body = b2.qqLogin("71001", target)
			checkLanding(t, s, uc, resp, body, uid, target, synWants, secrets...)
			if got := b2.discuzLogin(); got != uid {
				t.Fatalf("landing page logged in uid %d, want %d", got, uid)
			}

			// The same QQ again while logged in: Discuz's branch A, no scripts.
			resp, body = b2.qqLogin("71001", "/")
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/" {
				t.Fatalf("QQ login while logged in: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
			}

			// Bind an existing account: logging_ctl::on_login's synlogin
			// (addMember writes UCenter's row through the forum's server).
			if c.layout != "remote" {
				alice := s.addMember("alice", "alice-pw", 10)
				b3 := s.browser()
				b3.qqLogin("71002", "/home.php")
				resp, body = b3.post(bindPath, bindPath, url.Values{"username": {"alice"}, "password": {"alice-pw"}})
				checkLanding(t, s, uc, resp, body, alice, "/home.php", synWants, secrets...)
				if !strings.Contains(body, "QQ绑定成功，欢迎回来") {
					t.Error("the landing page does not say the bind succeeded")
				}

				// Unbind logs out as Discuz's connect_config.php does: no synlogout.
				resp, body = b3.post("/connect/qq/unbind", "/connect/qq/unbind", url.Values{})
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || synScriptRe.MatchString(body) {
					t.Fatalf("unbind: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
				}
			}

			// allowsynlogin off: every login is the plain redirect again.
			for _, off := range []struct{ name, sql string }{
				{"the forum's own synlogin off", "UPDATE pre_ucenter_applications SET synlogin = 0 WHERE appid = 1"},
				{"no other application with synlogin", "UPDATE pre_ucenter_applications SET synlogin = IF(appid = 1, 1, 0)"},
				{"the forum unknown to UCenter", "DELETE FROM pre_ucenter_applications WHERE appid = 1"},
			} {
				apps := s.uc("applications")
				ucExec(t, uc, "DELETE FROM "+apps)
				for _, a := range synApps {
					ucExec(t, uc, "INSERT INTO "+apps+" (appid, url, authkey, apifilename, synlogin, viewprourl, extra, tagtemplates, allowips) VALUES (?, ?, ?, ?, ?, '', ?, '', '')",
						a.id, a.url, a.key, a.file, a.synlogin, phpExtra(a.extra))
				}
				ucExec(t, uc, strings.Replace(off.sql, "pre_ucenter_applications", apps, 1))
				s.settingsChanged()
				resp, body = s.browser().qqLogin("71001", target)
				if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != target || synScriptRe.MatchString(body) {
					t.Errorf("%s: %d %q %.300s", off.name, resp.StatusCode, resp.Header.Get("Location"), body)
				}
			}
		})
	}
}

func ucExec(t *testing.T, uc *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := uc.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
