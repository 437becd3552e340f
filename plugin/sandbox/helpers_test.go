package sandbox

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"qqconnect/internal/testlog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	prefix  = "/sandbox/qq"
	appID   = "101000001"
	appKey  = "0123456789abcdef0123456789abcdef"
	app2ID  = "101000002"
	app2Key = "fedcba9876543210fedcba9876543210"
	cbPlain = "https://forum.example.com/qq/callback"
	cbQuery = "https://forum.example.com/plugin.php?id=qqconnect:callback"
	cbApp2  = "https://other.example.com/cb"

	// Pinned so that a change of the derivation (which would orphan every
	// stored openid) fails a test: md5("101000001:10001"), md5("union:10001").
	openid10001  = "3C6AE24DCED4700EBF1F79950FEE3070"
	unionid10001 = "6065180135C4D03EB0176544DEE57F62"
)

// clock is the injected, test-controlled time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// appList is the admin's app configuration, changeable during a test.
type appList struct {
	mu   sync.Mutex
	apps []App
	err  error
}

func (a *appList) get(context.Context) ([]App, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return nil, a.err
	}
	return append([]App(nil), a.apps...), nil
}

func (a *appList) set(apps []App, err error) {
	a.mu.Lock()
	a.apps, a.err = apps, err
	a.mu.Unlock()
}

func defaultApps() []App {
	return []App{
		{AppID: appID, AppKey: appKey, RedirectURIs: []string{cbPlain, cbQuery}},
		{AppID: app2ID, AppKey: app2Key, RedirectURIs: []string{cbApp2}},
	}
}

type env struct {
	t      *testing.T
	sb     *Sandbox
	srv    *httptest.Server
	clk    *clock
	apps   *appList
	logs   *testlog.Buffer
	client *http.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

func newEnvWith(t *testing.T, rnd io.Reader) *env {
	t.Helper()
	e := &env{
		t:    t,
		clk:  &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		apps: &appList{apps: defaultApps()},
		logs: &testlog.Buffer{},
	}
	e.sb = New(Options{
		Apps:   e.apps.get,
		Now:    e.clk.Now,
		Prefix: prefix,
		Rand:   rnd,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	e.srv = httptest.NewServer(e.sb)
	t.Cleanup(e.srv.Close)
	// A browser without cookies that stops at the redirect to the app.
	e.client = &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return e
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, path string, v url.Values) reply {
	e.t.Helper()
	var req *http.Request
	var err error
	if method == http.MethodPost {
		req, err = http.NewRequest(method, e.srv.URL+prefix+path, strings.NewReader(v.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		u := e.srv.URL + prefix + path
		if len(v) > 0 {
			u += "?" + v.Encode()
		}
		req, err = http.NewRequest(method, u, nil)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (e *env) get(path string, v url.Values) reply { return e.do(http.MethodGet, path, v) }

func authorizeQuery(clientID, redirectURI, state string) url.Values {
	return url.Values{
		"response_type": {"code"},
		"client_id":     {clientID},
		"redirect_uri":  {redirectURI},
		"state":         {state},
		"scope":         {"get_user_info"},
	}
}

var formTokenRE = regexp.MustCompile(`name="form_token" value="([0-9A-F]{32})"`)

// openLoginPage loads the login page and returns its form token.
func (e *env) openLoginPage(q url.Values) (string, reply) {
	e.t.Helper()
	r := e.get("/oauth2.0/authorize", q)
	if r.status != http.StatusOK {
		e.t.Fatalf("authorize page: status %d, body %s", r.status, r.body)
	}
	m := formTokenRE.FindStringSubmatch(r.body)
	if m == nil {
		e.t.Fatalf("no form token in login page:\n%s", r.body)
	}
	return m[1], r
}

// code gets a code the direct way.
func (e *env) code(clientID, redirectURI, qq string) string {
	e.t.Helper()
	c, err := e.sb.Authorize(context.Background(), clientID, redirectURI, "st", qq)
	if err != nil {
		e.t.Fatalf("Authorize: %v", err)
	}
	return c
}

func tokenQuery(clientID, secret, code, redirectURI string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {clientID},
		"client_secret": {secret},
		"code":          {code},
		"redirect_uri":  {redirectURI},
	}
}

var formTokenBodyRE = regexp.MustCompile(`^access_token=([0-9A-F]{32})&expires_in=7776000&refresh_token=([0-9A-F]{32})$`)

// accessToken runs the whole direct flow for qq on the main app.
func (e *env) accessToken(qq string) string {
	e.t.Helper()
	r := e.get("/oauth2.0/token", tokenQuery(appID, appKey, e.code(appID, cbPlain, qq), cbPlain))
	m := formTokenBodyRE.FindStringSubmatch(r.body)
	if m == nil {
		e.t.Fatalf("token exchange failed: %q", r.body)
	}
	return m[1]
}

func jsonp(obj string) string { return "callback( " + obj + " );\n" }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }
