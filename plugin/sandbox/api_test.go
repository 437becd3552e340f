package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// checkOAuthError asserts QQ's exact error bytes in both formats.
func checkOAuthError(t *testing.T, r reply, fmtJSON bool, code int, desc string) {
	t.Helper()
	obj := fmt.Sprintf(`{"error":%d,"error_description":%q}`, code, desc)
	want := jsonp(obj)
	if fmtJSON {
		want = obj
	}
	if r.body != want {
		t.Errorf("body = %q, want %q", r.body, want)
	}
	if r.status != http.StatusOK {
		t.Errorf("status = %d, QQ always answers 200", r.status)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/html" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(e *env, q url.Values)
		code int
		desc string
	}{
		{"grant_type missing", func(_ *env, q url.Values) { q.Del("grant_type") }, 100004, "param grant_type is wrong or lost "},
		{"grant_type refresh", func(_ *env, q url.Values) { q.Set("grant_type", "refresh_token") }, 100004, "param grant_type is wrong or lost "},
		{"client_id missing", func(_ *env, q url.Values) { q.Del("client_id") }, 100001, "param client_id is wrong or lost "},
		{"client_id unknown", func(_ *env, q url.Values) { q.Set("client_id", "123") }, 100008, describe(100008)},
		{"client_secret missing", func(_ *env, q url.Values) { q.Del("client_secret") }, 100002, "param client_secret is wrong or lost "},
		{"client_secret wrong", func(_ *env, q url.Values) { q.Set("client_secret", appKey[:31]+"0") }, 100009, "client secret is illegal"},
		{"other app's secret", func(_ *env, q url.Values) { q.Set("client_secret", app2Key) }, 100009, "client secret is illegal"},
		{"code missing", func(_ *env, q url.Values) { q.Del("code") }, 100005, "param code is wrong or lost "},
		{"code unknown", func(_ *env, q url.Values) { q.Set("code", strings.Repeat("A", 32)) }, 100019, "code to access token error"},
		{"code of another app", func(e *env, q url.Values) {
			q.Set("client_id", app2ID)
			q.Set("client_secret", app2Key)
			q.Set("redirect_uri", cbApp2)
		}, 100019, "code to access token error"},
		{"redirect_uri missing", func(_ *env, q url.Values) { q.Del("redirect_uri") }, 100010, "redirect uri is illegal"},
		{"redirect_uri trailing slash", func(_ *env, q url.Values) { q.Set("redirect_uri", cbPlain+"/") }, 100010, "redirect uri is illegal"},
		{"redirect_uri other registered one", func(_ *env, q url.Values) { q.Set("redirect_uri", cbQuery) }, 100010, "redirect uri is illegal"},
		{"redirect_uri double encoded", func(_ *env, q url.Values) { q.Set("redirect_uri", url.QueryEscape(cbPlain)) }, 100010, "redirect uri is illegal"},
	}
	for _, tc := range tests {
		for _, fmtJSON := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/json=%v", tc.name, fmtJSON), func(t *testing.T) {
				e := newEnv(t)
				code := e.code(appID, cbPlain, "10001")
				q := tokenQuery(appID, appKey, code, cbPlain)
				tc.edit(e, q)
				if fmtJSON {
					q.Set("fmt", "json")
				}
				checkOAuthError(t, e.get("/oauth2.0/token", q), fmtJSON, tc.code, tc.desc)
				// A refused exchange does not burn the code.
				if r := e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, cbPlain)); !formTokenBodyRE.MatchString(r.body) {
					t.Errorf("code unusable after a refused exchange: %q", r.body)
				}
			})
		}
	}
}

