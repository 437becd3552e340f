package app

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/config"
	"qqconnect/internal/testdb"
	"qqconnect/plugin/sandbox"
)

// testSite is qqconnect serving a real Discuz database (loaded from Discuz's
// own install SQL) on loopback, with the strict QQ sandbox as a separate
// loopback server, exactly as a deployment with QQCONNECT_QQ_API_BASE would be.
type testSite struct {
	t       *testing.T
	DB      *testdb.DB
	App     *App
	URL     string // qqconnect's public URL
	QQ      *sandbox.Sandbox
	QQURL   string
	AppID   string
	AppKey  string
	Authkey string
	Pre     string // cookie prefix from config
	Cfg     *config.Config
	log     *slog.Logger
}

// uc is the real name of a UCenter table of this site.
func (s *testSite) uc(name string) string { return s.App.Store.T.UCenter(name) }

const testAppID = "101234567"

func newTestSite(t *testing.T, Version string, env map[string]string) *testSite {
	t.Helper()
	return newTestSiteWith(t, Version, env, nil)
}

// newTestSiteWith is newTestSite with a step that reshapes the database
// before qqconnect opens it (e.g. UCenter moved to a database of its own)
// and may add configuration.
func newTestSiteWith(t *testing.T, Version string, env map[string]string, prepare func(db *testdb.DB) map[string]string) *testSite {
	t.Helper()
	return newTestSiteOn(t, testdb.New(t, Version), env, prepare)
}

