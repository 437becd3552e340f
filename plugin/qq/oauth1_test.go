package qq

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The flow's values (the openid signature testCallbackSig is in
// oauth1_sign_test.go; the signatures below come from PHP + openssl, see
// TestHMACSHA1Vectors).
const (
	testRT       = "7b4f2c9e1a3d5f60"
	testRTSecret = "e5f6a7b8c9d0e1f2"
	testVericode = "a1b2c3d4"
	testAT       = "AT5E2C0B9D8A7F61"
	testATSecret = "f0e1d2c3b4a59687"
	testCBTime   = "1300000000"
)

var oauth1Secrets = []string{testAppKey, testRTSecret, testATSecret, testAT, testVericode, testCallbackSig,
	"Gd+hxqG6KHqWcyDZu0SGpCMsK8M=", "wAGgfVhPbDBwnmttSitXe0vgyqU=", "03H6jGR8fFGX/EnbgR6uN3Uz3OU="}

func checkOAuth1Safe(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, secret := range oauth1Secrets {
			if strings.Contains(s, secret) || strings.Contains(s, PercentEncode(secret)) {
				t.Fatalf("secret %.6s… leaked: %s", secret, s)
			}
		}
	}
}

func testCallback() url.Values {
	return url.Values{"oauth_token": {testRT}, "openid": {testOpenID}, "oauth_signature": {testCallbackSig},
		"timestamp": {testCBTime}, "oauth_vericode": {testVericode}}
}

// indepEnc is a second RFC 3986 encoder that shares no code with
// PercentEncode: url.QueryEscape keeps exactly [A-Za-z0-9-_.~] and writes
// a space as "+".
func indepEnc(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// fakeQzone is a strict stand-in for openapi.qzone.qq.com: it recomputes
// every request's signature with its own encoder and sort and the secrets it
// issued, checks the SDK's wire format byte for byte, and answers QQ's error
// when anything differs. A wrong signature in the client fails the flow.
type fakeQzone struct {
	t      *testing.T
	prefix string // path prefix the client's BaseURL carries
	ts     func() string

	mu        sync.Mutex
	nonces    map[string]bool
	hits      map[string]int
	rejects   []string
	answerOID string
	// override, if set, answers instead of the normal logic (after the
	// signature check succeeded).
	override func(w http.ResponseWriter, r *http.Request, path string) bool
}

func newFakeQzone(t *testing.T) *fakeQzone {
	return &fakeQzone{t: t, nonces: map[string]bool{}, hits: map[string]int{}, answerOID: testOpenID}
}

func (f *fakeQzone) reject(w http.ResponseWriter, why string) {
	f.mu.Lock()
	f.rejects = append(f.rejects, why)
	f.mu.Unlock()
	reply(w, 200, "error_code=3&error_msg="+url.QueryEscape("signature check failed: "+why))
}

func (f *fakeQzone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, f.prefix)
	f.mu.Lock()
	f.hits[path]++
	f.mu.Unlock()
	if r.Method != http.MethodGet {
		f.reject(w, "method "+r.Method)
		return
	}
	raw := r.URL.RawQuery
	q, err := url.ParseQuery(raw)
	if err != nil {
		f.reject(w, "bad query")
		return
	}
	for k, vs := range q {
		if len(vs) != 1 {
			f.reject(w, "repeated "+k)
			return
		}
	}
	switch {
	case q.Get("oauth_consumer_key") != testAppID:
		f.reject(w, "consumer key")
		return
	case q.Get("oauth_signature_method") != "HMAC-SHA1" || q.Get("oauth_version") != "1.0":
		f.reject(w, "method/version")
		return
	case f.ts != nil && q.Get("oauth_timestamp") != f.ts():
		f.reject(w, "timestamp "+q.Get("oauth_timestamp"))
		return
	case q.Get("oauth_nonce") == "":
		f.reject(w, "no nonce")
		return
	}
	f.mu.Lock()
	replay := f.nonces[q.Get("oauth_nonce")]
	f.nonces[q.Get("oauth_nonce")] = true
	f.mu.Unlock()
	if replay {
		f.reject(w, "nonce replayed")
		return
	}

	var tokenSecret string
	switch path {
	case "/oauth/qzoneoauth_request_token":
		if len(q) != 6 {
			f.reject(w, "unexpected parameters")
			return
		}
	case "/oauth/qzoneoauth_access_token":
		if q.Get("oauth_token") != testRT || q.Get("oauth_vericode") != testVericode || len(q) != 8 {
			f.reject(w, "request token or vericode")
			return
		}
		tokenSecret = testRTSecret
	case "/user/get_user_info":
		if q.Get("oauth_token") != testAT || q.Get("openid") != testOpenID || q.Get("format") != "json" || len(q) != 9 {
			f.reject(w, "access token, openid or format")
			return
		}
		tokenSecret = testATSecret
	default:
		http.NotFound(w, r)
		return
	}

	// Independent base string: METHOD&enc(uri)&enc(sorted enc(k)=enc(v)).
	var pairs []string
	for k, vs := range q {
		if k != "oauth_signature" {
			pairs = append(pairs, indepEnc(k)+"="+indepEnc(vs[0]))
		}
	}
	sort.Strings(pairs) // names are unique, so this is name-then-value order
	norm := strings.Join(pairs, "&")
	base := "GET&" + indepEnc("http://"+r.Host+r.URL.Path) + "&" + indepEnc(norm)
	mac := hmac.New(sha1.New, []byte(testAppKey+"&"+tokenSecret)) // the SDK's raw key
	mac.Write([]byte(base))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if q.Get("oauth_signature") != want {
		f.reject(w, "signature")
		return
	}
	// The SDK's wire format: the sorted string, then oauth_signature.
	if raw != norm+"&oauth_signature="+indepEnc(want) {
		f.reject(w, "wire format "+raw)
		return
	}
	if f.override != nil && f.override(w, r, path) {
		return
	}
	switch path {
	case "/oauth/qzoneoauth_request_token":
		reply(w, 200, "oauth_token="+testRT+"&oauth_token_secret="+testRTSecret)
	case "/oauth/qzoneoauth_access_token":
		reply(w, 200, "oauth_token="+testAT+"&oauth_token_secret="+testATSecret+"&openid="+f.answerOID+
			"&oauth_signature="+url.QueryEscape(testCallbackSig)+"&oauth_vericode="+testVericode+"&timestamp="+testCBTime)
	case "/user/get_user_info":
		reply(w, 200, userInfoOK)
	}
}