func TestTokenCodeReuse(t *testing.T) {
	e := newEnv(t)
	code := e.code(appID, cbPlain, "10001")
	if r := e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, cbPlain)); !formTokenBodyRE.MatchString(r.body) {
		t.Fatalf("first exchange: %q", r.body)
	}
	r := e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, cbPlain))
	if want := "callback( {\"error\":100020,\"error_description\":\"code is reused error\"} );\n"; r.body != want {
		t.Errorf("reuse = %q, want %q", r.body, want)
	}
	q := tokenQuery(appID, appKey, code, cbPlain)
	q.Set("fmt", "json")
	if r := e.get("/oauth2.0/token", q); r.body != `{"error":100020,"error_description":"code is reused error"}` {
		t.Errorf("reuse fmt=json = %q", r.body)
	}
	// Once the code's 10 minutes are over it is simply unknown.
	e.clk.Advance(codeTTL)
	checkOAuthError(t, e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, cbPlain)), false, 100019, "code to access token error")
}

func TestTokenConcurrentExchange(t *testing.T) {
	e := newEnv(t)
	code := e.code(appID, cbPlain, "10001")
	var wg sync.WaitGroup
	bodies := make([]string, 16)
	for i := range bodies {
		wg.Go(func() {
			q := tokenQuery(appID, appKey, code, cbPlain).Encode()
			resp, err := http.Get(e.srv.URL + prefix + "/oauth2.0/token?" + q)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Error(err)
			}
			bodies[i] = string(b)
		})
	}
	wg.Wait()
	ok, reused := 0, 0
	for _, b := range bodies {
		switch {
		case formTokenBodyRE.MatchString(b):
			ok++
		case strings.Contains(b, "100020"):
			reused++
		}
	}
	if ok != 1 || reused != len(bodies)-1 {
		t.Errorf("%d successes and %d reuse errors from %d racing exchanges", ok, reused, len(bodies))
	}
}

func TestTokenCodeLifetime(t *testing.T) {
	tests := []struct {
		after time.Duration
		ok    bool
	}{
		{0, true},
		{codeTTL - time.Second, true},
		{codeTTL, false},
		{codeTTL + time.Second, false},
		{time.Hour, false},
	}
	for _, tc := range tests {
		t.Run(tc.after.String(), func(t *testing.T) {
			e := newEnv(t)
			code := e.code(appID, cbPlain, "10001")
			e.clk.Advance(tc.after)
			r := e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, cbPlain))
			if tc.ok {
				if !formTokenBodyRE.MatchString(r.body) {
					t.Errorf("want success, got %q", r.body)
				}
				return
			}
			checkOAuthError(t, r, false, 100019, "code to access token error")
		})
	}
}

func TestTokenSuccessFormats(t *testing.T) {
	e := newEnv(t)
	t.Run("form-encoded", func(t *testing.T) {
		r := e.get("/oauth2.0/token", tokenQuery(appID, appKey, e.code(appID, cbPlain, "10001"), cbPlain))
		m := formTokenBodyRE.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("body %q", r.body)
		}
		if m[1] == m[2] {
			t.Error("access and refresh token are equal")
		}
		if r.status != 200 || r.header.Get("Content-Type") != "text/html" || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("status %d headers %v", r.status, r.header)
		}
	})
	t.Run("form-encoded need_openid", func(t *testing.T) {
		q := tokenQuery(appID, appKey, e.code(appID, cbPlain, "10001"), cbPlain)
		q.Set("need_openid", "1")
		r := e.get("/oauth2.0/token", q)
		re := regexp.MustCompile(`^access_token=[0-9A-F]{32}&expires_in=7776000&refresh_token=[0-9A-F]{32}&openid=` + openid10001 + `$`)
		if !re.MatchString(r.body) {
			t.Errorf("body %q", r.body)
		}
	})
	for _, needOpenID := range []bool{false, true} {
		t.Run(fmt.Sprintf("json need_openid=%v", needOpenID), func(t *testing.T) {
			q := tokenQuery(appID, appKey, e.code(appID, cbPlain, "10001"), cbPlain)
			q.Set("fmt", "json")
			if needOpenID {
				q.Set("need_openid", "1")
			}
			r := e.get("/oauth2.0/token", q)
			re := `^\{"access_token":"[0-9A-F]{32}","expires_in":"7776000","refresh_token":"[0-9A-F]{32}"\}$`
			if needOpenID {
				re = `^\{"access_token":"[0-9A-F]{32}","expires_in":"7776000","refresh_token":"[0-9A-F]{32}","openid":"` + openid10001 + `"\}$`
			}
			if !regexp.MustCompile(re).MatchString(r.body) {
				t.Errorf("body %q", r.body)
			}
			// expires_in must be a JSON string, which breaks int decoders.
			var strict struct {
				ExpiresIn int64 `json:"expires_in"`
			}
			if err := json.Unmarshal([]byte(r.body), &strict); err == nil {
				t.Error("expires_in decoded into an int64; it must be a string")
			}
		})
	}
	t.Run("POST form", func(t *testing.T) {
		r := e.do(http.MethodPost, "/oauth2.0/token", tokenQuery(appID, appKey, e.code(appID, cbPlain, "10001"), cbPlain))
		if !formTokenBodyRE.MatchString(r.body) {
			t.Errorf("body %q", r.body)
		}
	})
}

func TestTokenFollowsAdminChanges(t *testing.T) {
	e := newEnv(t)
	code := e.code(appID, cbPlain, "10001")
	e.apps.set([]App{{AppID: appID, AppKey: "new-key", RedirectURIs: []string{cbPlain}}}, nil)
	checkOAuthError(t, e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, cbPlain)), false, 100009, "client secret is illegal")
	if r := e.get("/oauth2.0/token", tokenQuery(appID, "new-key", code, cbPlain)); !formTokenBodyRE.MatchString(r.body) {
		t.Errorf("new key refused: %q", r.body)
	}
	e.apps.set(nil, errors.New("db down"))
	checkOAuthError(t, e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, cbPlain)), false, 100017, describe(100017))
}

func TestTokenRandomFailure(t *testing.T) {
	e := newEnvWith(t, errReader{})
	// Plant a code by hand: Authorize itself needs randomness.
	e.sb.mu.Lock()
	e.sb.codes["C0DE"] = &authCode{appID: appID, redirectURI: cbPlain, qq: "10001", expires: e.clk.Now().Add(codeTTL)}
	e.sb.mu.Unlock()
	checkOAuthError(t, e.get("/oauth2.0/token", tokenQuery(appID, appKey, "C0DE", cbPlain)), false, 100021, describe(100021))
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	tok := e.accessToken("10001")
	plain := `{"client_id":"` + appID + `","openid":"` + openid10001 + `"}`
	withUnion := `{"client_id":"` + appID + `","openid":"` + openid10001 + `","unionid":"` + unionid10001 + `"}`
	for _, fmtJSON := range []bool{false, true} {
		wrap := jsonp
		if fmtJSON {
			wrap = func(s string) string { return s }
		}
		tests := []struct {
			name string
			q    url.Values
			want string
		}{
			{"plain", url.Values{"access_token": {tok}}, wrap(plain)},
			{"unionid=1", url.Values{"access_token": {tok}, "unionid": {"1"}}, wrap(withUnion)},
			{"unionid=2 is not a request", url.Values{"access_token": {tok}, "unionid": {"2"}}, wrap(plain)},
			{"token missing", url.Values{}, wrap(`{"error":100007,"error_description":"param access token is wrong or lost "}`)},
			{"token malformed", url.Values{"access_token": {"abc"}}, wrap(`{"error":100013,"error_description":"access token is illegal"}`)},
			{"token lower-case", url.Values{"access_token": {strings.ToLower(tok)}}, wrap(`{"error":100013,"error_description":"access token is illegal"}`)},
			{"token unknown", url.Values{"access_token": {strings.Repeat("0", 32)}}, wrap(`{"error":100016,"error_description":"access token check failed"}`)},
		}
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/json=%v", tc.name, fmtJSON), func(t *testing.T) {
				if fmtJSON {
					tc.q.Set("fmt", "json")
				}
				r := e.get("/oauth2.0/me", tc.q)
				if r.body != tc.want {
					t.Errorf("body = %q, want %q", r.body, tc.want)
				}
				if r.status != 200 || r.header.Get("Content-Type") != "text/html" {
					t.Errorf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
				}
			})
		}
	}
	if !strings.HasPrefix(jsonp(plain), "callback( ") || !strings.HasSuffix(jsonp(plain), " );\n") {
		t.Fatal("jsonp helper is wrong")
	}
}

