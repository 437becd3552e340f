package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/config"
	"qqconnect/plugin/sandbox"
)

// helperWant is what one Set-Cookie must say: a value and Max-Age, or a
// deletion (maxAge < 0).
type helperWant struct {
	value  string
	maxAge int
}

// checkSetCookies compares the Discuz cookies a response sets (short
// names) with want; a name mapped to nil must not be set at all. The QQ
// helpers must be readable by the forum's scripts (not HttpOnly, as
// Discuz's dsetcookie default), the login pair HttpOnly.
func checkSetCookies(t *testing.T, s *testSite, step string, resp *http.Response, want map[string]*helperWant) {
	t.Helper()
	got := map[string]*http.Cookie{}
	for _, c := range resp.Cookies() {
		got[c.Name] = c
	}
	for short, w := range want {
		name := discuz.CookieName(s.Pre, "/", "", short)
		c := got[name]
		switch {
		case w == nil && c != nil:
			t.Errorf("%s: %s set (%q), Discuz does not set it here", step, name, c.Value)
		case w == nil:
		case c == nil:
			t.Errorf("%s: %s not set", step, name)
		case w.maxAge < 0 && (c.MaxAge >= 0 || c.Value != ""):
			t.Errorf("%s: %s = %q Max-Age %d, want it deleted", step, name, c.Value, c.MaxAge)
		case w.maxAge >= 0 && (c.MaxAge != w.maxAge || w.value != "" && c.Value != w.value):
			t.Errorf("%s: %s = %q Max-Age %d, want %q Max-Age %d", step, name, c.Value, c.MaxAge, w.value, w.maxAge)
		case w.maxAge > 0 && c.HttpOnly != (short == "auth" || short == "saltkey"):
			t.Errorf("%s: %s HttpOnly %v", step, name, c.HttpOnly)
		case c.Path != "/" || c.SameSite != http.SameSiteLaxMode:
			t.Errorf("%s: %s Path %q SameSite %v, want / and Lax", step, name, c.Path, c.SameSite)
		}
	}
}

// helpers is the three QQ helper cookies Discuz writes for openid, with
// connect_login living loginLife seconds.
func helpers(openid string, loginLife int) map[string]*helperWant {
	return map[string]*helperWant{
		"connect_login":   {"1", loginLife},
		"connect_is_bind": {"1", discuz.LifeYear},
		"connect_uin":     {openid, discuz.LifeYear},
	}
}

func noHelpers() map[string]*helperWant {
	return map[string]*helperWant{"connect_login": nil, "connect_is_bind": nil, "connect_uin": nil}
}

func deleted(names ...string) map[string]*helperWant {
	m := map[string]*helperWant{}
	for _, n := range names {
		m[n] = &helperWant{maxAge: -1}
	}
	return m
}

// TestHelperCookies (issue 10): after each QQ path the browser holds the
// cookies Discuz's own QQ login leaves, with Discuz's values and
// lifetimes, and the unbind drops them with every other Discuz cookie.
func TestHelperCookies(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			reg := s.browser()
			resp, _ := reg.qqLogin("62001", "/")
			checkSetCookies(t, s, "callback of an unbound QQ", resp, noHelpers())
			resp, body := reg.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"helperreg"}, "email": {"hr@example.com"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("register: %d %.300s", resp.StatusCode, body)
			}
			regOpenID := sandboxOpenID(s, "62001")
			// member_connect_register.php: connect_login for a year.
			checkSetCookies(t, s, "register", resp, helpers(regOpenID, discuz.LifeYear))

			// connect_login(): a bound QQ logs in; connect_login lives as the login.
			again := s.browser()
			resp, body = again.qqLoginAs("62001", "/")
			if resp.StatusCode != http.StatusFound || again.discuzLogin() == 0 {
				t.Fatalf("QQ login of a bound member: %d %.300s", resp.StatusCode, body)
			}
			checkSetCookies(t, s, "QQ login", resp, helpers(regOpenID, discuz.LifeQQLogin))

			// member_connect_logging.php: bind an existing account.
			s.addMember("helperbind", "helper-pw", 10)
			bind := s.browser()
			bind.qqLogin("62002", "/")
			resp, body = bind.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"helperbind"}, "password": {"helper-pw"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("bind: %d %.300s", resp.StatusCode, body)
			}
			bindOpenID := sandboxOpenID(s, "62002")
			checkSetCookies(t, s, "bind", resp, helpers(bindOpenID, discuz.LifeYear))
			// connect_login.php branch A: QQ login while logged in binds (here again).
			resp, body = bind.qqLoginAs("62002", "/")
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("QQ login while logged in: %d %.300s", resp.StatusCode, body)
			}
			checkSetCookies(t, s, "QQ login while logged in", resp, helpers(bindOpenID, discuz.LifeYear))

			// Unbind (connect_config.php): every Discuz cookie goes, widthauto too.
			u, _ := url.Parse(s.URL)
			reg.c.Jar.SetCookies(u, []*http.Cookie{{Name: discuz.CookieName(s.Pre, "/", "", "widthauto"), Value: "1", Path: "/"}})
			resp, body = reg.post("/connect/qq/unbind", "/connect/qq/unbind", url.Values{"newpassword1": {"abc12345"}, "newpassword2": {"abc12345"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("unbind: %d %.300s", resp.StatusCode, body)
			}
			checkSetCookies(t, s, "unbind", resp, deleted("auth", "saltkey", "connect_login", "connect_is_bind", "connect_uin", "widthauto"))
			for _, c := range reg.c.Jar.Cookies(u) {
				if n, ok := discuzShortName(s, c.Name); ok {
					t.Errorf("after unbind the browser still holds %s (%s)", c.Name, n)
				}
			}
		})
	}
}