func (f *fakeQzone) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *fakeQzone) rejected() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.rejects...)
}

// stepClock gives a fixed time that tests move by hand.
type stepClock struct{ unix atomic.Int64 }

func (c *stepClock) now() time.Time { return time.Unix(c.unix.Load(), 0) }
func (c *stepClock) ts() string     { return strconv.FormatInt(c.unix.Load(), 10) }

func newOAuth1Test(t *testing.T, f *fakeQzone, mod func(*Options)) (*OAuth1Client, *stepClock, func() []observation) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	clock := &stepClock{}
	clock.unix.Store(1300000000)
	f.ts = clock.ts
	var n atomic.Int64
	var mu sync.Mutex
	var obs []observation
	o := Options{
		BaseURL:    srv.URL + f.prefix,
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
	c := NewOAuth1(o, WithOAuth1Clock(clock.now), WithOAuth1Nonce(func() string { return strconv.FormatInt(1000+n.Add(1), 10) }))
	return c, clock, func() []observation {
		mu.Lock()
		defer mu.Unlock()
		return append([]observation(nil), obs...)
	}
}

func TestOAuth1FullFlowAgainstStrictServer(t *testing.T) {
	for _, prefix := range []string{"", "/sandbox/qzone"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			f := newFakeQzone(t)
			f.prefix = prefix
			c, clock, observed := newOAuth1Test(t, f, nil)
			ctx := context.Background()

			rt, err := c.RequestToken(ctx, testCred)
			if err != nil {
				t.Fatalf("request token: %v (server: %v)", err, f.rejected())
			}
			if rt.Token != testRT || rt.Secret != testRTSecret {
				t.Fatalf("request token %+v", *rt)
			}
			const cbURL = "https://bbs.example.com/connect.php?mod=login&op=callback&referer=a b"
			au := c.AuthorizeURL(testCred, rt.Token, cbURL)
			u, err := url.Parse(au)
			if err != nil || u.Path != prefix+"/oauth/qzoneoauth_authorize" || u.Query().Get("oauth_callback") != cbURL ||
				u.Query().Get("oauth_token") != testRT || u.Query().Get("oauth_consumer_key") != testAppID {
				t.Fatalf("authorize URL %s", au)
			}

			clock.unix.Add(100)
			cb, err := ParseOAuth1Callback(testCallback())
			if err != nil {
				t.Fatal(err)
			}
			tok, err := c.AccessToken(ctx, testCred, rt, cb)
			if err != nil {
				t.Fatalf("access token: %v (server: %v)", err, f.rejected())
			}
			if tok.Token != testAT || tok.Secret != testATSecret || tok.OpenID != testOpenID {
				t.Fatalf("token %+v", *tok)
			}

			clock.unix.Add(100)
			info, err := c.UserInfo(ctx, testCred, tok)
			if err != nil {
				t.Fatalf("user info: %v (server: %v)", err, f.rejected())
			}
			if info.Nickname != "飞翔的企鹅" || !strings.Contains(info.AvatarURL, "s=100") {
				t.Fatalf("info %+v", info)
			}
			if r := f.rejected(); len(r) != 0 {
				t.Fatalf("server rejected %v", r)
			}
			want := []observation{{EndpointOAuth1RequestToken, 0}, {EndpointOAuth1AccessToken, 0}, {EndpointOAuth1UserInfo, 0}}
			if obs := observed(); fmt.Sprint(obs) != fmt.Sprint(want) {
				t.Fatalf("observed %v", obs)
			}
		})
	}
}

// The strict server is a real check: a wrong App Key, a wrong token secret
// or a tampered parameter is refused, and the client reports QQ's error
// without any secret in it.
func TestOAuth1StrictServerRejectsBadSignatures(t *testing.T) {
	ctx := context.Background()
	rt := &RequestToken{Token: testRT, Secret: testRTSecret}
	cb, err := ParseOAuth1Callback(testCallback())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("wrong app key", func(t *testing.T) {
		f := newFakeQzone(t)
		c, _, observed := newOAuth1Test(t, f, nil)
		_, err := c.RequestToken(ctx, Credentials{AppID: testAppID, AppKey: "0000" + testAppKey[4:]})
		var qe *Error
		if !errors.As(err, &qe) || qe.Code != 3 || qe.Endpoint != EndpointOAuth1RequestToken || !strings.Contains(qe.Description, "signature") {
			t.Fatalf("got %v", err)
		}
		if r := f.rejected(); len(r) != 1 || r[0] != "signature" {
			t.Fatalf("server %v", r)
		}
		if obs := observed(); len(obs) != 1 || obs[0].code != 3 {
			t.Fatalf("observed %v", obs)
		}
		checkOAuth1Safe(t, err.Error(), qe.AdminHint("x"))
	})
	t.Run("wrong request token secret", func(t *testing.T) {
		f := newFakeQzone(t)
		c, _, _ := newOAuth1Test(t, f, nil)
		_, err := c.AccessToken(ctx, testCred, &RequestToken{Token: testRT, Secret: "ffffffffffffffff"}, cb)
		if r := f.rejected(); err == nil || len(r) != 1 || r[0] != "signature" {
			t.Fatalf("got %v, server %v", err, r)
		}
		checkOAuth1Safe(t, err.Error())
	})
	t.Run("wrong access token secret", func(t *testing.T) {
		f := newFakeQzone(t)
		c, _, _ := newOAuth1Test(t, f, nil)
		_, err := c.UserInfo(ctx, testCred, &OAuth1Token{Token: testAT, Secret: testRTSecret, OpenID: testOpenID})
		if r := f.rejected(); err == nil || len(r) != 1 || r[0] != "signature" {
			t.Fatalf("got %v, server %v", err, r)
		}
	})
	t.Run("skewed clock", func(t *testing.T) {
		f := newFakeQzone(t)
		c, _, _ := newOAuth1Test(t, f, nil)
		f.ts = func() string { return "1" }
		if _, err := c.AccessToken(ctx, testCred, rt, cb); err == nil {
			t.Fatal("timestamp not checked")
		}
	})
}

// roundTripFunc lets a test see the exact request without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// With the default base URL the requests are exactly those of the vectors
// in TestHMACSHA1Vectors (PHP-built base strings, openssl signatures), in
// the PHP SDK's byte layout.
func TestOAuth1WireFormatMatchesVectors(t *testing.T) {
	var got []string
	answers := map[string]string{
		"/oauth/qzoneoauth_request_token": "oauth_token=" + testRT + "&oauth_token_secret=" + testRTSecret,
		"/oauth/qzoneoauth_access_token":  "oauth_token=" + testAT + "&oauth_token_secret=" + testATSecret + "&openid=" + testOpenID,
		"/user/get_user_info":             userInfoOK,
	}
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.String())
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(answers[r.URL.Path]))}, nil
	})}
	clock := &stepClock{}
	nonces := []string{"123456789", "987654321", "555"}
	c := NewOAuth1(Options{HTTPClient: hc}, WithOAuth1Clock(clock.now),
		WithOAuth1Nonce(func() string { n := nonces[0]; nonces = nonces[1:]; return n }))
	ctx := context.Background()

	clock.unix.Store(1300000000)
	rt, err := c.RequestToken(ctx, testCred)
	if err != nil {
		t.Fatal(err)
	}
	clock.unix.Store(1300000100)
	cb, _ := ParseOAuth1Callback(testCallback())
	tok, err := c.AccessToken(ctx, testCred, rt, cb)
	if err != nil {
		t.Fatal(err)
	}
	clock.unix.Store(1300000200)
	if _, err := c.UserInfo(ctx, testCred, tok); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"http://openapi.qzone.qq.com/oauth/qzoneoauth_request_token?oauth_consumer_key=101896710&oauth_nonce=123456789" +
			"&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1300000000&oauth_version=1.0&oauth_signature=Gd%2Bhxq" + "G6KHqWcyDZu0SGpCMsK8M%3D",
		"http://openapi.qzone.qq.com/oauth/qzoneoauth_access_token?oauth_consumer_key=101896710&oauth_nonce=987654321" +
			"&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1300000100&oauth_token=7b4f2c9e1a3d5f60&oauth_vericode=a1b2c3d4" +
			"&oauth_version=1.0&oauth_signature=wAGgfVhPbDBwnmttSitXe0vgyqU%3D",
		"http://openapi.qzone.qq.com/user/get_user_info?format=json&oauth_consumer_key=101896710&oauth_nonce=555" +
			"&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1300000200&oauth_token=AT5E2C0B9D8A7F61&oauth_version=1.0" +
			"&openid=1AE29162841F18BC992BF91A445570C5&oauth_signature=03H6jGR8fFGX%2FEnbgR6uN3Uz3OU%3D",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests\ngot  %q\nwant %q", got, want)
	}
}

func TestOAuth1AuthorizeURL(t *testing.T) {
	c := NewOAuth1(Options{})
	got := c.AuthorizeURL(testCred, testRT, "http://bbs.example.com/connect.php?mod=login&op=callback&referer=/a b~")
	want := "http://openapi.qzone.qq.com/oauth/qzoneoauth_authorize?oauth_consumer_key=101896710&oauth_token=7b4f2c9e1a3d5f60" +
		"&oauth_callback=http%3A%2F%2Fbbs.example.com%2Fconnect.php%3Fmod%3Dlogin%26op%3Dcallback%26referer%3D%2Fa%20b~"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	c2 := NewOAuth1(Options{BaseURL: "http://127.0.0.1:8080/sandbox/qzone/"})
	if got := c2.AuthorizeURL(testCred, "t", "x"); got != "http://127.0.0.1:8080/sandbox/qzone/oauth/qzoneoauth_authorize?oauth_consumer_key=101896710&oauth_token=t&oauth_callback=x" {
		t.Fatal(got)
	}
}

func TestParseOAuth1Callback(t *testing.T) {
	cb, err := ParseOAuth1Callback(testCallback())
	if err != nil || *cb != (OAuth1Callback{Token: testRT, OpenID: testOpenID, Signature: testCallbackSig, Timestamp: testCBTime, Vericode: testVericode}) {
		t.Fatalf("%v %v", cb, err)
	}
	// "+" decoded to a space by an unencoded redirect is repaired.
	q := testCallback()
	q.Set("oauth_signature", strings.ReplaceAll(testCallbackSig, "+", " "))
	if cb, err := ParseOAuth1Callback(q); err != nil || cb.Signature != testCallbackSig {
		t.Fatalf("%v %v", cb, err)
	}
	// Straight from a raw query string as QQ would append it.
	raw, _ := url.ParseQuery("oauth_token=" + testRT + "&openid=" + testOpenID + "&oauth_signature=" + url.QueryEscape(testCallbackSig) +
		"&timestamp=" + testCBTime + "&oauth_vericode=" + testVericode)
	if _, err := ParseOAuth1Callback(raw); err != nil {
		t.Fatal(err)
	}

	bad := map[string]func(url.Values){
		"no oauth_token":     func(q url.Values) { q.Del("oauth_token") },
		"no openid":          func(q url.Values) { q.Del("openid") },
		"no oauth_signature": func(q url.Values) { q.Set("oauth_signature", "") },
		"no timestamp":       func(q url.Values) { q.Del("timestamp") },
		"no oauth_vericode":  func(q url.Values) { q.Del("oauth_vericode") },
		"repeated openid":    func(q url.Values) { q.Add("openid", "AAAA") },
		"malformed openid":   func(q url.Values) { q.Set("openid", "1AE2'; DROP TABLE") },
		"long openid":        func(q url.Values) { q.Set("openid", strings.Repeat("A", 65)) },
		"timestamp letters":  func(q url.Values) { q.Set("timestamp", "13e9") },
		"control in token":   func(q url.Values) { q.Set("oauth_token", "a\nb") },
		"huge vericode":      func(q url.Values) { q.Set("oauth_vericode", strings.Repeat("a", 600)) },
	}
	for name, mod := range bad {
		q := testCallback()
		mod(q)
		cb, err := ParseOAuth1Callback(q)
		var qe *Error
		if cb != nil || !errors.As(err, &qe) || qe.Kind != KindRelogin || qe.Endpoint != EndpointOAuth1Callback {
			t.Errorf("%s: %v %v", name, cb, err)
			continue
		}
		checkOAuth1Safe(t, err.Error())
	}
	q = testCallback()
	q.Set("error_code", "100030")
	q.Set("error_msg", "user canceled")
	_, err = ParseOAuth1Callback(q)
	var qe *Error
	if !errors.As(err, &qe) || qe.Code != 100030 || qe.Description != "user canceled" || !qe.fromQQ {
		t.Fatalf("QQ error on the callback: %v", err)
	}
}

// The checks before the access_token request: no request is sent when the
// callback is not for this session or its openid signature is wrong.
func TestOAuth1AccessTokenCallbackChecks(t *testing.T) {
	f := newFakeQzone(t)
	c, _, observed := newOAuth1Test(t, f, nil)
	ctx := context.Background()
	rt := &RequestToken{Token: testRT, Secret: testRTSecret}
	good, _ := ParseOAuth1Callback(testCallback())

	mutate := func(fn func(*OAuth1Callback)) *OAuth1Callback { cb := *good; fn(&cb); return &cb }
	tests := []struct {
		name     string
		rt       *RequestToken
		cb       *OAuth1Callback
		sentinel error
	}{
		{"other session's token", rt, mutate(func(cb *OAuth1Callback) { cb.Token = "0000000000000000" }), ErrOAuth1TokenMismatch},
		{"forged openid", rt, mutate(func(cb *OAuth1Callback) { cb.OpenID = "0000000000000000000000000000BEEF" }), ErrCallbackSignature},
		{"replayed with new timestamp", rt, mutate(func(cb *OAuth1Callback) { cb.Timestamp = "1300000001" }), ErrCallbackSignature},
		{"signature of another key", rt, mutate(func(cb *OAuth1Callback) { cb.Signature = "2lnUHGnTCYbm3hIwcDsAMDLuv0A=" }), ErrCallbackSignature},
		{"no request token", nil, good, nil},
		{"request token without secret", &RequestToken{Token: testRT}, good, nil},
		{"no callback", rt, nil, nil},
	}
	for _, tt := range tests {
		_, err := c.AccessToken(ctx, testCred, tt.rt, tt.cb)
		var qe *Error
		if !errors.As(err, &qe) || qe.Kind != KindRelogin || qe.Endpoint != EndpointOAuth1AccessToken ||
			(tt.sentinel != nil && !errors.Is(err, tt.sentinel)) {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		hint := qe.AdminHint("x")
		if tt.sentinel != nil && !strings.Contains(hint, "callback") {
			t.Errorf("%s: hint %q", tt.name, hint)
		}
		checkOAuth1Safe(t, err.Error(), fmt.Sprintf("%+v", err), hint)
	}
	if n := f.hitCount("/oauth/qzoneoauth_access_token"); n != 0 || len(observed()) != 0 {
		t.Fatalf("requests were sent: %d", n)
	}

	// QQ answers for another openid than the verified callback.
	f.answerOID = "0000000000000000000000000000BEEF"
	_, err := c.AccessToken(ctx, testCred, rt, good)
	var qe *Error
	if !errors.As(err, &qe) || !errors.Is(err, ErrOpenIDMismatch) || qe.Kind != KindUnexpected ||
		!strings.Contains(qe.AdminHint("x"), "do not trust") {
		t.Fatalf("openid mismatch: %v", err)
	}
	checkOAuth1Safe(t, err.Error())
}

func TestOAuth1ErrorAnswers(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		kind       Kind
		code       int
		desc       string
	}{
		{"form error_code", "error_code=100009&error_msg=" + url.QueryEscape("appkey错误"), 200, KindConfig, 100009, "appkey错误"},
		{"form non-numeric error_code", "error_code=invalid_token", 200, KindUnexpected, 0, "invalid_token"},
		{"json error_code string", `{"error_code":"100016","error_msg":"access token check failed"}`, 200, KindRelogin, 100016, "access token check failed"},
		{"json ret", `{"ret":-1,"msg":"client request's parameters are invalid"}`, 200, KindUnexpected, -1, "client request's parameters are invalid"},
		{"jsonp error", "callback( {\"error\":100013,\"error_description\":\"access token is illegal\"} );\n", 200, KindRelogin, 100013, "access token is illegal"},
		{"error_code with HTTP 403", "error_code=110405&error_msg=throttled", 403, KindRateLimited, 110405, "throttled"},
		{"html 502", htmlErrorPage, 502, KindTransport, 0, ""},
		{"html 200", htmlLoginNotice, 200, KindUnexpected, 0, ""},
		{"empty", "", 200, KindUnexpected, 0, ""},
		{"429 empty", "", 429, KindRateLimited, 0, ""},
		{"token on an error status", "oauth_token=" + testRT + "&oauth_token_secret=" + testRTSecret, 500, KindTransport, 0, ""},
		{"no secret", "oauth_token=" + testRT, 200, KindUnexpected, 0, ""},
		{"json success shape", `{"oauth_token":"x","oauth_token_secret":"y"}`, 200, KindUnexpected, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeQzone(t)
			f.override = func(w http.ResponseWriter, _ *http.Request, _ string) bool { reply(w, tt.status, tt.body); return true }
			c, _, observed := newOAuth1Test(t, f, nil)
			rt, err := c.RequestToken(context.Background(), testCred)
			var qe *Error
			if rt != nil || !errors.As(err, &qe) {
				t.Fatalf("got %v %v", rt, err)
			}
			if qe.Kind != tt.kind || qe.Code != tt.code || qe.Description != tt.desc || qe.Endpoint != EndpointOAuth1RequestToken {
				t.Fatalf("got kind %v code %d desc %q ep %q: %v", qe.Kind, qe.Code, qe.Description, qe.Endpoint, err)
			}
			if tt.status != 200 && qe.HTTPStatus != tt.status {
				t.Fatalf("status %d", qe.HTTPStatus)
			}
			if zh, en := qe.UserMessage(); zh == "" || en == "" {
				t.Fatal("no user message")
			}
			checkOAuth1Safe(t, err.Error(), qe.AdminHint("x"))
			if len(err.Error()) > 400 {
				t.Fatalf("error too long: %s", err)
			}
			if obs := observed(); len(obs) != 1 || (qe.fromQQ && obs[0].code != tt.code) || (!qe.fromQQ && obs[0].code != -1) {
				t.Fatalf("observed %v", obs)
			}
		})
	}
}

