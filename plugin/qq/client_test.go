package qq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var testCred = Credentials{AppID: testAppID, AppKey: testAppKey}

// reply writes body the way graph.qq.com does: text/html whatever the shape.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

type observation struct {
	endpoint string
	code     int
}

// newTestClient starts a loopback QQ stand-in and a Client pointed at it.
func newTestClient(t *testing.T, h http.HandlerFunc, mod func(*Options)) (*Client, *httptest.Server, func() []observation) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	var obs []observation
	o := Options{
		BaseURL:    srv.URL,
		HTTPClient: srv.Client(),
		Timeout:    5 * time.Second,
		Observe: func(ep string, _ time.Duration, code int) {
			mu.Lock()
			defer mu.Unlock()
			obs = append(obs, observation{ep, code})
		},
	}
	if mod != nil {
		mod(&o)
	}
	return New(o), srv, func() []observation {
		mu.Lock()
		defer mu.Unlock()
		return append([]observation(nil), obs...)
	}
}

func TestAuthorizeURL(t *testing.T) {
	const cb = "https://bbs.example.com/connect/qq/callback"
	tests := []struct {
		name, base, redirect, state string
		mobile                      bool
		want                        string
	}{
		{"pc", "", cb, "s1", false,
			"https://graph.qq.com/oauth2.0/authorize?response_type=code&client_id=101896710&redirect_uri=https%3A%2F%2Fbbs.example.com%2Fconnect%2Fqq%2Fcallback&state=s1&scope=get_user_info"},
		{"mobile", "", cb, "s1", true,
			"https://graph.qq.com/oauth2.0/authorize?response_type=code&client_id=101896710&redirect_uri=https%3A%2F%2Fbbs.example.com%2Fconnect%2Fqq%2Fcallback&state=s1&scope=get_user_info&display=mobile"},
		{"sandbox base with path and slash", "http://127.0.0.1:8080/sandbox/qq/", "http://127.0.0.1:8080/connect/qq/callback?x=%2F&y=a b", "a+b/c", false,
			"http://127.0.0.1:8080/sandbox/qq/oauth2.0/authorize?response_type=code&client_id=101896710&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fconnect%2Fqq%2Fcallback%3Fx%3D%252F%26y%3Da+b&state=a%2Bb%2Fc&scope=get_user_info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Options{BaseURL: tt.base})
			got := c.AuthorizeURL(testCred, tt.redirect, tt.state, tt.mobile)
			if got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			if r := u.Query().Get("redirect_uri"); r != tt.redirect {
				t.Fatalf("redirect_uri decodes to %q, want %q (encoded more than once?)", r, tt.redirect)
			}
			if strings.Contains(got, testAppKey) {
				t.Fatal("authorize URL must not carry the App Key")
			}
		})
	}
}

// The redirect_uri QQ receives at the token step must be byte-identical to
// the one in the authorize URL, else QQ answers 100010/100019.
func TestRedirectURIIdenticalAndFullFlow(t *testing.T) {
	const redirect = "https://bbs.example.com/connect/qq/callback?referer=%2Fforum.php%3Fmod%3Dviewthread&x=中文"
	var gotRedirect, gotRawQuery string
	c, _, observed := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/oauth2.0/token":
			gotRedirect, gotRawQuery = q.Get("redirect_uri"), r.URL.RawQuery
			want := url.Values{"grant_type": {"authorization_code"}, "client_id": {testAppID}, "client_secret": {testAppKey},
				"code": {testCode}, "redirect_uri": {redirect}, "fmt": {"json"}}
			if fmt.Sprint(q) != fmt.Sprint(want) || r.Method != http.MethodGet {
				t.Errorf("token query %v %v", r.Method, q)
			}
			reply(w, 200, tokenJSONString)
		case "/oauth2.0/me":
			if q.Get("access_token") != testAccessToken || q.Get("fmt") != "json" || q.Has("unionid") {
				t.Errorf("me query %v", q)
			}
			reply(w, 200, meJSONP)
		case "/user/get_user_info":
			want := url.Values{"access_token": {testAccessToken}, "oauth_consumer_key": {testAppID}, "openid": {testOpenID}}
			if fmt.Sprint(q) != fmt.Sprint(want) {
				t.Errorf("get_user_info query %v", q)
			}
			reply(w, 200, userInfoOK)
		default:
			http.NotFound(w, r)
		}
	}, nil)

	authURL, _ := url.Parse(c.AuthorizeURL(testCred, redirect, "st", false))
	sentRedirect := authURL.Query().Get("redirect_uri")
	ctx := context.Background()
	tok, err := c.ExchangeCode(ctx, testCred, testCode, sentRedirect)
	if err != nil {
		t.Fatal(err)
	}
	if gotRedirect != sentRedirect || gotRedirect != redirect {
		t.Fatalf("redirect_uri differs:\nauthorize %q\ntoken     %q", sentRedirect, gotRedirect)
	}
	if !strings.Contains(gotRawQuery, "redirect_uri="+url.QueryEscape(redirect)+"&") {
		t.Fatalf("redirect_uri not encoded exactly once: %s", gotRawQuery)
	}
	if tok.AccessToken != testAccessToken || tok.ExpiresIn != 5184000 {
		t.Fatalf("token %v", tok)
	}
	me, err := c.Me(ctx, testCred, tok.AccessToken, false)
	if err != nil || me.OpenID != testOpenID || me.UnionIDUnavailable {
		t.Fatalf("me %+v %v", me, err)
	}
	ui, err := c.UserInfo(ctx, testCred, tok.AccessToken, me.OpenID)
	if err != nil || ui.Nickname != "飞翔的企鹅" || !strings.Contains(ui.AvatarURL, "s=100") {
		t.Fatalf("userinfo %+v %v", ui, err)
	}
	want := []observation{{"token", 0}, {"me", 0}, {"get_user_info", 0}}
	if fmt.Sprint(observed()) != fmt.Sprint(want) {
		t.Fatalf("observed %v", observed())
	}
}