func TestMeUnionIDPermission(t *testing.T) {
	e := newEnv(t)
	tok := e.accessToken("10001")
	e.sb.SetUnionIDAllowed(appID, false)
	r := e.get("/oauth2.0/me", url.Values{"access_token": {tok}, "unionid": {"1"}})
	if want := "callback( {\"error\":100048,\"error_description\":\"companyid not set\"} );\n"; r.body != want {
		t.Errorf("denied = %q, want %q", r.body, want)
	}
	r = e.get("/oauth2.0/me", url.Values{"access_token": {tok}, "unionid": {"1"}, "fmt": {"json"}})
	if r.body != `{"error":100048,"error_description":"companyid not set"}` {
		t.Errorf("denied json = %q", r.body)
	}
	// Without unionid=1 the openid still comes back.
	if r := e.get("/oauth2.0/me", url.Values{"access_token": {tok}}); !strings.Contains(r.body, openid10001) {
		t.Errorf("plain /me broken by the unionid switch: %q", r.body)
	}
	// Another app is not affected, and the unionid is the same for it.
	code := e.code(app2ID, cbApp2, "10001")
	m := formTokenBodyRE.FindStringSubmatch(e.get("/oauth2.0/token", tokenQuery(app2ID, app2Key, code, cbApp2)).body)
	if m == nil {
		t.Fatal("app2 token failed")
	}
	r = e.get("/oauth2.0/me", url.Values{"access_token": {m[1]}, "unionid": {"1"}, "fmt": {"json"}})
	want := `{"client_id":"` + app2ID + `","openid":"` + OpenID(app2ID, "10001") + `","unionid":"` + unionid10001 + `"}`
	if r.body != want {
		t.Errorf("app2 = %q, want %q", r.body, want)
	}
	e.sb.SetUnionIDAllowed(appID, true)
	if r := e.get("/oauth2.0/me", url.Values{"access_token": {tok}, "unionid": {"1"}}); !strings.Contains(r.body, unionid10001) {
		t.Errorf("re-allowed = %q", r.body)
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	e := newEnv(t)
	tok := e.accessToken("10001")
	ui := url.Values{"access_token": {tok}, "oauth_consumer_key": {appID}, "openid": {openid10001}}
	e.clk.Advance(tokenExpiresIn*time.Second - time.Second)
	if r := e.get("/oauth2.0/me", url.Values{"access_token": {tok}}); !strings.Contains(r.body, openid10001) {
		t.Errorf("token dead before expires_in: %q", r.body)
	}
	if info := userInfoMap(t, e.get("/user/get_user_info", ui)); info["ret"] != float64(0) {
		t.Errorf("get_user_info before expiry: %v", info)
	}
	e.clk.Advance(time.Second)
	checkOAuthError(t, e.get("/oauth2.0/me", url.Values{"access_token": {tok}}), false, 100016, "access token check failed")
	if r := e.get("/user/get_user_info", ui); r.body != `{"ret":1002,"msg":"请先登录"}` {
		t.Errorf("get_user_info after expiry = %q", r.body)
	}
}

func userInfoMap(t *testing.T, r reply) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("get_user_info is not JSON: %v: %q", err, r.body)
	}
	return m
}