func TestOAuth1UserInfoAnswers(t *testing.T) {
	tok := &OAuth1Token{Token: testAT, Secret: testATSecret, OpenID: testOpenID}
	for _, tt := range []struct {
		name, body, avatar string
		code               int
	}{
		{"qzone avatar fallback", `{"ret":0,"msg":"","nickname":"<b>Tom</b>","figureurl":"http://qzapp.qlogo.cn/qzapp/1/A/30",` +
			`"figureurl_1":"http://qzapp.qlogo.cn/qzapp/1/A/50","figureurl_2":"http://qzapp.qlogo.cn/qzapp/1/A/100"}`, "http://qzapp.qlogo.cn/qzapp/1/A/100", 0},
		{"qq avatar preferred", userInfoOK, "http://thirdqq.qlogo.cn/g?b=oidb&k=QtAu5OiaSfqGD0kfclwvxJA&s=100&t=1557635654", 0},
		{"bad fallback ignored", `{"ret":0,"nickname":"Tom","figureurl_2":"javascript:alert(1)"}`, "", 0},
		{"ret 1002", userInfo1002, "", 1002},
		{"no ret", userInfoNoRet, "", -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeQzone(t)
			f.override = func(w http.ResponseWriter, _ *http.Request, _ string) bool { reply(w, 200, tt.body); return true }
			c, _, _ := newOAuth1Test(t, f, nil)
			u, err := c.UserInfo(context.Background(), testCred, tok)
			if tt.code != 0 {
				var qe *Error
				if u != nil || !errors.As(err, &qe) || qe.Endpoint != EndpointOAuth1UserInfo || (tt.code > 0 && qe.Code != tt.code) {
					t.Fatalf("got %v %v", u, err)
				}
				checkOAuth1Safe(t, err.Error())
				return
			}
			if err != nil || u.AvatarURL != tt.avatar {
				t.Fatalf("got %+v %v", u, err)
			}
		})
	}
	c := NewOAuth1(Options{})
	for _, bad := range []*OAuth1Token{nil, {Token: testAT, OpenID: testOpenID}, {Token: testAT, Secret: testATSecret, OpenID: "x y"}} {
		var qe *Error
		if _, err := c.UserInfo(context.Background(), testCred, bad); !errors.As(err, &qe) || qe.Kind != KindRelogin {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestOAuth1Deadline(t *testing.T) {
	f := newFakeQzone(t)
	f.override = func(w http.ResponseWriter, r *http.Request, _ string) bool {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
		return false
	}
	c, _, observed := newOAuth1Test(t, f, func(o *Options) { o.Timeout = 150 * time.Millisecond })
	start := time.Now()
	_, err := c.RequestToken(context.Background(), testCred)
	if time.Since(start) > time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	var qe *Error
	if !errors.As(err, &qe) || qe.Kind != KindTransport || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() || strings.Contains(ue.URL, "?") {
		t.Fatalf("url.Error without query expected: %#v", ue)
	}
	checkOAuth1Safe(t, err.Error())
	if obs := observed(); len(obs) != 1 || obs[0].code != -1 {
		t.Fatalf("observed %v", obs)
	}
	// The caller's shorter deadline wins as well.
	f2 := newFakeQzone(t)
	f2.override = f.override
	c2, _, _ := newOAuth1Test(t, f2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	cb, _ := ParseOAuth1Callback(testCallback())
	_, err = c2.AccessToken(ctx, testCred, &RequestToken{Token: testRT, Secret: testRTSecret}, cb)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	checkOAuth1Safe(t, err.Error())
}

func TestOAuth1SizeLimit(t *testing.T) {
	f := newFakeQzone(t)
	f.override = func(w http.ResponseWriter, _ *http.Request, _ string) bool {
		reply(w, 200, "oauth_token="+testRT+"&oauth_token_secret="+testRTSecret+"&pad="+strings.Repeat("x", 200))
		return true
	}
	c, _, _ := newOAuth1Test(t, f, func(o *Options) { o.MaxBodyBytes = 100 })
	if _, err := c.RequestToken(context.Background(), testCred); err == nil || !strings.Contains(err.Error(), "larger than 100") {
		t.Fatalf("got %v", err)
	}
}

// Transport failures: one request only (the nonce and vericode must not be
// resent), and neither the URL's signature/tokens nor the secrets show.
func TestOAuth1TransportErrorsNoRetryNoSecrets(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()

	ctx := context.Background()
	tok := &OAuth1Token{Token: testAT, Secret: testATSecret, OpenID: testOpenID}
	cb, _ := ParseOAuth1Callback(testCallback())
	rt := &RequestToken{Token: testRT, Secret: testRTSecret}
	for name, base := range map[string]string{"hangup": srv.URL, "refused": dead} {
		c := NewOAuth1(Options{BaseURL: base, HTTPClient: srv.Client(), Timeout: 2 * time.Second})
		calls.Store(0)
		_, err1 := c.RequestToken(ctx, testCred)
		_, err2 := c.AccessToken(ctx, testCred, rt, cb)
		_, err3 := c.UserInfo(ctx, testCred, tok)
		for _, err := range []error{err1, err2, err3} {
			var qe *Error
			if !errors.As(err, &qe) || qe.Kind != KindTransport {
				t.Fatalf("%s: %v", name, err)
			}
			if u, _ := qe.Unwrap().(*url.Error); u == nil || strings.Contains(u.Error(), "?") {
				t.Fatalf("%s: cause %v", name, qe.Unwrap())
			}
			checkOAuth1Safe(t, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), qe.AdminHint("x"))
		}
		if name == "hangup" && calls.Load() != 3 {
			t.Fatalf("%d requests for 3 calls: retried", calls.Load())
		}
	}
}

func TestOAuth1ConfigAndDefaults(t *testing.T) {
	c := NewOAuth1(Options{})
	if c.Err() != nil || c.c.base != "http://openapi.qzone.qq.com" || c.c.timeout != defaultTimeout || c.c.maxBody != defaultMaxBody {
		t.Fatalf("defaults: %v %q", c.Err(), c.c.base)
	}
	seen := map[string]bool{}
	for range 50 {
		n := c.nonce()
		if !allDigits(n) || seen[n] {
			t.Fatalf("nonce %q", n)
		}
		seen[n] = true
	}
	if d := time.Since(c.now()); d < 0 || d > time.Minute {
		t.Fatal("default clock")
	}

	bad := NewOAuth1(Options{BaseURL: "http://user:" + testAppKey + "@openapi.qzone.qq.com"})
	if bad.Err() == nil || strings.Contains(bad.Err().Error(), testAppKey) {
		t.Fatalf("bad base: %v", bad.Err())
	}
	ctx := context.Background()
	var qe *Error
	if _, err := bad.RequestToken(ctx, testCred); !errors.As(err, &qe) || qe.Kind != KindConfig || qe.Endpoint != EndpointOAuth1RequestToken {
		t.Fatalf("got %v", err)
	}
	for _, cred := range []Credentials{{AppID: testAppID}, {AppKey: testAppKey}, {AppID: " ", AppKey: " "}} {
		if _, err := c.RequestToken(ctx, cred); !errors.As(err, &qe) || qe.Kind != KindConfig {
			t.Errorf("%v: %v", cred, err)
		}
		cb, _ := ParseOAuth1Callback(testCallback())
		if _, err := c.AccessToken(ctx, cred, &RequestToken{Token: testRT, Secret: testRTSecret}, cb); !errors.As(err, &qe) || qe.Kind != KindConfig {
			t.Errorf("%v: %v", cred, err)
		}
	}
}

func TestOAuth1NoSecretsWhenPrinted(t *testing.T) {
	rt := RequestToken{Token: testRT, Secret: testRTSecret}
	tok := OAuth1Token{Token: testAT, Secret: testATSecret, OpenID: testOpenID}
	cb := OAuth1Callback{Token: testRT, OpenID: testOpenID, Signature: testCallbackSig, Timestamp: testCBTime, Vericode: testVericode}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("x", "rt", rt, "tok", tok, "cb", cb, "prt", &rt, "ptok", &tok, "pcb", &cb)
	}
	var texts []string
	for _, v := range []any{rt, &rt, tok, &tok, cb, &cb} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%q", "%x"} {
			texts = append(texts, fmt.Sprintf(verb, v))
		}
	}
	checkOAuth1Safe(t, append(texts, buf.String())...)
	if !strings.Contains(fmt.Sprint(tok), testOpenID) || !strings.Contains(fmt.Sprint(rt), testRT) {
		t.Fatal("public fields should still print")
	}
}