// Every body shape, served as text/html with the listed status.
func TestEndpointsOverHTTP(t *testing.T) {
	type result struct {
		ok   bool
		code int
		kind Kind
	}
	tests := []struct {
		endpoint string
		status   int
		body     string
		want     result
	}{
		{"token", 200, tokenForm, result{ok: true}},
		{"token", 200, tokenJSONString, result{ok: true}},
		{"token", 200, tokenJSONNumber, result{ok: true}},
		{"token", 200, tokenJSONPReused, result{code: 100020, kind: KindRelogin}},
		{"token", 200, tokenJSONCodeError, result{code: 100019, kind: KindRelogin}},
		{"token", 200, tokenJSONStrError, result{code: 100019, kind: KindRelogin}},
		{"token", 200, tokenJSONRedirect, result{code: 100010, kind: KindConfig}},
		{"token", 400, tokenJSONBadSecret, result{code: 100009, kind: KindConfig}},
		{"token", 200, "", result{kind: KindUnexpected}},
		{"token", 200, htmlLoginNotice, result{kind: KindUnexpected}},
		{"token", 200, tokenTruncated, result{kind: KindUnexpected}},
		{"token", 502, htmlErrorPage, result{kind: KindTransport}},
		{"token", 500, tokenJSONString, result{kind: KindTransport}}, // success body on an error status is not trusted
		{"token", 429, "", result{kind: KindRateLimited}},
		{"me", 200, meJSONP, result{ok: true}},
		{"me", 200, meJSONPSpaces, result{ok: true}},
		{"me", 200, meJSON, result{ok: true}},
		{"me", 200, meJSONPError, result{code: 100016, kind: KindRelogin}},
		{"me", 200, meJSONIllegal, result{code: 100013, kind: KindRelogin}},
		{"me", 200, "callback( {\"client_id\":\"1018", result{kind: KindUnexpected}},
		{"me", 503, "", result{kind: KindTransport}},
		{"get_user_info", 200, userInfoOK, result{ok: true}},
		{"get_user_info", 200, userInfoNoQQ2, result{ok: true}},
		{"get_user_info", 200, userInfo1002, result{code: 1002, kind: KindRelogin}},
		{"get_user_info", 200, userInfoMinus1, result{code: -1, kind: KindUnexpected}},
		{"get_user_info", 200, userInfoNoRet, result{kind: KindUnexpected}},
		{"get_user_info", 404, "<html>404</html>", result{kind: KindTransport}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d_%s_%d", i, tt.endpoint, tt.status), func(t *testing.T) {
			c, _, observed := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				reply(w, tt.status, tt.body)
			}, nil)
			ctx := context.Background()
			var err error
			switch tt.endpoint {
			case "token":
				_, err = c.ExchangeCode(ctx, testCred, testCode, "https://bbs.example.com/cb")
			case "me":
				_, err = c.Me(ctx, testCred, testAccessToken, false)
			case "get_user_info":
				_, err = c.UserInfo(ctx, testCred, testAccessToken, testOpenID)
			}
			obs := observed()
			if len(obs) != 1 || obs[0].endpoint != tt.endpoint {
				t.Fatalf("observed %v", obs)
			}
			if tt.want.ok {
				if err != nil || obs[0].code != 0 {
					t.Fatalf("err %v, observed %v", err, obs)
				}
				return
			}
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("want *Error, got %T %v", err, err)
			}
			if qe.Code != tt.want.code || qe.Kind != tt.want.kind || qe.Endpoint != tt.endpoint {
				t.Fatalf("got %d/%v/%s want %d/%v (%v)", qe.Code, qe.Kind, qe.Endpoint, tt.want.code, tt.want.kind, err)
			}
			if tt.status != 200 && qe.HTTPStatus != tt.status {
				t.Errorf("HTTPStatus %d", qe.HTTPStatus)
			}
			wantObs := -1
			if qe.Code != 0 {
				wantObs = qe.Code
			}
			if obs[0].code != wantObs {
				t.Errorf("observed code %d, want %d", obs[0].code, wantObs)
			}
			checkSafe(t, err.Error())
			checkSafeN(t, qe.AdminHint("https://bbs.example.com/cb"), 800)
		})
	}
}

func TestMeUnionIDFallback(t *testing.T) {
	for _, refusal := range []string{meCompanyID, meCompanyJSONP, meNoUnionPerm} {
		t.Run(refusal[:20], func(t *testing.T) {
			var calls []string
			c, _, observed := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				calls = append(calls, r.URL.RawQuery)
				if r.URL.Query().Get("unionid") == "1" {
					reply(w, 200, refusal)
					return
				}
				reply(w, 200, meJSONP)
			}, nil)
			me, err := c.Me(context.Background(), testCred, testAccessToken, true)
			if err != nil {
				t.Fatal(err)
			}
			if !me.UnionIDUnavailable || me.OpenID != testOpenID || me.UnionID != "" {
				t.Fatalf("me %+v", me)
			}
			if len(calls) != 2 || !strings.Contains(calls[0], "unionid=1") || strings.Contains(calls[1], "unionid") {
				t.Fatalf("calls %q", calls)
			}
			obs := observed()
			if len(obs) != 2 || obs[0].code < 100048 || obs[1].code != 0 {
				t.Fatalf("observed %v", obs)
			}
		})
	}

	t.Run("granted", func(t *testing.T) {
		c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, meJSONPUnionID) }, nil)
		me, err := c.Me(context.Background(), testCred, testAccessToken, true)
		if err != nil || me.UnionID != testUnionID || me.UnionIDUnavailable {
			t.Fatalf("%+v %v", me, err)
		}
	})
	t.Run("asked but none sent", func(t *testing.T) {
		var n atomic.Int32
		c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1); reply(w, 200, meJSONP) }, nil)
		me, err := c.Me(context.Background(), testCred, testAccessToken, true)
		if err != nil || !me.UnionIDUnavailable || me.OpenID != testOpenID || n.Load() != 1 {
			t.Fatalf("%+v %v (%d calls)", me, err, n.Load())
		}
	})
	t.Run("other errors are not retried", func(t *testing.T) {
		var n atomic.Int32
		c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1); reply(w, 200, meJSONPError) }, nil)
		_, err := c.Me(context.Background(), testCred, testAccessToken, true)
		var qe *Error
		if !errors.As(err, &qe) || qe.Code != 100016 || n.Load() != 1 {
			t.Fatalf("%v, %d calls", err, n.Load())
		}
	})
	t.Run("no unionid asked: 100048 is an error", func(t *testing.T) {
		c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, meCompanyID) }, nil)
		_, err := c.Me(context.Background(), testCred, testAccessToken, false)
		var qe *Error
		if !errors.As(err, &qe) || qe.Code != 100048 {
			t.Fatal(err)
		}
	})
}