func TestGetUserInfo(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sb.AddIdentity("10001", "<b>企鹅</b>"); err != nil {
		t.Fatal(err)
	}
	tok := e.accessToken("10001")
	other := e.accessToken("10002")

	r := e.get("/user/get_user_info", url.Values{"access_token": {tok}, "oauth_consumer_key": {appID}, "openid": {openid10001}})
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" || r.status != 200 {
		t.Errorf("status %d Content-Type %q", r.status, ct)
	}
	if !strings.HasPrefix(r.body, `{"ret":0,"msg":"","is_lost":0,"nickname":`) {
		t.Errorf("field order differs from QQ: %q", r.body)
	}
	if !strings.Contains(r.body, `http:\/\/`) {
		t.Errorf("slashes not escaped as QQ does: %q", r.body)
	}
	info := userInfoMap(t, r)
	avatar := e.srv.URL + prefix + "/avatar/" + openid10001 + "/"
	for k, want := range map[string]any{
		"ret": float64(0), "msg": "", "is_lost": float64(0), "nickname": "<b>企鹅</b>", "gender": "男",
		"figureurl": avatar + "30", "figureurl_1": avatar + "50", "figureurl_2": avatar + "100",
		"figureurl_qq_1": avatar + "40", "figureurl_qq_2": avatar + "100", "figureurl_qq": avatar + "100",
		"figureurl_type": "1", "is_yellow_vip": "0", "vip": "0", "yellow_vip_level": "0", "level": "0", "is_yellow_year_vip": "0",
	} {
		if info[k] != want {
			t.Errorf("%s = %#v, want %#v", k, info[k], want)
		}
	}
	// The avatar URL works and is an SVG.
	resp, err := http.Get(avatar + "40")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("avatar: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	tests := []struct {
		name string
		q    url.Values
		want string
	}{
		{"access_token missing", url.Values{"oauth_consumer_key": {appID}, "openid": {openid10001}}, `{"ret":-1,"msg":"client request's parameters are invalid, invalid access_token"}`},
		{"consumer key missing", url.Values{"access_token": {tok}, "openid": {openid10001}}, `{"ret":-1,"msg":"client request's parameters are invalid, invalid oauth_consumer_key"}`},
		{"openid missing", url.Values{"access_token": {tok}, "oauth_consumer_key": {appID}}, `{"ret":-1,"msg":"client request's parameters are invalid, invalid openid"}`},
		{"token unknown", url.Values{"access_token": {strings.Repeat("A", 32)}, "oauth_consumer_key": {appID}, "openid": {openid10001}}, `{"ret":1002,"msg":"请先登录"}`},
		{"token malformed", url.Values{"access_token": {"x"}, "oauth_consumer_key": {appID}, "openid": {openid10001}}, `{"ret":1002,"msg":"请先登录"}`},
		{"another user's openid", url.Values{"access_token": {other}, "oauth_consumer_key": {appID}, "openid": {openid10001}}, `{"ret":100050,"msg":"openid is invalid, openid and appid do not match"}`},
		{"same user, other app's openid", url.Values{"access_token": {tok}, "oauth_consumer_key": {appID}, "openid": {OpenID(app2ID, "10001")}}, `{"ret":100050,"msg":"openid is invalid, openid and appid do not match"}`},
		{"other app's consumer key", url.Values{"access_token": {tok}, "oauth_consumer_key": {app2ID}, "openid": {openid10001}}, `{"ret":100050,"msg":"openid is invalid, openid and appid do not match"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get("/user/get_user_info", tc.q)
			if r.body != tc.want || r.status != 200 {
				t.Errorf("got %d %q, want %q", r.status, r.body, tc.want)
			}
		})
	}
}

func TestFailNext(t *testing.T) {
	e := newEnv(t)
	tok := e.accessToken("10001")
	ui := url.Values{"access_token": {tok}, "oauth_consumer_key": {appID}, "openid": {openid10001}}

	t.Run("token keeps the code", func(t *testing.T) {
		code := e.code(appID, cbPlain, "10001")
		e.sb.FailNext("token", 110405)
		checkOAuthError(t, e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, cbPlain)), false, 110405, describe(110405))
		if r := e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, cbPlain)); !formTokenBodyRE.MatchString(r.body) {
			t.Errorf("after the injected failure: %q", r.body)
		}
	})
	t.Run("me json, queued twice", func(t *testing.T) {
		e.sb.FailNext("me", 100016)
		e.sb.FailNext("me", 100032)
		q := url.Values{"access_token": {tok}, "fmt": {"json"}}
		checkOAuthError(t, e.get("/oauth2.0/me", q), true, 100016, "access token check failed")
		checkOAuthError(t, e.get("/oauth2.0/me", q), true, 100032, describe(100032))
		if r := e.get("/oauth2.0/me", q); !strings.Contains(r.body, openid10001) {
			t.Errorf("third call still failing: %q", r.body)
		}
	})
	t.Run("get_user_info", func(t *testing.T) {
		e.sb.FailNext("get_user_info", 100030)
		if r := e.get("/user/get_user_info", ui); r.body != `{"ret":100030,"msg":"user has not authorized this api"}` {
			t.Errorf("injected = %q", r.body)
		}
		if info := userInfoMap(t, e.get("/user/get_user_info", ui)); info["ret"] != float64(0) {
			t.Errorf("second call = %v", info)
		}
	})
	t.Run("unknown endpoint panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		e.sb.FailNext("authorize", 1)
	})
}

func TestRoutes(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/", "/oauth2.0/authorize/", "/oauth2.0/show", "/user/get_info"} {
		r := e.get(p, nil)
		if r.status != http.StatusNotFound || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: status %d, Cache-Control %q", p, r.status, r.header.Get("Cache-Control"))
		}
	}
	resp, err := http.Get(e.srv.URL + "/oauth2.0/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unprefixed path: %d", resp.StatusCode)
	}
}

// TestLogsKeepSecrets runs the whole flow and checks that no secret, code,
// token, state or form token reached the log, while the log is not empty.
func TestLogsKeepSecrets(t *testing.T) {
	e := newEnv(t)
	state := "STATE-SECRET-123"
	tok, _ := e.openLoginPage(authorizeQuery(appID, cbPlain, state))
	r := postLogin(e, url.Values{"form_token": {tok}, "action": {"login"}, "identity": {"10001"}})
	u, _ := url.Parse(r.header.Get("Location"))
	code := u.Query().Get("code")
	q := tokenQuery(appID, appKey, code, cbPlain)
	q.Set("fmt", "json")
	var tr struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(e.get("/oauth2.0/token", q).body), &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token: %v", err)
	}
	e.get("/oauth2.0/token", q) // reuse, logged as refused
	e.get("/oauth2.0/token", tokenQuery(appID, "wrong-secret", code, cbPlain))
	e.get("/oauth2.0/me", url.Values{"access_token": {tr.AccessToken}})

	logs := e.logs.String()
	if !strings.Contains(logs, "sandbox issued access token") {
		t.Fatalf("expected log lines, got:\n%s", logs)
	}
	for name, secret := range map[string]string{
		"appkey": appKey, "wrong secret": "wrong-secret", "code": code, "access token": tr.AccessToken,
		"refresh token": tr.RefreshToken, "state": state, "form token": tok,
	} {
		if secret == "" || strings.Contains(logs, secret) {
			t.Errorf("log contains the %s (%q)", name, secret)
		}
	}
}

// TestAvatarURLBehindProxy (issue 11 #8): behind a proxy whose Host header
// lacks the port (nginx's $host) and whose scheme is its own, the avatar
// URLs use the configured public origin, port and scheme included.
func TestAvatarURLBehindProxy(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sb.AddIdentity("10001", "企鹅"); err != nil {
		t.Fatal(err)
	}
	tok := e.accessToken("10001")
	origin, ok := publicOrigin("https://bbs.example.com:8443/forum/")
	if !ok {
		t.Fatal("public origin refused")
	}
	e.sb.publicOrigin = origin
	req := httptest.NewRequest(http.MethodGet, prefix+"/user/get_user_info?"+url.Values{"access_token": {tok}, "oauth_consumer_key": {appID}, "openid": {openid10001}}.Encode(), nil)
	req.Host = "bbs.example.com"
	rec := httptest.NewRecorder()
	e.sb.ServeHTTP(rec, req)
	info := userInfoMap(t, reply{status: rec.Code, header: rec.Header(), body: rec.Body.String()})
	if want := "https://bbs.example.com:8443" + prefix + "/avatar/" + openid10001 + "/40"; info["figureurl_qq_1"] != want {
		t.Fatalf("figureurl_qq_1 = %v, want %s", info["figureurl_qq_1"], want)
	}
}
