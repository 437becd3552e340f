package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestAuthorizePageErrors(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("s", maxStateBytes-len(cbPlain)+1)
	tests := []struct {
		name   string
		edit   func(url.Values)
		status int
		want   []string
	}{
		{"response_type missing", func(q url.Values) { q.Del("response_type") }, 400, []string{"param response_type is wrong or lost (100000)"}},
		{"response_type token", func(q url.Values) { q.Set("response_type", "token") }, 400, []string{"(100000)"}},
		{"client_id missing", func(q url.Values) { q.Del("client_id") }, 400, []string{"param client_id is wrong or lost (100001)"}},
		{"client_id unknown", func(q url.Values) { q.Set("client_id", "999") }, 400, []string{"(100008)", "110401"}},
		{"redirect_uri missing", func(q url.Values) { q.Del("redirect_uri") }, 400, []string{"redirect uri is illegal(100010)"}},
		{"trailing slash", func(q url.Values) { q.Set("redirect_uri", cbPlain+"/") }, 400, []string{"redirect uri is illegal(100010)", "通知: QQ互联加强网站应用回调地址校验"}},
		{"extra port", func(q url.Values) { q.Set("redirect_uri", "https://forum.example.com:8443/qq/callback") }, 400, []string{"redirect uri is illegal(100010)"}},
		{"explicit default port", func(q url.Values) { q.Set("redirect_uri", "https://forum.example.com:443/qq/callback") }, 400, []string{"redirect uri is illegal(100010)"}},
		{"http instead of https", func(q url.Values) { q.Set("redirect_uri", "http://forum.example.com/qq/callback") }, 400, []string{"redirect uri is illegal(100010)"}},
		{"host case", func(q url.Values) { q.Set("redirect_uri", "https://Forum.example.com/qq/callback") }, 400, []string{"redirect uri is illegal(100010)"}},
		{"other subdomain", func(q url.Values) { q.Set("redirect_uri", "https://bbs.forum.example.com/qq/callback") }, 400, []string{"redirect uri is illegal(100010)"}},
		{"query encoded differently", func(q url.Values) {
			q.Set("redirect_uri", "https://forum.example.com/plugin.php?id=qqconnect%3Acallback")
		}, 400, []string{"redirect uri is illegal(100010)"}},
		{"another app's callback", func(q url.Values) { q.Set("redirect_uri", cbApp2) }, 400, []string{"redirect uri is illegal(100010)"}},
		{"state missing", func(q url.Values) { q.Del("state") }, 400, []string{"state is missing"}},
		{"state too long", func(q url.Values) { q.Set("state", long) }, 400, []string{"500"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := authorizeQuery(appID, cbPlain, "abc")
			tc.edit(q)
			r := e.get("/oauth2.0/authorize", q)
			if r.status != tc.status {
				t.Errorf("status = %d, want %d", r.status, tc.status)
			}
			if loc := r.header.Get("Location"); loc != "" {
				t.Errorf("error page must not redirect, Location = %q", loc)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("body lacks %q:\n%s", w, r.body)
				}
			}
			if strings.Contains(r.body, `name="form_token"`) {
				t.Error("error page offers a login form")
			}
			checkPageHeaders(t, r)
		})
	}
	// Exactly at the limit is still fine.
	q := authorizeQuery(appID, cbPlain, long[1:])
	if r := e.get("/oauth2.0/authorize", q); r.status != http.StatusOK {
		t.Errorf("state at 500 bytes: status %d", r.status)
	}
}

func TestAuthorizeAppsUnavailable(t *testing.T) {
	e := newEnv(t)
	e.apps.set(nil, errors.New("db down"))
	r := e.get("/oauth2.0/authorize", authorizeQuery(appID, cbPlain, "abc"))
	if r.status != http.StatusInternalServerError || !strings.Contains(r.body, "(100017)") {
		t.Errorf("got %d %q", r.status, r.body)
	}
}

func checkPageHeaders(t *testing.T, r reply) {
	t.Helper()
	for k, want := range map[string]string{
		"Cache-Control":   "no-store",
		"Referrer-Policy": "no-referrer",
		"Content-Type":    "text/html; charset=utf-8",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	for _, w := range []string{
		"<title>", "QQ 登录沙箱 — 这不是 QQ", "QQ login sandbox — this is not QQ", `name="viewport"`,
	} {
		if !strings.Contains(r.body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if title := regexp.MustCompile(`<title>(.*)</title>`).FindStringSubmatch(r.body); title == nil ||
		!strings.Contains(title[1], "这不是 QQ") || !strings.Contains(title[1], "this is not QQ") {
		t.Errorf("title does not say it is not QQ: %v", title)
	}
	if strings.Contains(strings.ToLower(r.body), "<script") {
		t.Error("page contains a script element")
	}
}

func TestLoginPage(t *testing.T) {
	e := newEnv(t)
	tok, r := e.openLoginPage(authorizeQuery(appID, cbPlain, "abc"))
	checkPageHeaders(t, r)
	for _, w := range []string{
		appID, "沙箱企鹅", "小企鹅 🐧", "QQ 10001", "QQ 10002", `class="pc"`,
		prefix + "/oauth2.0/login", prefix + "/avatar/" + openid10001 + "/40",
		"取消 / Cancel", `value="new">`, `value="10001" checked`, `value="blue" checked`,
	} {
		if !strings.Contains(r.body, w) {
			t.Errorf("login page lacks %q", w)
		}
	}
	if strings.Contains(r.body, `class="mobile"`) {
		t.Error("PC request got the mobile layout")
	}
	if strings.Contains(r.body, `name="client_id"`) || strings.Contains(r.body, `name="redirect_uri"`) || strings.Contains(r.body, `name="state"`) {
		t.Error("authorize parameters must stay server-side, not in hidden fields")
	}
	tok2, _ := e.openLoginPage(authorizeQuery(appID, cbPlain, "abc"))
	if tok == tok2 {
		t.Error("form tokens repeat across pages")
	}

	q := authorizeQuery(appID, cbPlain, "abc")
	q.Set("display", "mobile")
	_, r = e.openLoginPage(q)
	if !strings.Contains(r.body, `class="mobile"`) {
		t.Error("display=mobile did not select the phone layout")
	}
}

func TestPagesEscapeEverything(t *testing.T) {
	e := newEnv(t)
	for qq, n := range map[string]string{
		"20001": "<script>alert(1)</script>",
		"20002": `<b>企鹅</b>`,
		"20003": `"><img src=x onerror=alert(1)>`,
	} {
		if _, err := e.sb.AddIdentity(qq, n); err != nil {
			t.Fatal(err)
		}
	}
	_, r := e.openLoginPage(authorizeQuery(appID, cbPlain, "abc"))
	for _, bad := range []string{"<script>alert(1)", "<b>企鹅", "<img src=x"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("login page contains unescaped %q", bad)
		}
	}
	for _, good := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;企鹅&lt;/b&gt;"} {
		if !strings.Contains(r.body, good) {
			t.Errorf("login page lacks escaped %q", good)
		}
	}

	// The received redirect_uri is echoed on the 100010 page, escaped.
	r = e.get("/oauth2.0/authorize", authorizeQuery(appID, `https://x.example/"><script>alert(2)</script>`, "abc"))
	if strings.Contains(r.body, "<script>alert(2)") || !strings.Contains(r.body, "&lt;script&gt;alert(2)") {
		t.Errorf("error page echo not escaped:\n%s", r.body)
	}
}

func postLogin(e *env, v url.Values) reply { return e.do(http.MethodPost, "/oauth2.0/login", v) }

func TestBrowserFlow(t *testing.T) {
	state := "s t&a=t/é+%?#"
	tests := []struct {
		name, cb, sep string
	}{
		{"plain callback", cbPlain, "?"},
		{"callback with query", cbQuery, "&"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tok, _ := e.openLoginPage(authorizeQuery(appID, tc.cb, state))
			form := url.Values{
				"form_token": {tok}, "action": {"login"}, "identity": {"10001"},
				// Tampering: none of these may matter.
				"client_id": {app2ID}, "redirect_uri": {"https://evil.example/"}, "state": {"evil"},
			}
			r := postLogin(e, form)
			if r.status != http.StatusFound {
				t.Fatalf("login POST: status %d, body %s", r.status, r.body)
			}
			if r.header.Get("Set-Cookie") != "" {
				t.Error("the sandbox set a cookie")
			}
			loc := r.header.Get("Location")
			if !strings.HasPrefix(loc, tc.cb+tc.sep+"code=") {
				t.Fatalf("Location = %q, want prefix %q", loc, tc.cb+tc.sep+"code=")
			}
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			code := u.Query().Get("code")
			if !regexp.MustCompile(`^[0-9A-F]{32}$`).MatchString(code) {
				t.Errorf("code %q is not 32 upper-hex characters", code)
			}
			if got := u.Query().Get("state"); got != state {
				t.Errorf("state = %q, want %q echoed exactly", got, state)
			}
			if tc.cb == cbQuery && u.Query().Get("id") != "qqconnect:callback" {
				t.Errorf("callback's own query lost: %q", loc)
			}

			// The form is single use.
			if r := postLogin(e, form); r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
				t.Errorf("replayed form: status %d, Location %q", r.status, r.header.Get("Location"))
			}

			// The code works at the token endpoint with the same redirect_uri.
			tr := e.get("/oauth2.0/token", tokenQuery(appID, appKey, code, tc.cb))
			m := formTokenBodyRE.FindStringSubmatch(tr.body)
			if m == nil {
				t.Fatalf("token: %q", tr.body)
			}
			me := e.get("/oauth2.0/me", url.Values{"access_token": {m[1]}})
			if want := jsonp(`{"client_id":"` + appID + `","openid":"` + openid10001 + `"}`); me.body != want {
				t.Errorf("/me = %q, want %q", me.body, want)
			}
		})
	}
}

func TestLoginCreatesIdentity(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.openLoginPage(authorizeQuery(appID, cbPlain, "abc"))
	r := postLogin(e, url.Values{
		"form_token": {tok}, "action": {"login"}, "identity": {"new"},
		"new_qq": {"123456"}, "new_nickname": {"<b>企鹅</b>"}, "new_color": {"green"},
	})
	if r.status != http.StatusFound {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var found *Identity
	for _, id := range e.sb.Identities() {
		if id.QQ == "123456" {
			found = &id
		}
	}
	if found == nil || found.Nickname != "<b>企鹅</b>" || found.Color != "green" {
		t.Fatalf("identity = %+v", found)
	}
	u, _ := url.Parse(r.header.Get("Location"))
	tr := e.get("/oauth2.0/token", tokenQuery(appID, appKey, u.Query().Get("code"), cbPlain))
	m := formTokenBodyRE.FindStringSubmatch(tr.body)
	if m == nil {
		t.Fatalf("token: %q", tr.body)
	}
	info := userInfoMap(t, e.get("/user/get_user_info", url.Values{
		"access_token": {m[1]}, "oauth_consumer_key": {appID}, "openid": {OpenID(appID, "123456")},
	}))
	if info["nickname"] != "<b>企鹅</b>" {
		t.Errorf("nickname = %q", info["nickname"])
	}
}

func TestLoginFormValidation(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"qq too short", url.Values{"identity": {"new"}, "new_qq": {"1234"}, "new_nickname": {"a"}}, "5 到 11 位数字"},
		{"qq too long", url.Values{"identity": {"new"}, "new_qq": {"123456789012"}, "new_nickname": {"a"}}, "5 到 11 位数字"},
		{"qq leading zero", url.Values{"identity": {"new"}, "new_qq": {"012345"}, "new_nickname": {"a"}}, "5 到 11 位数字"},
		{"qq not digits", url.Values{"identity": {"new"}, "new_qq": {"12a456"}, "new_nickname": {"a"}}, "5 到 11 位数字"},
		{"nickname empty", url.Values{"identity": {"new"}, "new_qq": {"123456"}, "new_nickname": {"  "}}, "昵称"},
		{"nickname too long", url.Values{"identity": {"new"}, "new_qq": {"123456"}, "new_nickname": {strings.Repeat("企", 41)}}, "昵称"},
		{"nickname control char", url.Values{"identity": {"new"}, "new_qq": {"123456"}, "new_nickname": {"a\x00b"}}, "昵称"},
		{"unknown colour", url.Values{"identity": {"new"}, "new_qq": {"123456"}, "new_nickname": {"a"}, "new_color": {"red;}body{"}}, "头像颜色"},
		{"unknown identity", url.Values{"identity": {"99999"}}, "请选择"},
		{"no identity", url.Values{}, "请选择"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			q := authorizeQuery(appID, cbPlain, "abc")
			q.Set("display", "mobile")
			tok, _ := e.openLoginPage(q)
			tc.form.Set("form_token", tok)
			tc.form.Set("action", "login")
			r := postLogin(e, tc.form)
			if r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q", r.status, r.header.Get("Location"))
			}
			alert := regexp.MustCompile(`role="alert">([^<]*)`).FindStringSubmatch(r.body)
			if alert == nil || !strings.Contains(alert[1], tc.want) {
				t.Errorf("alert = %q, want it to mention %q", alert, tc.want)
			}
			if !strings.Contains(r.body, `value="`+tok+`"`) || !strings.Contains(r.body, `class="mobile"`) {
				t.Error("re-rendered form lost its token or layout")
			}
			if tc.form.Get("identity") == "new" {
				if !strings.Contains(r.body, `value="new" checked`) || !strings.Contains(r.body, `name="new_qq" value="`+tc.form.Get("new_qq")+`"`) {
					t.Error("re-rendered form lost the user's input")
				}
			}
			if len(e.sb.Identities()) != 2 {
				t.Errorf("invalid input created an identity: %+v", e.sb.Identities())
			}
			// The same form still works once corrected.
			r = postLogin(e, url.Values{"form_token": {tok}, "action": {"login"}, "identity": {"10002"}})
			if r.status != http.StatusFound {
				t.Errorf("corrected form: status %d", r.status)
			}
		})
	}
}