func TestParseOAuth1TokenResponse(t *testing.T) {
	ok := []string{
		"oauth_token=" + testRT + "&oauth_token_secret=" + testRTSecret,
		"\xef\xbb\xbfoauth_token=" + testRT + "&oauth_token_secret=" + testRTSecret + "\r\n",
		"oauth_token=" + testAT + "&oauth_token_secret=" + testATSecret + "&openid=" + testOpenID +
			"&oauth_signature=" + url.QueryEscape(testCallbackSig) + "&oauth_vericode=" + testVericode + "&timestamp=" + testCBTime,
		"oauth_token=a&oauth_token_secret=b&error_code=0",
	}
	for _, body := range ok {
		v, err := ParseOAuth1TokenResponse([]byte(body))
		if err != nil || v.Get("oauth_token") == "" || v.Get("oauth_token_secret") == "" {
			t.Errorf("%q: %v %v", body, v, err)
		}
	}
	v, _ := ParseOAuth1TokenResponse([]byte(ok[2]))
	if v.Get("oauth_signature") != testCallbackSig || v.Get("timestamp") != testCBTime || v.Get("openid") != testOpenID {
		t.Fatalf("echo fields: %v", v)
	}
	bad := []string{
		"", "   ", "oauth_token=", "oauth_token=a&oauth_token_secret=", "oauth_token=a&oauth_token=b&oauth_token_secret=c",
		"oauth_token=a&oauth_token_secret=b&openid=x%20y", "oauth_token=a&oauth_token_secret=b&openid=A&openid=B",
		"oauth_token=a%0A&oauth_token_secret=b", "%zz&oauth_token=a&oauth_token_secret=b", "oauth_token=a;oauth_token_secret=b",
		`{"a":"b&oauth_token=x&oauth_token_secret=y"}`, `cb({"a":"b&oauth_token=x&oauth_token_secret=y"})`,
		"oauth_token=a&oauth_token_secret=b&error_code=5", "error=100019&oauth_token=a&oauth_token_secret=b",
		"oauth_token=" + strings.Repeat("a", 513) + "&oauth_token_secret=b",
	}
	for _, body := range bad {
		v, err := ParseOAuth1TokenResponse([]byte(body))
		var qe *Error
		if v != nil || !errors.As(err, &qe) {
			t.Errorf("%q: %v %v", body, v, err)
		}
	}
	// Excerpts of unusable bodies redact token-like runs.
	_, err := ParseOAuth1TokenResponse([]byte("oauth_token_secret=" + testATSecret + "&x"))
	checkOAuth1Safe(t, err.Error())
}