// newTestSiteOn is newTestSiteWith on a database the caller made.
func newTestSiteOn(t *testing.T, db *testdb.DB, env map[string]string, prepare func(db *testdb.DB) map[string]string) *testSite {
	t.Helper()
	appkey := randHex(t, 16)
	db.InstallQQConnect(t, testAppID, appkey)
	if prepare != nil {
		extra := prepare(db)
		merged := map[string]string{}
		for k, v := range env {
			merged[k] = v
		}
		for k, v := range extra {
			merged[k] = v
		}
		env = merged
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	publicURL := "http://" + ln.Addr().String()
	var redirectURI string // set once the configuration is loaded
	sb := sandbox.New(sandbox.Options{
		Apps: func(ctx context.Context) ([]sandbox.App, error) {
			var id, key string
			_ = db.SQL.QueryRowContext(ctx, "SELECT svalue FROM pre_common_setting WHERE skey='connectappid'").Scan(&id)
			_ = db.SQL.QueryRowContext(ctx, "SELECT svalue FROM pre_common_setting WHERE skey='connectappkey'").Scan(&key)
			return []sandbox.App{{AppID: id, AppKey: key, RedirectURIs: []string{redirectURI}}}, nil
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	qqSrv := httptest.NewServer(sb)
	t.Cleanup(qqSrv.Close)

	authkey := randHex(t, 16)
	vars := map[string]string{
		"QQCONNECT_DB_DRIVER":      "mysql",
		"QQCONNECT_DB_DSN":         db.DSN,
		"QQCONNECT_AUTHKEY":        authkey,
		"QQCONNECT_PUBLIC_URL":     publicURL,
		"QQCONNECT_ADDR":           ln.Addr().String(),
		"QQCONNECT_QQ_API_BASE":    qqSrv.URL,
		"QQCONNECT_QZONE_API_BASE": qqSrv.URL,
		"QQCONNECT_COOKIE_PRE":     "OqGo_",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, _, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	redirectURI = cfg.RedirectURI()
	log := slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app, err := Open(context.Background(), cfg, log, true)
	if err != nil {
		t.Fatalf("openApp: %v", err)
	}
	t.Cleanup(app.Close)
	serveOn(t, app, ln)
	return &testSite{t: t, DB: db, App: app, URL: publicURL, QQ: sb, QQURL: qqSrv.URL,
		AppID: testAppID, AppKey: appkey, Authkey: authkey, Pre: "OqGo_", Cfg: cfg, log: log}
}

// secondInstance starts another qqconnect process's worth of app and router
// on the same database and configuration (two instances behind one proxy)
// and returns its base URL; browsers share cookies with the first, since
// cookies do not tell ports apart.
func (s *testSite) secondInstance() string {
	t := s.t
	t.Helper()
	cfg := *s.Cfg
	app, err := Open(context.Background(), &cfg, s.log, false)
	if err != nil {
		t.Fatalf("second instance: %v", err)
	}
	t.Cleanup(app.Close)
	srv := httptest.NewServer(newRouter(app))
	t.Cleanup(srv.Close)
	return srv.URL
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// browser is one visitor: a cookie jar and no automatic redirects, so every
// hop of the flow is checked.
type browser struct {
	s   *testSite
	c   *http.Client
	hdr map[string]string // sent with every request (e.g. X-Forwarded-For)
	url string            // the instance this browser talks to ("" = s.URL)
}

func (s *testSite) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.s.t.Helper()
	return b.do(http.MethodGet, path, nil, nil)
}

func (b *browser) do(method, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	b.s.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		base := b.s.URL
		if b.url != "" {
			base = b.url
		}
		u = base + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.hdr {
		req.Header.Set(k, v)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// post submits a form of page (fetched first) with its own hidden _csrf.
func (b *browser) post(page, action string, form url.Values) (*http.Response, string) {
	b.s.t.Helper()
	_, html := b.get(page)
	m := csrfRe.FindStringSubmatch(html)
	if m == nil {
		b.s.t.Fatalf("no _csrf field on %s: %.300s", page, html)
	}
	form.Set("_csrf", m[1])
	return b.do(http.MethodPost, action, form, nil)
}

// qqLogin clicks "QQ login", lets the sandbox authorize QQ number qqNum the
// way its login page would, and follows QQ's redirect back to the callback.
func (b *browser) qqLogin(qqNum, referer string) (*http.Response, string) {
	b.s.t.Helper()
	if _, err := b.s.QQ.AddIdentity(qqNum, "企鹅"+qqNum); err != nil {
		b.s.t.Fatal(err)
	}
	return b.qqLoginAs(qqNum, referer)
}

// qqLoginAs is qqLogin for a sandbox identity the test has set up itself.
func (b *browser) qqLoginAs(qqNum, referer string) (*http.Response, string) {
	t := b.s.t
	t.Helper()
	resp, body := b.get("/connect/qq/login?referer=" + url.QueryEscape(referer))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login: status %d, want 302: %.300s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), b.s.QQURL+"/oauth2.0/authorize?") {
		t.Fatalf("login redirected to %q", resp.Header.Get("Location"))
	}
	q := loc.Query()
	code, err := b.s.QQ.Authorize(context.Background(), q.Get("client_id"), q.Get("redirect_uri"), q.Get("state"), qqNum)
	if err != nil {
		t.Fatalf("sandbox authorize: %v", err)
	}
	cb := q.Get("redirect_uri") + "?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state"))
	return b.get(cb)
}

// discuzLogin decodes the Discuz login cookies the browser holds, as Discuz
// itself would, and returns the uid (0 when not logged in).
func (b *browser) discuzLogin() int64 {
	t := b.s.t
	t.Helper()
	u, _ := url.Parse(b.s.URL)
	var auth, salt string
	for _, c := range b.c.Jar.Cookies(u) {
		switch c.Name {
		case discuz.CookieName(b.s.Pre, "/", "", "auth"):
			auth, _ = url.QueryUnescape(c.Value)
		case discuz.CookieName(b.s.Pre, "/", "", "saltkey"):
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
	var want string
	if err := b.s.DB.SQL.QueryRow("SELECT password FROM pre_common_member WHERE uid=?", uid).Scan(&want); err != nil {
		t.Fatalf("member %d: %v", uid, err)
	}
	if pw != want {
		t.Fatalf("auth cookie password part does not match pre_common_member.password")
	}
	return uid
}

// addMember creates a forum member the way Discuz's installer/registration
// does (UCenter row with this version's hash, plus the member rows).
func (s *testSite) addMember(username, password string, groupid int) int64 {
	t := s.t
	t.Helper()
	hash, salt, err := discuz.HashUCPassword(password, s.DB.Version == testdb.X35, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.DB.SQL.Exec("INSERT INTO "+s.uc("members")+" (username, password, email, regip, regdate, salt) VALUES (?, ?, ?, '127.0.0.1', UNIX_TIMESTAMP(), ?)",
		username, hash, username+"@example.com", salt)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := res.LastInsertId()
	memberPW, _ := discuz.NewMemberPassword(rand.Reader)
	s.DB.Exec(t, "INSERT INTO "+s.uc("memberfields")+" (uid, blacklist) VALUES (?, '')", uid)
	s.DB.Exec(t, "INSERT INTO pre_common_member (uid, username, password, email, groupid, regdate, timeoffset) VALUES (?, ?, ?, ?, ?, UNIX_TIMESTAMP(), '9999')",
		uid, username, memberPW, username+"@example.com", groupid)
	s.DB.Exec(t, "INSERT INTO pre_common_member_status (uid, regip, lastip) VALUES (?, '127.0.0.1', '127.0.0.1')", uid)
	return uid
}

// checksum fingerprints the tables a QQ flow may write, to prove a refusal
// wrote nothing.
// qqCalls is how many calls this instance made to one QQ endpoint, from
// its own latency histogram.
func (s *testSite) qqCalls(endpoint string) uint64 {
	s.t.Helper()
	mfs, err := s.App.Metrics.Registry.Gather()
	if err != nil {
		s.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "qqconnect_qq_call_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "endpoint" && l.GetValue() == endpoint {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// settingsChanged tells the instance that a test changed the QQ login
// settings behind its back (as Discuz's admin panel or the CLI would): it
// would see them within qqSettingsTTL anyway; tests do not wait for that.
func (s *testSite) settingsChanged() { s.App.QQSettings.Forget() }

func (s *testSite) checksum() string {
	s.t.Helper()
	tables := []string{"pre_common_member", "pre_common_member_connect", "pre_connect_memberbindlog",
		"pre_common_member_status", "pre_common_member_count", "pre_common_member_profile",
		"pre_common_member_field_forum", "pre_common_member_field_home", s.uc("members"),
		s.uc("memberfields"), "pre_qqconnect_identity"}
	rows, err := s.DB.SQL.Query("CHECKSUM TABLE " + strings.Join(tables, ", "))
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var out strings.Builder
	for rows.Next() {
		var name string
		var sum sql.NullInt64
		if err := rows.Scan(&name, &sum); err != nil {
			s.t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s=%d;", name, sum.Int64)
	}
	return out.String()
}

func (s *testSite) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.DB.SQL.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// tlog sends the app's warnings and errors to the test log.
type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) { w.t.Log(strings.TrimSpace(string(p))); return len(p), nil }

func sandboxOpenID(s *testSite, qq string) string { return sandbox.OpenID(s.AppID, qq) }

func itoa(n int64) string { return fmt.Sprint(n) }

// serveOn serves the app's router on ln until the test ends (the public
// URL must be known before the app is built, so the listener comes first).
func serveOn(t *testing.T, app *App, ln net.Listener) {
	srv := httptest.NewUnstartedServer(newRouter(app))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
}