func TestLoginFormTokenRules(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.openLoginPage(authorizeQuery(appID, cbPlain, "abc"))
	cases := []struct {
		name string
		form url.Values
		want int
	}{
		{"no token", url.Values{"action": {"login"}, "identity": {"10001"}}, 400},
		{"unknown token", url.Values{"form_token": {strings.Repeat("A", 32)}, "action": {"login"}, "identity": {"10001"}}, 400},
		{"lower-cased token", url.Values{"form_token": {strings.ToLower(tok)}, "action": {"login"}, "identity": {"10001"}}, 400},
		{"no action", url.Values{"form_token": {tok}, "identity": {"10001"}}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := postLogin(e, tc.form)
			if r.status != tc.want || r.header.Get("Location") != "" {
				t.Errorf("status %d Location %q", r.status, r.header.Get("Location"))
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		tok, _ := e.openLoginPage(authorizeQuery(appID, cbPlain, "abc"))
		e.clk.Advance(pendingTTL)
		r := postLogin(e, url.Values{"form_token": {tok}, "action": {"login"}, "identity": {"10001"}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "已失效") {
			t.Errorf("status %d", r.status)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		tok, _ := e.openLoginPage(authorizeQuery(appID, cbPlain, "abc"))
		r := postLogin(e, url.Values{"form_token": {tok}, "action": {"cancel"}})
		if r.status != http.StatusOK || r.header.Get("Location") != "" ||
			!strings.Contains(r.body, "你已取消") || !strings.Contains(r.body, "You cancelled") {
			t.Errorf("cancel: status %d Location %q body %s", r.status, r.header.Get("Location"), r.body)
		}
		checkPageHeaders(t, r)
		if r := postLogin(e, url.Values{"form_token": {tok}, "action": {"login"}, "identity": {"10001"}}); r.status != http.StatusBadRequest {
			t.Errorf("form still usable after cancel: %d", r.status)
		}
	})

	t.Run("GET is not allowed", func(t *testing.T) {
		if r := e.get("/oauth2.0/login", url.Values{"form_token": {tok}}); r.status != http.StatusMethodNotAllowed {
			t.Errorf("status %d", r.status)
		}
	})
}

func TestLoginRechecksApp(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.openLoginPage(authorizeQuery(appID, cbQuery, "abc"))
	// The admin removes the callback while the user is on the login page.
	e.apps.set([]App{{AppID: appID, AppKey: appKey, RedirectURIs: []string{cbPlain}}}, nil)
	r := postLogin(e, url.Values{"form_token": {tok}, "action": {"login"}, "identity": {"10001"}})
	if r.status != http.StatusBadRequest || r.header.Get("Location") != "" || !strings.Contains(r.body, "(100010)") {
		t.Errorf("status %d Location %q", r.status, r.header.Get("Location"))
	}
}

func TestAuthorizeDirect(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tests := []struct {
		name                          string
		clientID, redirect, state, qq string
		code                          int
		sentinel                      error
	}{
		{"client_id missing", "", cbPlain, "s", "10001", 100001, nil},
		{"client_id unknown", "42", cbPlain, "s", "10001", 100008, nil},
		{"redirect trailing slash", appID, cbPlain + "/", "s", "10001", 100010, nil},
		{"redirect not http", appID, "javascript:alert(1)", "s", "10001", 100010, nil},
		{"state missing", appID, cbPlain, "", "10001", 0, ErrStateRequired},
		{"unknown identity", appID, cbPlain, "s", "99999", 0, ErrNoIdentity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, err := e.sb.Authorize(ctx, tc.clientID, tc.redirect, tc.state, tc.qq)
			if code != "" {
				t.Errorf("got a code on error")
			}
			if tc.sentinel != nil {
				if !errors.Is(err, tc.sentinel) {
					t.Errorf("err = %v, want %v", err, tc.sentinel)
				}
				return
			}
			qe, ok := errors.AsType[*Error](err)
			if !ok || qe.Code != tc.code {
				t.Errorf("err = %v, want QQ error %d", err, tc.code)
			}
		})
	}
	// Callbacks that could never receive a code never match, even when
	// registered by mistake.
	bad := []string{"javascript:alert(1)", "https://forum.example.com/cb#frag", "https://user@forum.example.com/cb", "/relative/cb", "ftp://forum.example.com/cb"}
	e.apps.set(append(defaultApps(), App{AppID: "777", AppKey: "k", RedirectURIs: bad}), nil)
	for _, cb := range bad {
		if _, err := e.sb.Authorize(ctx, "777", cb, "s", "10001"); err == nil {
			t.Errorf("registered %q was accepted", cb)
		}
	}

	code, err := e.sb.Authorize(ctx, appID, cbPlain, "s", "10002")
	if err != nil || !regexp.MustCompile(`^[0-9A-F]{32}$`).MatchString(code) {
		t.Errorf("Authorize = %q, %v", code, err)
	}
}

func TestRandomFailure(t *testing.T) {
	e := newEnvWith(t, errReader{})
	if r := e.get("/oauth2.0/authorize", authorizeQuery(appID, cbPlain, "abc")); r.status != http.StatusInternalServerError {
		t.Errorf("authorize page without entropy: %d", r.status)
	}
	if _, err := e.sb.Authorize(context.Background(), appID, cbPlain, "s", "10001"); err == nil {
		t.Error("Authorize without entropy succeeded")
	}
}