func TestMeClientIDMismatch(t *testing.T) {
	for name, body := range map[string]string{
		"other app":    strings.Replace(meJSONP, testAppID, "100222222", 1),
		"no client_id": `{"openid":"` + testOpenID + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, body) }, nil)
			me, err := c.Me(context.Background(), testCred, testAccessToken, false)
			if me != nil || !errors.Is(err, ErrClientIDMismatch) {
				t.Fatalf("got %+v %v", me, err)
			}
			var qe *Error
			if !errors.As(err, &qe) || qe.Kind != KindConfig || qe.Endpoint != "me" {
				t.Fatalf("%#v", qe)
			}
			if h := qe.AdminHint(""); !strings.Contains(h, testAppID) {
				t.Errorf("hint should name both ids: %s", h)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	c, _, observed := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
		reply(w, 200, tokenJSONString)
	}, func(o *Options) { o.Timeout = 150 * time.Millisecond })
	start := time.Now()
	_, err := c.ExchangeCode(context.Background(), testCred, testCode, "https://bbs.example.com/cb")
	elapsed := time.Since(start)
	if elapsed > time.Second {
		t.Fatalf("took %v, deadline is 150ms", elapsed)
	}
	var qe *Error
	if !errors.As(err, &qe) || qe.Kind != KindTransport || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() || strings.Contains(ue.URL, "?") {
		t.Fatalf("url.Error should survive, without query: %#v", ue)
	}
	checkSafe(t, err.Error())
	if obs := observed(); len(obs) != 1 || obs[0].code != -1 {
		t.Fatalf("observed %v", obs)
	}
	// The caller's own, shorter deadline wins too.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Me(ctx, testCred, testAccessToken, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

func TestSizeLimit(t *testing.T) {
	big := `{"access_token":"AT1234","pad":"` + strings.Repeat("x", 70<<10) + `"}`
	c, _, observed := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, big) }, nil)
	_, err := c.ExchangeCode(context.Background(), testCred, testCode, "https://bbs.example.com/cb")
	var qe *Error
	if !errors.As(err, &qe) || qe.Kind != KindUnexpected || !strings.Contains(qe.Detail, "65536") {
		t.Fatalf("default 64 KiB limit: %v", err)
	}
	if obs := observed(); obs[0].code != -1 {
		t.Fatalf("observed %v", obs)
	}
	c2, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, userInfoOK) },
		func(o *Options) { o.MaxBodyBytes = 100 })
	if _, err := c2.UserInfo(context.Background(), testCred, testAccessToken, testOpenID); err == nil || !strings.Contains(err.Error(), "larger than 100") {
		t.Fatalf("custom limit: %v", err)
	}
	c3, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, userInfoOK) },
		func(o *Options) { o.MaxBodyBytes = int64(len(userInfoOK)) })
	if _, err := c3.UserInfo(context.Background(), testCred, testAccessToken, testOpenID); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
}

// A transport error's string must contain neither the App Key nor the
// access token, although both sit in the request URL (*url.Error.URL).
func TestTransportErrorHasNoSecrets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close() // nothing listens there any more: connection refused

	hangup, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}, nil)
	refused := New(Options{BaseURL: "http://" + deadAddr, Timeout: 2 * time.Second})

	for name, c := range map[string]*Client{"refused": refused, "hangup": hangup} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			_, err1 := c.ExchangeCode(ctx, testCred, testCode, "https://bbs.example.com/cb")
			_, err2 := c.Me(ctx, testCred, testAccessToken, true)
			_, err3 := c.UserInfo(ctx, testCred, testAccessToken, testOpenID)
			for _, err := range []error{err1, err2, err3} {
				var qe *Error
				if !errors.As(err, &qe) || qe.Kind != KindTransport {
					t.Fatalf("want a transport *Error, got %v", err)
				}
				for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), qe.AdminHint("x")} {
					if strings.Contains(s, testAppKey) || strings.Contains(s, testAccessToken) || strings.Contains(s, testCode) {
						t.Fatalf("secret in %q", s)
					}
				}
				if u, _ := qe.Unwrap().(*url.Error); u == nil || strings.Contains(u.Error(), "?") {
					t.Fatalf("cause should be a query-less *url.Error: %v", qe.Unwrap())
				}
				if zh, en := qe.UserMessage(); zh == "" || en == "" {
					t.Fatal("empty user message")
				}
			}
		})
	}
}

