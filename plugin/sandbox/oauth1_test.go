package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- the tests' own OAuth 1.0 client, written apart from oauth1.go ----

// pct is RFC 3986 percent-encoding of every byte outside [A-Za-z0-9-._~].
func pct(v string) string {
	var b strings.Builder
	for _, c := range []byte(v) {
		if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func sigBase(method, uri string, p url.Values) string {
	var pairs []string
	for k, vs := range p {
		if k != "oauth_signature" {
			for _, v := range vs {
				pairs = append(pairs, pct(k)+"\x00"+pct(v)) // NUL sorts first: name, then value
			}
		}
	}
	sort.Strings(pairs)
	return method + "&" + pct(uri) + "&" + pct(strings.ReplaceAll(strings.Join(pairs, "&"), "\x00", "="))
}

func hmacB64(key, msg string) string {
	m := hmac.New(sha1.New, []byte(key))
	io.WriteString(m, msg)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func sigOf(method, uri string, p url.Values, consumerSecret, tokenSecret string) string {
	return hmacB64(pct(consumerSecret)+"&"+pct(tokenSecret), sigBase(method, uri, p))
}

const (
	o1RequestPath = "/oauth/qzoneoauth_request_token"
	o1AuthPath    = "/oauth/qzoneoauth_authorize"
	o1AccessPath  = "/oauth/qzoneoauth_access_token"
	o1InfoPath    = "/user/get_user_info"
)

var (
	o1RequestRE = regexp.MustCompile(`^oauth_token=([0-9A-F]{32})&oauth_token_secret=([0-9A-F]{32})$`)
	o1AccessRE  = regexp.MustCompile(`^oauth_token=([0-9A-F]{32})&oauth_token_secret=([0-9A-F]{16})&openid=([0-9A-F]{32})&oauth_signature=([A-Za-z0-9%]{28,})&oauth_vericode=([0-9A-F]{16})&timestamp=([0-9]+)$`)
)

// o1Proto returns the protocol parameters QQ's SDK sends, fresh nonce included.
func (e *env) o1Proto(consumerKey string) url.Values {
	return url.Values{
		"oauth_consumer_key":     {consumerKey},
		"oauth_signature_method": {"HMAC-SHA1"},
		"oauth_version":          {"1.0"},
		"oauth_timestamp":        {strconv.FormatInt(e.clk.Now().Unix(), 10)},
		"oauth_nonce":            {rand.Text()},
	}
}

func (e *env) o1URL(path string) string { return e.srv.URL + prefix + path }

// o1Send signs p for the URL it is sent to and sends it.
func (e *env) o1Send(method, path string, p url.Values, consumerSecret, tokenSecret string) reply {
	e.t.Helper()
	p.Set("oauth_signature", sigOf(method, e.o1URL(path), p, consumerSecret, tokenSecret))
	return e.do(method, path, p)
}

func (e *env) o1RequestToken(key, secret string) (token, tokenSecret string) {
	e.t.Helper()
	r := e.o1Send(http.MethodGet, o1RequestPath, e.o1Proto(key), secret, "")
	m := o1RequestRE.FindStringSubmatch(r.body)
	if m == nil {
		e.t.Fatalf("request token: %q", r.body)
	}
	return m[1], m[2]
}

// o1Authorized returns an authorized request token of the main app and the
// callback's query.
func (e *env) o1Authorized(qq string) (token, secret string, cb url.Values) {
	e.t.Helper()
	token, secret = e.o1RequestToken(appID, appKey)
	loc, err := e.sb.AuthorizeOAuth1(context.Background(), appID, token, cbPlain, qq)
	if err != nil {
		e.t.Fatalf("AuthorizeOAuth1: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		e.t.Fatal(err)
	}
	return token, secret, u.Query()
}

func (e *env) o1AccessQuery(key, token, verifier string) url.Values {
	p := e.o1Proto(key)
	p.Set("oauth_token", token)
	p.Set("oauth_vericode", verifier)
	return p
}

// o1Login runs the whole flow for qq on the main app.
func (e *env) o1Login(qq string) (access, accessSecret, reqSecret string) {
	e.t.Helper()
	token, secret, cb := e.o1Authorized(qq)
	r := e.o1Send(http.MethodGet, o1AccessPath, e.o1AccessQuery(appID, token, cb.Get("oauth_vericode")), appKey, secret)
	m := o1AccessRE.FindStringSubmatch(r.body)
	if m == nil {
		e.t.Fatalf("access token: %q", r.body)
	}
	return m[1], m[2], secret
}

func (e *env) o1InfoQuery(token, openid string) url.Values {
	p := e.o1Proto(appID)
	p.Set("oauth_token", token)
	p.Set("openid", openid)
	return p
}

// wantO1Err checks a form-encoded sandbox error, byte for byte.
func wantO1Err(t *testing.T, r reply, code int, msg string) {
	t.Helper()
	if want := "error_code=" + strconv.Itoa(code) + "&error_msg=" + pct(msg); r.body != want {
		t.Errorf("body = %q, want %q", r.body, want)
	}
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/html" {
		t.Errorf("status %d, Content-Type %q; QQ answers 200 text/html", r.status, r.header.Get("Content-Type"))
	}
}

// The sandbox-defined messages, pinned here.
const (
	msgVersion   = "oauth_version must be 1.0"
	msgMethod    = "oauth_signature_method must be HMAC-SHA1"
	msgConsumer  = "oauth_consumer_key does not exist"
	msgTimestamp = "oauth_timestamp is out of range"
	msgNonce     = "oauth_nonce is reused"
	msgSignature = "oauth_signature is invalid"
	msgToken     = "oauth_token is invalid"
	msgExpired   = "oauth_token is expired"
	msgUsed      = "oauth_token is already used"
	msgNotAuthd  = "oauth_token is not authorized"
	msgVerifier  = "oauth_vericode is wrong"
	msgOpenID    = "openid does not match oauth_token"
	msgSystem    = "system error"
)

func msgParam(name string) string { return "param " + name + " is wrong or lost" }

// ---- signing ----

func TestOAuth1SignatureKnownAnswers(t *testing.T) {
	t.Run("encoding", func(t *testing.T) {
		var all strings.Builder
		for c := 0; c < 256; c++ {
			all.WriteByte(byte(c))
		}
		if got, want := o1Encode(all.String()), pct(all.String()); got != want {
			t.Errorf("o1Encode disagrees with RFC 3986:\n got %q\nwant %q", got, want)
		}
		for in, want := range map[string]string{"a b+c*~é/=&%": "a%20b%2Bc%2A~%C3%A9%2F%3D%26%25", "-._~AZaz09": "-._~AZaz09"} {
			if got := o1Encode(in); got != want {
				t.Errorf("o1Encode(%q) = %q, want %q", in, got, want)
			}
		}
	})

	t.Run("RFC 5849 3.4.1.1 base string", func(t *testing.T) {
		p, _ := url.ParseQuery("b5=%3D%253D&a3=a&c%40=&a2=r%20b")
		body, _ := url.ParseQuery("c2&a3=2+q")
		for k, vs := range body {
			p[k] = append(p[k], vs...)
		}
		for k, v := range map[string]string{
			"oauth_consumer_key": "9djdj82h48djs9d2", "oauth_token": "kkk9d7dh3k39sjv7", "oauth_signature_method": "HMAC-SHA1",
			"oauth_timestamp": "137131201", "oauth_nonce": "7d8f3e4a", "oauth_signature": "djosJKDKJSD8743243/jdk33klY=",
		} {
			p.Set(k, v)
		}
		want := "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
		if got := o1BaseString("post", "http://example.com/request", p); got != want {
			t.Errorf("sandbox base string\n got %s\nwant %s", got, want)
		}
		if got := sigBase("POST", "http://example.com/request", p); got != want {
			t.Errorf("test client base string\n got %s\nwant %s", got, want)
		}
	})

	t.Run("OAuth Core 1.0 appendix A.5 signature", func(t *testing.T) {
		p := url.Values{
			"file": {"vacation.jpg"}, "size": {"original"}, "oauth_consumer_key": {"dpf43f3p2l4k3l03"},
			"oauth_token": {"nnch734d00sl2jdk"}, "oauth_signature_method": {"HMAC-SHA1"},
			"oauth_timestamp": {"1191242096"}, "oauth_nonce": {"kllo9940pd9333jh"}, "oauth_version": {"1.0"},
		}
		const want = "tR3+Ty81lMeYAr/Fid0kMTYa/WM="
		if got := o1Sign(o1BaseString("GET", "http://photos.example.net/photos", p), "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"); got != want {
			t.Errorf("sandbox signature = %s, want %s", got, want)
		}
		if got := sigOf("GET", "http://photos.example.net/photos", p, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"); got != want {
			t.Errorf("test client signature = %s, want %s", got, want)
		}
	})

	// QQ's sdk-php1.5 joins raw k=v pairs after ksort and encodes the whole
	// string once; with its (unreserved) values that is the RFC string.
	t.Run("same as QQ's SDK", func(t *testing.T) {
		p := url.Values{
			"oauth_version": {"1.0"}, "oauth_signature_method": {"HMAC-SHA1"}, "oauth_timestamp": {"1300000000"},
			"oauth_nonce": {"1804289383"}, "oauth_consumer_key": {appID}, "oauth_token": {strings.Repeat("A1", 16)},
			"oauth_vericode": {"0F0F0F0F0F0F0F0F"}, "openid": {openid10001},
		}
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var norm []string
		for _, k := range keys {
			norm = append(norm, k+"="+p.Get(k))
		}
		uri := "http://openapi.qzone.qq.com/oauth/qzoneoauth_access_token"
		sdk := "GET&" + pct(uri) + "&" + pct(strings.Join(norm, "&"))
		if got := o1BaseString("GET", uri, p); got != sdk {
			t.Errorf("differs from the SDK:\n got %s\nwant %s", got, sdk)
		}
	})

	t.Run("origin", func(t *testing.T) {
		for in, want := range map[[2]string]string{
			{"HTTP", "Example.COM:80"}: "http://example.com", {"https", "h:443"}: "https://h",
			{"http", "h:443"}: "http://h:443", {"https", "h:8443"}: "https://h:8443",
		} {
			if got := origin(in[0], in[1]); got != want {
				t.Errorf("origin(%q) = %q, want %q", in, got, want)
			}
		}
	})
}

// ---- the flow ----

func TestOAuth1FullFlow(t *testing.T) {
	e := newEnv(t)

	r := e.o1Send(http.MethodGet, o1RequestPath, e.o1Proto(appID), appKey, "")
	m := o1RequestRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("request token: %q", r.body)
	}
	reqToken, reqSecret := m[1], m[2]
	if reqToken == reqSecret {
		t.Error("token equals its secret")
	}
	if r.status != 200 || r.header.Get("Content-Type") != "text/html" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("status %d, headers %v", r.status, r.header)
	}

	cb := "https://forum.example.com/plugin.php?id=qqconnect:login&referer=%2Fforum.php%3Fmod%3Dviewthread"
	loc, err := e.sb.AuthorizeOAuth1(context.Background(), appID, reqToken, cb, "10001")
	if err != nil {
		t.Fatalf("AuthorizeOAuth1: %v", err)
	}
	if !strings.HasPrefix(loc, cb+"&oauth_token="+reqToken+"&openid="+openid10001+"&oauth_signature=") {
		t.Fatalf("callback = %q", loc)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	now := strconv.FormatInt(e.clk.Now().Unix(), 10)
	if q.Get("id") != "qqconnect:login" || q.Get("referer") != "/forum.php?mod=viewthread" {
		t.Errorf("callback's own query lost: %q", loc)
	}
	if q.Get("timestamp") != now || !regexp.MustCompile(`^[0-9A-F]{16}$`).MatchString(q.Get("oauth_vericode")) {
		t.Errorf("timestamp %q vericode %q", q.Get("timestamp"), q.Get("oauth_vericode"))
	}
	// QQ's is_valid_openid: base64(HMAC-SHA1(appkey, openid.timestamp)).
	if want := hmacB64(appKey, q.Get("openid")+q.Get("timestamp")); q.Get("oauth_signature") != want {
		t.Errorf("callback oauth_signature = %q, want %q", q.Get("oauth_signature"), want)
	}
	if want := "&oauth_signature=" + pct(q.Get("oauth_signature")) + "&"; !strings.Contains(loc, want) {
		t.Errorf("callback signature not percent-encoded: %q", loc)
	}

	r = e.o1Send(http.MethodGet, o1AccessPath, e.o1AccessQuery(appID, reqToken, q.Get("oauth_vericode")), appKey, reqSecret)
	m = o1AccessRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("access token: %q", r.body)
	}
	access, accessSecret := m[1], m[2]
	a, err := url.ParseQuery(r.body)
	if err != nil {
		t.Fatal(err)
	}
	if a.Get("openid") != openid10001 || a.Get("oauth_vericode") != q.Get("oauth_vericode") || a.Get("timestamp") != now {
		t.Errorf("access answer %v", a)
	}
	if want := hmacB64(appKey, openid10001+now); a.Get("oauth_signature") != want {
		t.Errorf("access oauth_signature = %q, want %q", a.Get("oauth_signature"), want)
	}
	if access == reqToken || accessSecret == reqSecret || access == accessSecret {
		t.Error("access credentials repeat the request credentials")
	}
	if r.header.Get("Content-Type") != "text/html" || r.status != 200 {
		t.Errorf("status %d Content-Type %q", r.status, r.header.Get("Content-Type"))
	}

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r = e.o1Send(method, o1InfoPath, e.o1InfoQuery(access, openid10001), appKey, accessSecret)
		info := userInfoMap(t, r)
		if info["ret"] != float64(0) || info["nickname"] != "沙箱企鹅" || info["figureurl_qq_2"] != e.srv.URL+prefix+"/avatar/"+openid10001+"/100" {
			t.Errorf("%s get_user_info = %v", method, info)
		}
		if r.header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
		}
	}
}

func TestOAuth1UserInfoMatchesOAuth2(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sb.AddIdentity("10002", `<i>企鹅</i> "2"`); err != nil {
		t.Fatal(err)
	}
	access, secret, _ := e.o1Login("10002")
	r1 := e.o1Send(http.MethodGet, o1InfoPath, e.o1InfoQuery(access, OpenID(appID, "10002")), appKey, secret)
	r2 := e.get(o1InfoPath, url.Values{"access_token": {e.accessToken("10002")}, "oauth_consumer_key": {appID}, "openid": {OpenID(appID, "10002")}})
	if r1.body != r2.body || !strings.Contains(r1.body, `"ret":0`) {
		t.Errorf("OAuth 1.0 answer differs:\n1.0: %s\n2.0: %s", r1.body, r2.body)
	}
}

func TestOAuth1BrowserFlow(t *testing.T) {
	e := newEnv(t)
	token, secret := e.o1RequestToken(appID, appKey)
	q := url.Values{"oauth_consumer_key": {appID}, "oauth_token": {token}, "oauth_callback": {cbPlain}}
	page := e.get(o1AuthPath, q)
	if page.status != 200 {
		t.Fatalf("authorize page: %d %s", page.status, page.body)
	}
	checkPageHeaders(t, page)
	for _, w := range []string{appID, cbPlain, `action="` + prefix + `/oauth/qzoneoauth_login"`, "沙箱企鹅", "OAuth 1.0"} {
		if !strings.Contains(page.body, w) {
			t.Errorf("login page lacks %q", w)
		}
	}
	if strings.Contains(page.body, token) || strings.Contains(page.body, `name="oauth_`) {
		t.Error("the request token must stay server-side")
	}
	fm := formTokenRE.FindStringSubmatch(page.body)
	if fm == nil {
		t.Fatal("no form token")
	}
	post := func(v url.Values) reply { return e.do(http.MethodPost, "/oauth/qzoneoauth_login", v) }

	// A validation error re-renders the OAuth 1.0 form, which still works.
	r := post(url.Values{"form_token": {fm[1]}, "action": {"login"}, "identity": {"99999"}})
	if r.status != 400 || !strings.Contains(r.body, "请选择") || !strings.Contains(r.body, "/oauth/qzoneoauth_login") {
		t.Errorf("bad identity: %d", r.status)
	}
	form := url.Values{
		"form_token": {fm[1]}, "action": {"login"}, "identity": {"10002"},
		"oauth_callback": {"https://evil.example/"}, "oauth_token": {"X"}, // tampering: ignored
	}
	r = post(form)
	loc := r.header.Get("Location")
	openid := OpenID(appID, "10002")
	if r.status != http.StatusFound || !strings.HasPrefix(loc, cbPlain+"?oauth_token="+token+"&openid="+openid+"&oauth_signature=") {
		t.Fatalf("login: %d Location %q", r.status, loc)
	}
	if r := post(form); r.status != 400 || r.header.Get("Location") != "" {
		t.Errorf("replayed form: %d %q", r.status, r.header.Get("Location"))
	}
	if r := e.get(o1AuthPath, q); r.status != 400 || !strings.Contains(r.body, msgUsed+"(3010)") || strings.Contains(r.body, "form_token") {
		t.Errorf("second authorize of one token: %d", r.status)
	}
	u, _ := url.Parse(loc)
	r = e.o1Send(http.MethodGet, o1AccessPath, e.o1AccessQuery(appID, token, u.Query().Get("oauth_vericode")), appKey, secret)
	if m := o1AccessRE.FindStringSubmatch(r.body); m == nil || m[3] != openid {
		t.Errorf("access token after browser login: %q", r.body)
	}

	t.Run("cancel", func(t *testing.T) {
		token, secret := e.o1RequestToken(appID, appKey)
		fm := formTokenRE.FindStringSubmatch(e.get(o1AuthPath, url.Values{"oauth_consumer_key": {appID}, "oauth_token": {token}, "oauth_callback": {cbPlain}}).body)
		if fm == nil {
			t.Fatal("no form")
		}
		r := post(url.Values{"form_token": {fm[1]}, "action": {"cancel"}})
		if r.status != 200 || r.header.Get("Location") != "" || !strings.Contains(r.body, "你已取消") {
			t.Errorf("cancel: %d %q", r.status, r.header.Get("Location"))
		}
		wantO1Err(t, e.o1Send(http.MethodGet, o1AccessPath, e.o1AccessQuery(appID, token, "0000000000000000"), appKey, secret), 3011, msgNotAuthd)
	})

	t.Run("token expires while the user is on the page", func(t *testing.T) {
		token, _ := e.o1RequestToken(appID, appKey)
		fm := formTokenRE.FindStringSubmatch(e.get(o1AuthPath, url.Values{"oauth_consumer_key": {appID}, "oauth_token": {token}, "oauth_callback": {cbPlain}}).body)
		if fm == nil {
			t.Fatal("no form")
		}
		e.clk.Advance(oauth1TokenTTL)
		r := post(url.Values{"form_token": {fm[1]}, "action": {"login"}, "identity": {"10001"}})
		if r.status != 400 || r.header.Get("Location") != "" || !strings.Contains(r.body, msgExpired+"(3009)") {
			t.Errorf("status %d Location %q", r.status, r.header.Get("Location"))
		}
	})

	t.Run("unknown form token", func(t *testing.T) {
		if r := post(url.Values{"form_token": {strings.Repeat("A", 32)}, "action": {"login"}, "identity": {"10001"}}); r.status != 400 {
			t.Errorf("status %d", r.status)
		}
	})
}

// ---- rejections ----

func TestOAuth1RequestTokenRejections(t *testing.T) {
	e := newEnv(t)
	now := e.clk.Now().Unix()
	ts := func(d int64) func(url.Values) {
		return func(p url.Values) { p.Set("oauth_timestamp", strconv.FormatInt(now+d, 10)) }
	}
	tests := []struct {
		name       string
		key        string           // oauth_consumer_key; appID if empty
		edit       func(url.Values) // before signing
		after      func(url.Values) // after signing
		secret     string           // consumer secret signed with; appKey if empty
		tokSecret  string           // token secret signed with
		signURI    string           // base URI signed; the real one if empty
		signMethod string           // method signed; GET if empty
		code       int              // 0: success
		msg        string
	}{
		{name: "ok"},
		{name: "timestamp 300s behind", edit: ts(-300)},
		{name: "timestamp 300s ahead", edit: ts(300)},
		{name: "wrong consumer key", key: "999", code: 3004, msg: msgConsumer},
		{name: "wrong appkey", secret: "0123456789abcdef0123456789abcdeX", code: 3007, msg: msgSignature},
		{name: "other app's appkey", secret: app2Key, code: 3007, msg: msgSignature},
		{name: "key with a token secret", tokSecret: "x", code: 3007, msg: msgSignature},
		{name: "tampered after signing", after: func(p url.Values) { p.Set("oauth_nonce", "other") }, code: 3007, msg: msgSignature},
		{name: "extra parameter after signing", after: func(p url.Values) { p.Set("scope", "all") }, code: 3007, msg: msgSignature},
		{name: "signed for another endpoint", signURI: "/oauth/qzoneoauth_access_token", code: 3007, msg: msgSignature},
		{name: "signed for https", signURI: "https", code: 3007, msg: msgSignature},
		{name: "signed for QQ's host", signURI: "http://openapi.qzone.qq.com" + o1RequestPath, code: 3007, msg: msgSignature},
		{name: "signed as POST", signMethod: "POST", code: 3007, msg: msgSignature},
		{name: "signed over the bare path", signURI: "bare", code: 3007, msg: msgSignature},
		{name: "signature empty", after: func(p url.Values) { p.Set("oauth_signature", "") }, code: 3001, msg: msgParam("oauth_signature")},
		{name: "stale timestamp", edit: ts(-301), code: 3005, msg: msgTimestamp},
		{name: "future timestamp", edit: ts(301), code: 3005, msg: msgTimestamp},
		{name: "timestamp in milliseconds", edit: ts(now * 999), code: 3005, msg: msgTimestamp},
		{name: "timestamp whose distance in ns wraps to 0", edit: ts(1 << 55), code: 3005, msg: msgTimestamp},
		{name: "timestamp not a number", edit: func(p url.Values) { p.Set("oauth_timestamp", "12:00") }, code: 3005, msg: msgTimestamp},
		{name: "consumer key missing", edit: func(p url.Values) { p.Del("oauth_consumer_key") }, code: 3001, msg: msgParam("oauth_consumer_key")},
		{name: "nonce missing", edit: func(p url.Values) { p.Del("oauth_nonce") }, code: 3001, msg: msgParam("oauth_nonce")},
		{name: "nonce too long", edit: func(p url.Values) { p.Set("oauth_nonce", strings.Repeat("n", 65)) }, code: 3001, msg: msgParam("oauth_nonce")},
		{name: "version missing", edit: func(p url.Values) { p.Del("oauth_version") }, code: 3001, msg: msgParam("oauth_version")},
		{name: "version 1.0a", edit: func(p url.Values) { p.Set("oauth_version", "1.0a") }, code: 3002, msg: msgVersion},
		{name: "PLAINTEXT", edit: func(p url.Values) { p.Set("oauth_signature_method", "PLAINTEXT") }, code: 3003, msg: msgMethod},
		{name: "HMAC-SHA256", edit: func(p url.Values) { p.Set("oauth_signature_method", "HMAC-SHA256") }, code: 3003, msg: msgMethod},
		{name: "duplicated nonce", edit: func(p url.Values) { p.Add("oauth_nonce", "again") }, code: 3001, msg: msgParam("oauth_nonce")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, secret, method, uri := cmp(tc.key, appID), cmp(tc.secret, appKey), cmp(tc.signMethod, "GET"), e.o1URL(o1RequestPath)
			switch {
			case tc.signURI == "bare":
				uri = prefix + o1RequestPath
			case tc.signURI == "https":
				uri = strings.Replace(uri, "http://", "https://", 1)
			case strings.HasPrefix(tc.signURI, "http"):
				uri = tc.signURI
			case tc.signURI != "":
				uri = e.o1URL(tc.signURI)
			}
			p := e.o1Proto(key)
			if tc.edit != nil {
				tc.edit(p)
			}
			p.Set("oauth_signature", sigOf(method, uri, p, secret, tc.tokSecret))
			if tc.after != nil {
				tc.after(p)
			}
			r := e.get(o1RequestPath, p)
			if tc.code == 0 {
				if !o1RequestRE.MatchString(r.body) {
					t.Errorf("want a request token, got %q", r.body)
				}
				return
			}
			wantO1Err(t, r, tc.code, tc.msg)
		})
	}

	t.Run("malformed query", func(t *testing.T) {
		p := e.o1Proto(appID)
		p.Set("oauth_signature", sigOf("GET", e.o1URL(o1RequestPath), p, appKey, ""))
		resp, err := http.Get(e.o1URL(o1RequestPath) + "?" + p.Encode() + "&x=%zz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantO1Err(t, reply{status: resp.StatusCode, header: resp.Header, body: string(b)}, 3001, msgParam("query"))
	})
	t.Run("POST is refused", func(t *testing.T) {
		p := e.o1Proto(appID)
		if r := e.o1Send(http.MethodPost, o1RequestPath, p, appKey, ""); r.status != http.StatusMethodNotAllowed {
			t.Errorf("status %d", r.status)
		}
	})
	t.Run("apps unavailable", func(t *testing.T) {
		e.apps.set(nil, errors.New("db down"))
		defer e.apps.set(defaultApps(), nil)
		wantO1Err(t, e.o1Send(http.MethodGet, o1RequestPath, e.o1Proto(appID), appKey, ""), 3020, msgSystem)
	})
	t.Run("admin changes the appkey", func(t *testing.T) {
		e.apps.set([]App{{AppID: appID, AppKey: "new-key", RedirectURIs: []string{cbPlain}}}, nil)
		defer e.apps.set(defaultApps(), nil)
		wantO1Err(t, e.o1Send(http.MethodGet, o1RequestPath, e.o1Proto(appID), appKey, ""), 3007, msgSignature)
		if r := e.o1Send(http.MethodGet, o1RequestPath, e.o1Proto(appID), "new-key", ""); !o1RequestRE.MatchString(r.body) {
			t.Errorf("new key refused: %q", r.body)
		}
	})
	t.Run("app without a key never verifies", func(t *testing.T) {
		e.apps.set([]App{{AppID: appID, RedirectURIs: []string{cbPlain}}}, nil)
		defer e.apps.set(defaultApps(), nil)
		wantO1Err(t, e.o1Send(http.MethodGet, o1RequestPath, e.o1Proto(appID), "", ""), 3007, msgSignature)
	})
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func TestOAuth1NonceReplay(t *testing.T) {
	e := newEnv(t)
	p := e.o1Proto(appID)
	p.Set("oauth_nonce", "N1")
	r := e.o1Send(http.MethodGet, o1RequestPath, p, appKey, "")
	if !o1RequestRE.MatchString(r.body) {
		t.Fatalf("first use: %q", r.body)
	}
	wantO1Err(t, e.get(o1RequestPath, p), 3006, msgNonce) // the same request replayed

	e.clk.Advance(time.Second) // freshly signed, new timestamp, same nonce
	p = e.o1Proto(appID)
	p.Set("oauth_nonce", "N1")
	wantO1Err(t, e.o1Send(http.MethodGet, o1RequestPath, p, appKey, ""), 3006, msgNonce)

	p = e.o1Proto(app2ID) // nonces are per app
	p.Set("oauth_nonce", "N1")
	if r := e.o1Send(http.MethodGet, o1RequestPath, p, app2Key, ""); !o1RequestRE.MatchString(r.body) {
		t.Errorf("other app's nonce space: %q", r.body)
	}

	// A forged request does not spend the nonce.
	p = e.o1Proto(appID)
	p.Set("oauth_nonce", "N2")
	wantO1Err(t, e.o1Send(http.MethodGet, o1RequestPath, p, "forged", ""), 3007, msgSignature)
	if r := e.o1Send(http.MethodGet, o1RequestPath, p, appKey, ""); !o1RequestRE.MatchString(r.body) {
		t.Errorf("nonce spent by a forgery: %q", r.body)
	}

	// Still refused just before 10 minutes, accepted again after.
	e.clk.Advance(oauth1NonceTTL - 2*time.Second)
	p = e.o1Proto(appID)
	p.Set("oauth_nonce", "N1")
	wantO1Err(t, e.o1Send(http.MethodGet, o1RequestPath, p, appKey, ""), 3006, msgNonce)
	e.clk.Advance(time.Second)
	p = e.o1Proto(appID)
	p.Set("oauth_nonce", "N1")
	if r := e.o1Send(http.MethodGet, o1RequestPath, p, appKey, ""); !o1RequestRE.MatchString(r.body) {
		t.Errorf("nonce after 10 minutes: %q", r.body)
	}
}

func TestOAuth1AuthorizeRejections(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	app2Token, _ := e.o1RequestToken(app2ID, app2Key)
	tests := []struct {
		name, key, token, cb, qq string // token "" means a fresh one of the main app; "-" means none
		code                     int
		sentinel                 error
	}{
		{name: "consumer key missing", key: "-", code: 3001},
		{name: "consumer key unknown", key: "999", code: 3004},
		{name: "token missing", token: "-", code: 3001},
		{name: "token unknown", token: strings.Repeat("A", 32), code: 3008},
		{name: "token of another app", token: app2Token, code: 3008},
		{name: "callback missing", cb: "-", code: 3001},
		{name: "callback trailing slash", cb: cbPlain + "/", code: 3013},
		{name: "callback other path", cb: "https://forum.example.com/qq/callback2", code: 3013},
		{name: "callback path case", cb: "https://forum.example.com/QQ/callback", code: 3013},
		{name: "callback http", cb: "http://forum.example.com/qq/callback", code: 3013},
		{name: "callback explicit port", cb: "https://forum.example.com:443/qq/callback", code: 3013},
		{name: "callback other host", cb: "https://evil.example/qq/callback", code: 3013},
		{name: "callback host suffix", cb: "https://forum.example.com.evil.example/qq/callback", code: 3013},
		{name: "callback userinfo", cb: "https://x@forum.example.com/qq/callback", code: 3013},
		{name: "callback fragment", cb: cbPlain + "#x", code: 3013},
		{name: "callback relative", cb: "/qq/callback", code: 3013},
		{name: "callback of another app", cb: cbApp2, code: 3013},
		{name: "unknown identity", qq: "99999", sentinel: ErrNoIdentity},
		{name: "query added", cb: cbPlain + "?referer=%2F"},
		{name: "query changed", cb: "https://forum.example.com/plugin.php?id=other&x=1"},
		{name: "query dropped", cb: "https://forum.example.com/plugin.php"},
		{name: "empty query", cb: cbPlain + "?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token
			if token == "" {
				token, _ = e.o1RequestToken(appID, appKey)
			}
			arg := func(v, def string) string {
				if v == "-" {
					return ""
				}
				return cmp(v, def)
			}
			key, tok, cb, qq := arg(tc.key, appID), arg(token, ""), arg(tc.cb, cbPlain), cmp(tc.qq, "10001")
			loc, err := e.sb.AuthorizeOAuth1(ctx, key, tok, cb, qq)
			switch {
			case tc.sentinel != nil:
				if !errors.Is(err, tc.sentinel) || loc != "" {
					t.Errorf("err = %v, want %v", err, tc.sentinel)
				}
				return
			case tc.code == 0:
				if err != nil || !strings.HasPrefix(loc, cb) || !strings.Contains(loc, "oauth_token="+tok+"&openid=") {
					t.Errorf("AuthorizeOAuth1 = %q, %v", loc, err)
				}
				if tc.cb == cbPlain+"?" && !strings.HasPrefix(loc, cbPlain+"?oauth_token=") {
					t.Errorf("separator after a bare '?': %q", loc)
				}
				return
			}
			if qe, ok := errors.AsType[*Error](err); !ok || qe.Code != tc.code || loc != "" {
				t.Fatalf("err = %v, want code %d", err, tc.code)
			}
			// The page applies the same rules and never redirects.
			r := e.get(o1AuthPath, url.Values{"oauth_consumer_key": {key}, "oauth_token": {tok}, "oauth_callback": {cb}})
			if r.status != 400 || r.header.Get("Location") != "" || !strings.Contains(r.body, fmt.Sprintf("(%d)", tc.code)) || strings.Contains(r.body, "form_token") {
				t.Errorf("page: status %d Location %q", r.status, r.header.Get("Location"))
			}
			checkPageHeaders(t, r)
			if tc.code == 3013 && (!strings.Contains(r.body, "<li><code>"+cbPlain+"</code></li>") || !strings.Contains(r.body, "oauth_callback")) {
				t.Errorf("3013 page does not show the registered callbacks:\n%s", r.body)
			}
			// A refused authorize leaves a good token usable.
			if tc.token == "" && tc.key == "" {
				if _, err := e.sb.AuthorizeOAuth1(ctx, appID, tok, cbPlain, "10001"); err != nil {
					t.Errorf("token burnt by a refused authorize: %v", err)
				}
			}
		})
	}

	t.Run("expiry", func(t *testing.T) {
		early, _ := e.o1RequestToken(appID, appKey)
		late, _ := e.o1RequestToken(appID, appKey)
		e.clk.Advance(oauth1TokenTTL - time.Second)
		if _, err := e.sb.AuthorizeOAuth1(ctx, appID, early, cbPlain, "10001"); err != nil {
			t.Errorf("before expiry: %v", err)
		}
		e.clk.Advance(time.Second)
		_, err := e.sb.AuthorizeOAuth1(ctx, appID, late, cbPlain, "10001")
		if qe, ok := errors.AsType[*Error](err); !ok || qe.Code != 3009 || qe.Description != msgExpired {
			t.Errorf("expired: %v", err)
		}
	})
	t.Run("twice", func(t *testing.T) {
		tok, _ := e.o1RequestToken(appID, appKey)
		if _, err := e.sb.AuthorizeOAuth1(ctx, appID, tok, cbPlain, "10001"); err != nil {
			t.Fatal(err)
		}
		_, err := e.sb.AuthorizeOAuth1(ctx, appID, tok, cbPlain, "10002")
		if qe, ok := errors.AsType[*Error](err); !ok || qe.Code != 3010 {
			t.Errorf("second authorize: %v", err)
		}
	})
	t.Run("apps unavailable", func(t *testing.T) {
		tok, _ := e.o1RequestToken(appID, appKey)
		e.apps.set(nil, errors.New("db down"))
		defer e.apps.set(defaultApps(), nil)
		r := e.get(o1AuthPath, url.Values{"oauth_consumer_key": {appID}, "oauth_token": {tok}, "oauth_callback": {cbPlain}})
		if r.status != 500 || !strings.Contains(r.body, "(3020)") {
			t.Errorf("status %d", r.status)
		}
	})
}

func TestOAuth1AccessTokenRejections(t *testing.T) {
	e := newEnv(t)
	send := func(p url.Values, secret, tokSecret string) reply {
		return e.o1Send(http.MethodGet, o1AccessPath, p, secret, tokSecret)
	}
	type fixture struct {
		token, secret, verifier string
	}
	fresh := func() fixture {
		tok, sec, cb := e.o1Authorized("10001")
		return fixture{tok, sec, cb.Get("oauth_vericode")}
	}
	tests := []struct {
		name string
		run  func(f fixture) reply
		code int
		msg  string
	}{
		{"signed without the token secret", func(f fixture) reply {
			return send(e.o1AccessQuery(appID, f.token, f.verifier), appKey, "")
		}, 3007, msgSignature},
		{"signed with a wrong token secret", func(f fixture) reply {
			return send(e.o1AccessQuery(appID, f.token, f.verifier), appKey, strings.Repeat("0", 32))
		}, 3007, msgSignature},
		{"signed with a wrong appkey", func(f fixture) reply {
			return send(e.o1AccessQuery(appID, f.token, f.verifier), app2Key, f.secret)
		}, 3007, msgSignature},
		{"verifier tampered after signing", func(f fixture) reply {
			p := e.o1AccessQuery(appID, f.token, f.verifier)
			p.Set("oauth_signature", sigOf("GET", e.o1URL(o1AccessPath), p, appKey, f.secret))
			p.Set("oauth_vericode", "0000000000000000")
			return e.get(o1AccessPath, p)
		}, 3007, msgSignature},
		{"wrong verifier", func(f fixture) reply {
			return send(e.o1AccessQuery(appID, f.token, "0000000000000000"), appKey, f.secret)
		}, 3012, msgVerifier},
		{"verifier lower-cased", func(f fixture) reply {
			return send(e.o1AccessQuery(appID, f.token, strings.ToLower(f.verifier)), appKey, f.secret)
		}, 3012, msgVerifier},
		{"verifier missing", func(f fixture) reply {
			p := e.o1AccessQuery(appID, f.token, f.verifier)
			p.Del("oauth_vericode")
			return send(p, appKey, f.secret)
		}, 3001, msgParam("oauth_vericode")},
		{"token missing", func(f fixture) reply {
			p := e.o1AccessQuery(appID, f.token, f.verifier)
			p.Del("oauth_token")
			return send(p, appKey, f.secret)
		}, 3001, msgParam("oauth_token")},
		{"token unknown", func(f fixture) reply {
			return send(e.o1AccessQuery(appID, strings.Repeat("B", 32), f.verifier), appKey, f.secret)
		}, 3008, msgToken},
		{"token presented by another app", func(f fixture) reply {
			return send(e.o1AccessQuery(app2ID, f.token, f.verifier), app2Key, f.secret)
		}, 3008, msgToken},
		{"not authorized", func(fixture) reply {
			tok, sec := e.o1RequestToken(appID, appKey)
			return send(e.o1AccessQuery(appID, tok, "0000000000000000"), appKey, sec)
		}, 3011, msgNotAuthd},
		{"stale timestamp", func(f fixture) reply {
			p := e.o1AccessQuery(appID, f.token, f.verifier)
			p.Set("oauth_timestamp", strconv.FormatInt(e.clk.Now().Unix()-301, 10))
			return send(p, appKey, f.secret)
		}, 3005, msgTimestamp},
		{"reused nonce", func(f fixture) reply {
			p := e.o1AccessQuery(appID, f.token, "0000000000000000")
			wantO1Err(t, send(p, appKey, f.secret), 3012, msgVerifier)
			p.Set("oauth_vericode", f.verifier)
			return send(p, appKey, f.secret) // right verifier, spent nonce
		}, 3006, msgNonce},
		{"reused request token", func(f fixture) reply {
			if r := send(e.o1AccessQuery(appID, f.token, f.verifier), appKey, f.secret); !o1AccessRE.MatchString(r.body) {
				t.Fatalf("first exchange: %q", r.body)
			}
			return send(e.o1AccessQuery(appID, f.token, f.verifier), appKey, f.secret)
		}, 3010, msgUsed},
		{"expired request token", func(f fixture) reply {
			e.clk.Advance(oauth1TokenTTL)
			return send(e.o1AccessQuery(appID, f.token, f.verifier), appKey, f.secret)
		}, 3009, msgExpired},
		{"access token as request token", func(fixture) reply {
			access, accessSecret, _ := e.o1Login("10001")
			return send(e.o1AccessQuery(appID, access, "0000000000000000"), appKey, accessSecret)
		}, 3008, msgToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantO1Err(t, tc.run(fresh()), tc.code, tc.msg)
		})
	}

	t.Run("a wrong verifier does not burn the token", func(t *testing.T) {
		f := fresh()
		wantO1Err(t, send(e.o1AccessQuery(appID, f.token, "0000000000000000"), appKey, f.secret), 3012, msgVerifier)
		if r := send(e.o1AccessQuery(appID, f.token, f.verifier), appKey, f.secret); !o1AccessRE.MatchString(r.body) {
			t.Errorf("right verifier afterwards: %q", r.body)
		}
	})
	t.Run("just before expiry", func(t *testing.T) {
		f := fresh()
		e.clk.Advance(oauth1TokenTTL - time.Second)
		if r := send(e.o1AccessQuery(appID, f.token, f.verifier), appKey, f.secret); !o1AccessRE.MatchString(r.body) {
			t.Errorf("%q", r.body)
		}
	})
	t.Run("concurrent exchanges: one wins", func(t *testing.T) {
		f := fresh()
		var wg sync.WaitGroup
		bodies := make([]string, 8)
		for i := range bodies {
			p := e.o1AccessQuery(appID, f.token, f.verifier)
			p.Set("oauth_signature", sigOf("GET", e.o1URL(o1AccessPath), p, appKey, f.secret))
			wg.Go(func() { bodies[i] = e.get(o1AccessPath, p).body })
		}
		wg.Wait()
		wins := 0
		for _, b := range bodies {
			if o1AccessRE.MatchString(b) {
				wins++
			} else if b != "error_code=3010&error_msg="+pct(msgUsed) {
				t.Errorf("loser got %q", b)
			}
		}
		if wins != 1 {
			t.Errorf("%d exchanges won", wins)
		}
	})
}

func TestOAuth1UserInfoRejections(t *testing.T) {
	e := newEnv(t)
	access, accessSecret, reqSecret := e.o1Login("10001")
	other, otherSecret, _ := e.o1Login("10002")
	send := func(p url.Values, secret, tokSecret string) string {
		return e.o1Send(http.MethodGet, o1InfoPath, p, secret, tokSecret).body
	}
	ret := func(code int, msg string) string { return fmt.Sprintf(`{"ret":%d,"msg":%q}`, code, msg) }
	reqTok, reqTokSecret := e.o1RequestToken(appID, appKey)
	tests := []struct {
		name string
		got  func() string
		want string
	}{
		{"signed without the token secret", func() string { return send(e.o1InfoQuery(access, openid10001), appKey, "") }, ret(3007, msgSignature)},
		{"signed with the request token secret", func() string { return send(e.o1InfoQuery(access, openid10001), appKey, reqSecret) }, ret(3007, msgSignature)},
		{"signed with another token's secret", func() string { return send(e.o1InfoQuery(access, openid10001), appKey, otherSecret) }, ret(3007, msgSignature)},
		{"another user's openid", func() string { return send(e.o1InfoQuery(other, openid10001), appKey, otherSecret) }, ret(3014, msgOpenID)},
		{"other app's openid", func() string {
			return send(e.o1InfoQuery(access, OpenID(app2ID, "10001")), appKey, accessSecret)
		}, ret(3014, msgOpenID)},
		{"openid missing", func() string {
			p := e.o1InfoQuery(access, openid10001)
			p.Del("openid")
			return send(p, appKey, accessSecret)
		}, ret(3001, msgParam("openid"))},
		{"token unknown", func() string { return send(e.o1InfoQuery(strings.Repeat("C", 32), openid10001), appKey, accessSecret) }, ret(3008, msgToken)},
		{"request token instead of access token", func() string {
			return send(e.o1InfoQuery(reqTok, openid10001), appKey, reqTokSecret)
		}, ret(3008, msgToken)},
		{"other app's consumer key", func() string {
			p := e.o1InfoQuery(access, openid10001)
			p.Set("oauth_consumer_key", app2ID)
			return send(p, app2Key, accessSecret)
		}, ret(3008, msgToken)},
		{"stale timestamp", func() string {
			p := e.o1InfoQuery(access, openid10001)
			p.Set("oauth_timestamp", strconv.FormatInt(e.clk.Now().Unix()+301, 10))
			return send(p, appKey, accessSecret)
		}, ret(3005, msgTimestamp)},
		{"reused nonce", func() string {
			p := e.o1InfoQuery(access, openid10001)
			if b := send(p, appKey, accessSecret); !strings.HasPrefix(b, `{"ret":0,`) {
				t.Fatalf("first call: %s", b)
			}
			return e.get(o1InfoPath, p).body
		}, ret(3006, msgNonce)},
		{"signature only: OAuth 1.0 checks", func() string { return e.get(o1InfoPath, url.Values{"oauth_signature": {"x"}}).body }, ret(3001, msgParam("oauth_consumer_key"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.got(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}

	t.Run("dispatch", func(t *testing.T) {
		// An access_token means OAuth 2.0, whatever else is there.
		p := url.Values{"access_token": {e.accessToken("10001")}, "oauth_consumer_key": {appID}, "openid": {openid10001}, "oauth_token": {access}}
		if info := userInfoMap(t, e.get(o1InfoPath, p)); info["ret"] != float64(0) {
			t.Errorf("OAuth 2.0 with oauth_token: %v", info)
		}
		// Neither: the OAuth 2.0 answer, as before.
		if b := e.get(o1InfoPath, url.Values{"oauth_consumer_key": {appID}, "openid": {openid10001}}).body; b != `{"ret":-1,"msg":"client request's parameters are invalid, invalid access_token"}` {
			t.Errorf("no token: %s", b)
		}
	})
	t.Run("FailNext applies", func(t *testing.T) {
		e.sb.FailNext("get_user_info", 100030)
		if b := send(e.o1InfoQuery(access, openid10001), appKey, accessSecret); b != ret(100030, "user has not authorized this api") {
			t.Errorf("injected: %s", b)
		}
	})
	t.Run("access token lifetime", func(t *testing.T) {
		e.clk.Advance(tokenExpiresIn*time.Second - time.Second)
		if b := send(e.o1InfoQuery(access, openid10001), appKey, accessSecret); !strings.HasPrefix(b, `{"ret":0,`) {
			t.Errorf("before expiry: %s", b)
		}
		e.clk.Advance(time.Second)
		if b := send(e.o1InfoQuery(access, openid10001), appKey, accessSecret); b != ret(3009, msgExpired) {
			t.Errorf("after expiry: %s", b)
		}
	})
}

// ---- deployment ----

func TestOAuth1PublicURL(t *testing.T) {
	apps := &appList{apps: defaultApps()}
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	sb := New(Options{Apps: apps.get, Now: clk.Now, Prefix: prefix, PublicURL: "https://BBS.example.com:443/", Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	e := &env{t: t, sb: sb, srv: srv, clk: clk, apps: apps, client: srv.Client()}
	for _, tc := range []struct {
		uri string
		ok  bool
	}{
		{"https://bbs.example.com" + prefix + o1RequestPath, true}, // the proxy's URL
		{srv.URL + prefix + o1RequestPath, true},                   // the URL the sandbox sees
		{"http://bbs.example.com" + prefix + o1RequestPath, false},
		{"https://evil.example.com" + prefix + o1RequestPath, false},
		{"https://bbs.example.com/other" + o1RequestPath, false},
	} {
		p := e.o1Proto(appID)
		p.Set("oauth_signature", sigOf("GET", tc.uri, p, appKey, ""))
		r := e.get(o1RequestPath, p)
		if o1RequestRE.MatchString(r.body) != tc.ok {
			t.Errorf("signed for %s: %q", tc.uri, r.body)
		}
	}
	for _, bad := range []string{"ftp://bbs.example.com", "https://", "https://u@bbs.example.com", "::"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("PublicURL %q accepted", bad)
				}
			}()
			New(Options{Apps: apps.get, PublicURL: bad})
		}()
	}
}

func TestOAuth1RandomFailure(t *testing.T) {
	e := newEnvWith(t, errReader{})
	wantO1Err(t, e.o1Send(http.MethodGet, o1RequestPath, e.o1Proto(appID), appKey, ""), 3020, msgSystem)
	// Plant an authorized request token by hand: issuing one needs randomness.
	e.sb.mu.Lock()
	e.sb.o1.requests["T"] = &o1Request{appID: appID, secret: "S", expires: e.clk.Now().Add(time.Minute), authorized: true, qq: "10001", verifier: "V"}
	e.sb.mu.Unlock()
	wantO1Err(t, e.o1Send(http.MethodGet, o1AccessPath, e.o1AccessQuery(appID, "T", "V"), appKey, "S"), 3020, msgSystem)
	e.sb.mu.Lock()
	e.sb.o1.requests["U"] = &o1Request{appID: appID, secret: "S", expires: e.clk.Now().Add(time.Minute)}
	e.sb.mu.Unlock()
	if loc, err := e.sb.AuthorizeOAuth1(context.Background(), appID, "U", cbPlain, "10001"); err == nil || loc != "" {
		t.Errorf("AuthorizeOAuth1 without entropy = %q, %v", loc, err)
	}
	if r := e.get(o1AuthPath, url.Values{"oauth_consumer_key": {appID}, "oauth_token": {"U"}, "oauth_callback": {cbPlain}}); r.status != 500 {
		t.Errorf("authorize page without entropy: %d", r.status)
	}
}

// TestOAuth1LogsKeepSecrets: no key, token, secret, verifier, nonce or
// signature reaches the log, while the log is not empty.
func TestOAuth1LogsKeepSecrets(t *testing.T) {
	e := newEnv(t)
	reqTok, reqSecret := e.o1RequestToken(appID, appKey)
	loc, err := e.sb.AuthorizeOAuth1(context.Background(), appID, reqTok, cbPlain, "10001")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	cb := u.Query()
	wantO1Err(t, e.o1Send(http.MethodGet, o1AccessPath, e.o1AccessQuery(appID, reqTok, "0000000000000000"), appKey, reqSecret), 3012, msgVerifier)
	p := e.o1AccessQuery(appID, reqTok, cb.Get("oauth_vericode"))
	r := e.o1Send(http.MethodGet, o1AccessPath, p, appKey, reqSecret)
	m := o1AccessRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("access: %q", r.body)
	}
	info := e.o1InfoQuery(m[1], openid10001)
	e.o1Send(http.MethodGet, o1InfoPath, info, appKey, m[2])
	e.o1Send(http.MethodGet, o1InfoPath, e.o1InfoQuery(m[1], openid10001), "wrong-key", m[2])

	logs := e.logs.String()
	for _, w := range []string{"sandbox oauth1 issued request token", "sandbox oauth1 authorized", "sandbox oauth1 issued access token", "error=3012", "error=3007"} {
		if !strings.Contains(logs, w) {
			t.Errorf("log lacks %q:\n%s", w, logs)
		}
	}
	for name, secret := range map[string]string{
		"appkey": appKey, "request token": reqTok, "request secret": reqSecret, "verifier": cb.Get("oauth_vericode"),
		"callback signature": cb.Get("oauth_signature"), "access token": m[1], "access secret": m[2],
		"nonce": p.Get("oauth_nonce"), "request signature": p.Get("oauth_signature"), "info nonce": info.Get("oauth_nonce"),
	} {
		if secret == "" || strings.Contains(logs, secret) {
			t.Errorf("log contains the %s (%q)", name, secret)
		}
	}
}