func discuzShortName(s *testSite, name string) (string, bool) {
	return strings.CutPrefix(name, discuz.CookiePrefix(s.Pre, "/", ""))
}

// standaloneSite is the `go run .` product (sqlite, demo forum, built-in
// sandbox) on loopback, as a testSite so the browser helpers work.
func standaloneSite(t *testing.T) *testSite {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	publicURL := "http://" + ln.Addr().String()
	vars := map[string]string{"QQCONNECT_DB_DSN": t.TempDir() + "/qqconnect.db",
		"QQCONNECT_ADDR": ln.Addr().String(), "QQCONNECT_PUBLIC_URL": publicURL}
	cfg, _, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := testLogger(t)
	app, err := Open(context.Background(), cfg, log, true)
	if err != nil {
		t.Fatalf("openApp: %v", err)
	}
	t.Cleanup(app.Close)
	serveOn(t, app, ln)
	return &testSite{t: t, App: app, URL: publicURL, QQ: app.Sandbox, QQURL: cfg.QQAPIBase,
		AppID: SandboxAppID, Authkey: cfg.Authkey, Pre: cfg.CookiePre, Cfg: cfg, log: log}
}

// TestHelperCookiesDemoForum: a password login sets no QQ helper cookie
// (Discuz's logging_ctl sets none), and the demo forum's logout deletes
// them with the login, as Discuz's clearcookies() does.
func TestHelperCookiesDemoForum(t *testing.T) {
	tests := []struct {
		name  string
		login func(s *testSite, b *browser) *http.Response
		set   map[string]*helperWant
	}{
		{"password login", func(s *testSite, b *browser) *http.Response {
			member := s.App.Demo.Members[0]
			resp, body := b.post("/", "/demo/login", url.Values{"username": {member.Username}, "password": {member.Password}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("demo login: %d %.300s", resp.StatusCode, body)
			}
			return resp
		}, noHelpers()},
		{"QQ register", func(s *testSite, b *browser) *http.Response {
			b.qqLogin("63001", "/")
			resp, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"demohelper"}, "email": {"dh@example.com"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("register: %d %.300s", resp.StatusCode, body)
			}
			return resp
		}, helpers(sandbox.OpenID(SandboxAppID, "63001"), discuz.LifeYear)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := standaloneSite(t)
			b := s.browser()
			resp := tt.login(s, b)
			checkSetCookies(t, s, tt.name, resp, tt.set)
			if standaloneLogin(b) == 0 {
				t.Fatal("not logged in")
			}
			resp, body := b.post("/", "/demo/logout", url.Values{})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("demo logout: %d %.300s", resp.StatusCode, body)
			}
			checkSetCookies(t, s, "logout after "+tt.name, resp, deleted("auth", "saltkey", "connect_login", "connect_is_bind", "connect_uin"))
			if standaloneLogin(b) != 0 {
				t.Error("still logged in after the demo logout")
			}
		})
	}
}

// standaloneLogin is discuzLogin for a standalone site (no testdb): the uid
// Discuz's cookies in the browser log in, or 0.
func standaloneLogin(b *browser) int64 {
	t := b.s.t
	t.Helper()
	u, _ := url.Parse(b.s.URL)
	var auth, salt string
	for _, c := range b.c.Jar.Cookies(u) {
		switch n, _ := discuzShortName(b.s, c.Name); n {
		case "auth":
			auth, _ = url.QueryUnescape(c.Value)
		case "saltkey":
			salt = c.Value
		}
	}
	if auth == "" || salt == "" {
		return 0
	}
	pw, uid, err := discuz.ParseAuthCookie(auth, b.s.Authkey, salt, time.Now())
	if err != nil {
		t.Fatalf("auth cookie does not decode: %v", err)
	}
	m, err := b.s.App.Store.MemberByUID(context.Background(), uid)
	if err != nil || m.Password != pw {
		t.Fatalf("auth cookie of uid %d does not match its member row (%v)", uid, err)
	}
	return uid
}