// The code is single use: ExchangeCode must reach QQ once even when the
// connection dies after the request was sent. Go's transport would resend
// an idempotent GET that failed on a reused keep-alive connection.
func TestExchangeCodeNeverRetried(t *testing.T) {
	var tokenCalls atomic.Int32
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2.0/token" {
			tokenCalls.Add(1)
			if len(r.TransferEncoding) > 0 || r.ContentLength != 0 {
				t.Errorf("token call sent a body: %v, length %d", r.TransferEncoding, r.ContentLength)
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		reply(w, 200, meJSONP)
	}, nil)
	ctx := context.Background()
	// Leave an idle keep-alive connection in the pool first.
	if _, err := c.Me(ctx, testCred, testAccessToken, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExchangeCode(ctx, testCred, testCode, "https://bbs.example.com/cb"); err == nil {
		t.Fatal("want an error")
	}
	if n := tokenCalls.Load(); n != 1 {
		t.Fatalf("token endpoint called %d times", n)
	}
}

func TestRedirectsNotFollowed(t *testing.T) {
	var hits atomic.Int32
	c, srv, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			hits.Add(1)
			reply(w, 200, meJSONP)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}, nil)
	_, err := c.Me(context.Background(), testCred, testAccessToken, false)
	var qe *Error
	if !errors.As(err, &qe) || qe.HTTPStatus != 302 || qe.Kind != KindTransport || hits.Load() != 0 {
		t.Fatalf("%v (hits %d)", err, hits.Load())
	}
	if srv.Client().CheckRedirect != nil {
		t.Fatal("the injected client must not be modified")
	}
}

func TestPrecheckAndBadBaseURL(t *testing.T) {
	var n atomic.Int32
	c, _, observed := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1) }, nil)
	ctx := context.Background()
	type check struct {
		err  error
		kind Kind
	}
	var checks []check
	_, err := c.ExchangeCode(ctx, Credentials{AppID: testAppID}, testCode, "x")
	checks = append(checks, check{err, KindConfig})
	_, err = c.ExchangeCode(ctx, testCred, "", "x")
	checks = append(checks, check{err, KindRelogin})
	_, err = c.Me(ctx, Credentials{}, testAccessToken, false)
	checks = append(checks, check{err, KindConfig})
	_, err = c.UserInfo(ctx, testCred, testAccessToken, "")
	checks = append(checks, check{err, KindRelogin})
	for i, ch := range checks {
		var qe *Error
		if !errors.As(ch.err, &qe) || qe.Kind != ch.kind {
			t.Errorf("%d: got %v", i, ch.err)
		}
	}
	if n.Load() != 0 || len(observed()) != 0 {
		t.Fatal("prechecks must not call QQ")
	}

	for _, base := range []string{"ftp://graph.qq.com", "graph.qq.com", "https://graph.qq.com/?x=1", "https://user:pw@graph.qq.com", "http://%zz"} {
		bad := New(Options{BaseURL: base})
		if bad.Err() == nil {
			t.Errorf("%q accepted", base)
		}
		_, err := bad.Me(ctx, testCred, testAccessToken, false)
		var qe *Error
		if !errors.As(err, &qe) || qe.Kind != KindConfig || qe.Endpoint != "me" {
			t.Errorf("%q: %v", base, err)
		}
	}
	for _, base := range []string{"", "https://graph.qq.com", "http://127.0.0.1:9/sandbox/qq/"} {
		if err := New(Options{BaseURL: base}).Err(); err != nil {
			t.Errorf("%q rejected: %v", base, err)
		}
	}
}

func TestNoSecretsWhenPrinted(t *testing.T) {
	tok := Token{AccessToken: testAccessToken, RefreshToken: testRefresh, ExpiresIn: 1, OpenID: testOpenID}
	var logs bytes.Buffer
	jl := slog.New(slog.NewJSONHandler(&logs, nil))
	tl := slog.New(slog.NewTextHandler(&logs, nil))
	jl.Info("x", "cred", testCred, "tok", tok, "ptr", &tok)
	tl.Info("x", "cred", testCred, "tok", tok, "credptr", &testCred)
	outs := []string{logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, testCred), fmt.Sprintf(verb, &testCred), fmt.Sprintf(verb, tok), fmt.Sprintf(verb, &tok),
			fmt.Sprintf(verb, []any{testCred, tok}))
	}
	for _, s := range outs {
		for _, secret := range []string{testAppKey, testAccessToken, testRefresh, "9c1e6a4b"} {
			if strings.Contains(s, secret) {
				t.Fatalf("secret printed: %s", s)
			}
		}
	}
	if !strings.Contains(testCred.String(), testAppID) || !strings.Contains(tok.String(), testOpenID) {
		t.Fatal("public parts should stay visible")
	}
}

func TestConcurrentUse(t *testing.T) {
	c, _, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, meJSONP) }, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.Me(context.Background(), testCred, testAccessToken, false); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
