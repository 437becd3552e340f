package plugin

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"qqconnect/discuz"
	"qqconnect/migrations"
	"qqconnect/models"
)

const (
	testOpenID  = "0123456789ABCDEF0123456789ABCDEF"
	testBoundID = 2 // uid with a connect row in sessionStore
	testLoneID  = 3 // uid without one
)

var sessionNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// sessionStore is the demo forum's sqlite schema with one bound member.
func sessionStore(t *testing.T) *models.Store {
	t.Helper()
	ctx := context.Background()
	tables := models.Tables{Pre: "pre_", UC: "pre_ucenter_"}
	s, err := models.Open(ctx, models.DriverSQLite, filepath.Join(t.TempDir(), "qq.db"), tables, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sqlDB, err := s.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	if err := migrations.DemoForum(ctx, sqlDB, tables.Pre, tables.UC); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.ExecContext(ctx, `INSERT INTO pre_common_member_connect
		(uid, conuin, conuinsecret, conuintoken, conopenid, conisfeed) VALUES (?, '', '', 'secret-token', ?, 1)`,
		testBoundID, testOpenID); err != nil {
		t.Fatal(err)
	}
	return s
}

func testSession(t *testing.T, store *models.Store, secure bool, path, domain string) *DiscuzSession {
	return &DiscuzSession{CookiePre: "OqGo_", CookiePath: path, CookieDomain: domain, Secure: secure,
		Authkey: "test-authkey", Store: store, Service: &Service{Now: func() time.Time { return sessionNow }}}
}

// serve runs f on a fresh request carrying cookies and returns the
// cookies the response sets, by name.
func serve(t *testing.T, cookies []*http.Cookie, f func(c *gin.Context)) (map[string]*http.Cookie, []string) {
	t.Helper()
	gin.SetMode(gin.TestMode) // quiet; the same for every test of the package
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest(http.MethodPost, "/", nil)
	for _, ck := range cookies {
		c.Request.AddCookie(ck)
	}
	f(c)
	got := map[string]*http.Cookie{}
	var order []string
	for _, ck := range (&http.Response{Header: w.Header()}).Cookies() {
		if got[ck.Name] != nil {
			t.Errorf("cookie %s set twice", ck.Name)
		}
		got[ck.Name] = ck
		order = append(order, ck.Name)
	}
	return got, order
}

// TestLoginCookies: every cookie a login writes, with Discuz's names,
// values, lifetimes, path, domain and HttpOnly flags.
func TestLoginCookies(t *testing.T) {
	store := sessionStore(t)
	type want struct {
		value    string // "" = any non-empty value
		life     int
		httpOnly bool
	}
	login := map[string]want{"saltkey": {"", 2592000, true}, "auth": {"", 1296000, true}}
	with := func(extra map[string]want) map[string]want {
		m := map[string]want{}
		for k, v := range login {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name         string
		kind         discuz.QQLoginKind
		secure       bool
		path, domain string
		want         map[string]want
	}{
		{"password login sets no helper", discuz.NotQQ, false, "/", "", login},
		{"QQ sign-in", discuz.QQSignIn, false, "/", "", with(map[string]want{
			"connect_login": {"1", 1296000, false}, "connect_is_bind": {"1", 31536000, false},
			"connect_uin": {testOpenID, 31536000, false}})},
		{"QQ bind on https under a path and domain", discuz.QQBind, true, "/bbs/", ".example.com", with(map[string]want{
			"connect_login": {"1", 31536000, false}, "connect_is_bind": {"1", 31536000, false},
			"connect_uin": {testOpenID, 31536000, false}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testSession(t, store, tt.secure, tt.path, tt.domain)
			got, _ := serve(t, nil, func(c *gin.Context) {
				if err := d.Login(c, &models.Member{UID: testBoundID, Password: "pw"}, tt.kind, ""); err != nil {
					t.Fatal(err)
				}
			})
			if len(got) != len(tt.want) {
				t.Errorf("%d cookies set, want %d: %v", len(got), len(tt.want), got)
			}
			for short, w := range tt.want {
				name := discuz.CookieName("OqGo_", tt.path, tt.domain, short)
				ck := got[name]
				if ck == nil {
					t.Errorf("%s not set", name)
					continue
				}
				if w.value != "" && ck.Value != w.value || ck.Value == "" {
					t.Errorf("%s = %q, want %q", name, ck.Value, w.value)
				}
				if ck.MaxAge != w.life || !ck.Expires.Equal(sessionNow.Add(time.Duration(w.life)*time.Second)) {
					t.Errorf("%s: Max-Age %d Expires %v, want %d s from %v", name, ck.MaxAge, ck.Expires, w.life, sessionNow)
				}
				if ck.HttpOnly != w.httpOnly || ck.Secure != tt.secure || ck.SameSite != http.SameSiteLaxMode {
					t.Errorf("%s: HttpOnly %v Secure %v SameSite %v, want %v %v Lax", name, ck.HttpOnly, ck.Secure, ck.SameSite, w.httpOnly, tt.secure)
				}
				if ck.Path != tt.path || ck.Domain != "example.com" && tt.domain != "" || ck.Domain != "" && tt.domain == "" {
					t.Errorf("%s: Path %q Domain %q, want %q %q", name, ck.Path, ck.Domain, tt.path, tt.domain)
				}
			}
		})
	}
}

// TestQQLoginNeedsTheBinding: a QQ login of a member without a connect
// row fails before any cookie is written; a password login does not care.
func TestQQLoginNeedsTheBinding(t *testing.T) {
	store := sessionStore(t)
	tests := []struct {
		kind    discuz.QQLoginKind
		wantErr bool
	}{
		{discuz.NotQQ, false},
		{discuz.QQSignIn, true},
		{discuz.QQBind, true},
	}
	for _, tt := range tests {
		d := testSession(t, store, false, "/", "")
		got, _ := serve(t, nil, func(c *gin.Context) {
			err := d.Login(c, &models.Member{UID: testLoneID, Password: "pw"}, tt.kind, "")
			if (err != nil) != tt.wantErr {
				t.Errorf("kind %d: err %v, want error %v", tt.kind, err, tt.wantErr)
			}
		})
		if tt.wantErr && len(got) != 0 {
			t.Errorf("kind %d: cookies written on a failed login: %v", tt.kind, got)
		}
	}
}

// TestLogoutCookies: logout deletes every Discuz cookie the browser sent
// (clearcookies()), except widthauto, which only the unbind deletes, and
// never a cookie of another prefix or qqconnect's own.
func TestLogoutCookies(t *testing.T) {
	d := testSession(t, nil, true, "/", "")
	p := func(n string) string { return discuz.CookieName("OqGo_", "/", "", n) }
	sent := []*http.Cookie{
		{Name: p("auth"), Value: "x"}, {Name: p("connect_login"), Value: "1"}, {Name: p("con_auth_hash"), Value: "h"},
		{Name: p("lastvisit"), Value: "1"}, {Name: p("widthauto"), Value: "1"},
		{Name: "OqGo_7a3a_auth", Value: "other path"}, {Name: "qqc_session", Value: "s"},
	}
	always := []string{"auth", "saltkey", "connect_login", "connect_is_bind", "connect_uin"}
	tests := []struct {
		name    string
		sent    []*http.Cookie
		logout  func(*DiscuzSession, *gin.Context)
		deleted []string // short names besides always
	}{
		{"logout with nothing sent", nil, (*DiscuzSession).Logout, nil},
		{"logout", sent, (*DiscuzSession).Logout, []string{"con_auth_hash", "lastvisit"}},
		{"unbind", sent, (*DiscuzSession).LogoutUnbound, []string{"con_auth_hash", "lastvisit", "widthauto"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := serve(t, tt.sent, func(c *gin.Context) { tt.logout(d, c) })
			want := append(append([]string{}, always...), tt.deleted...)
			if len(got) != len(want) {
				t.Errorf("%d cookies set, want %d: %v", len(got), len(want), got)
			}
			for _, short := range want {
				ck := got[p(short)]
				if ck == nil {
					t.Errorf("%s not deleted", p(short))
					continue
				}
				if ck.MaxAge >= 0 || ck.Value != "" || !ck.Expires.Before(sessionNow) || ck.Path != "/" || !ck.Secure {
					t.Errorf("%s: %q Max-Age %d Expires %v Path %q Secure %v, want a deletion", ck.Name, ck.Value, ck.MaxAge, ck.Expires, ck.Path, ck.Secure)
				}
			}
		})
	}
}