func FuzzParseOAuth1TokenResponse(f *testing.F) {
	seeds := append([]string{
		"oauth_token=" + testRT + "&oauth_token_secret=" + testRTSecret,
		"oauth_token=" + testAT + "&oauth_token_secret=" + testATSecret + "&openid=" + testOpenID +
			"&oauth_signature=IXOi3tQRWFw64g1AqDtErrSQWzQ%3D&oauth_vericode=" + testVericode + "&timestamp=" + testCBTime,
		"error_code=100009&error_msg=appkey%E9%94%99%E8%AF%AF", "error_code=invalid", `{"error_code":"3","error_msg":"x"}`,
		`{"ret":-1,"msg":"bad"}`, `{"a":"b&oauth_token=x&oauth_token_secret=y"}`, "oauth_token=a&oauth_token=b&oauth_token_secret=c",
		"error_code=99999999999999999999", "\xef\xbb\xbfoauth_token=a&oauth_token_secret=b",
	}, fuzzSeeds...)
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := ParseOAuth1TokenResponse(body)
		if err != nil {
			if v != nil {
				t.Fatal("result and error together")
			}
			checkFuzzErr(t, err)
			return
		}
		for _, k := range []string{"oauth_token", "oauth_token_secret"} {
			if len(v[k]) != 1 || v[k][0] == "" || !printableASCII(v[k][0]) || len(v[k][0]) > maxOAuth1Field {
				t.Fatalf("bad %s in success: %q", k, v[k])
			}
		}
		if ids, ok := v["openid"]; ok && (len(ids) != 1 || !validID(ids[0])) {
			t.Fatalf("bad openid in success: %q", ids)
		}
		if c := v.Get("error_code"); c != "" && !isZero(c) {
			t.Fatalf("success despite error_code %q", c)
		}
	})
}
