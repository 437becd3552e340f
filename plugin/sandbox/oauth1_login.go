package sandbox

// The browser half of the OAuth 1.0 emulation: the authorize step, the
// sandbox's login page and its form.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// o1CallbackRegistered reports whether callback has the scheme, host, port
// and path of one of the app's registered callbacks, byte for byte; only the
// query may differ (the legacy flow put the referer there).
func o1CallbackRegistered(app App, callback string) bool {
	if strings.Contains(callback, "#") {
		return false
	}
	u, err := url.Parse(callback)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false
	}
	base, _, _ := strings.Cut(callback, "?")
	for _, reg := range app.RedirectURIs {
		if !registered(App{RedirectURIs: []string{reg}}, reg) { // same sanity rules as OAuth 2.0
			continue
		}
		if regBase, _, _ := strings.Cut(reg, "?"); regBase == base {
			return true
		}
	}
	return false
}

// o1CheckAuthorize applies the authorize-time rules, shared by the page and
// AuthorizeOAuth1.
func (s *Sandbox) o1CheckAuthorize(ctx context.Context, consumerKey, token, callback string) (App, *Error) {
	if consumerKey == "" {
		return App{}, o1ParamErr("oauth_consumer_key")
	}
	app, ok, err := s.findApp(ctx, consumerKey)
	if err != nil {
		s.log.Error("sandbox cannot load apps", "err", err)
		return App{}, o1Err(o1ErrSystem)
	}
	if !ok {
		return App{}, o1Err(o1ErrConsumer)
	}
	if token == "" {
		return app, o1ParamErr("oauth_token")
	}
	now := s.now()
	s.mu.Lock()
	_, e := s.o1RequestStateLocked(token, app.AppID, now)
	s.mu.Unlock()
	if e != nil {
		return app, e
	}
	if callback == "" {
		return app, o1ParamErr("oauth_callback")
	}
	if !o1CallbackRegistered(app, callback) {
		return app, o1Err(o1ErrCallback)
	}
	return app, nil
}

// AuthorizeOAuth1 does what the OAuth 1.0 login page does when the user picks
// the identity with QQ number qq and consents: the same checks, and it returns
// the URL the browser is sent to, oauth_callback plus
// oauth_token, openid, oauth_signature, timestamp and oauth_vericode. Errors
// are *Error (the sandbox's 30xx codes) or ErrNoIdentity.
func (s *Sandbox) AuthorizeOAuth1(ctx context.Context, consumerKey, requestToken, callback, qq string) (callbackURL string, err error) {
	return s.authorizeOAuth1(ctx, consumerKey, requestToken, callback, qq)
}

func (s *Sandbox) authorizeOAuth1(ctx context.Context, consumerKey, token, callback, qq string) (string, error) {
	app, e := s.o1CheckAuthorize(ctx, consumerKey, token, callback)
	if e != nil {
		return "", e
	}
	if _, ok := s.identity(qq); !ok {
		return "", ErrNoIdentity
	}
	verifier, err := s.randHex(8)
	if err != nil {
		return "", err
	}
	openid := OpenID(app.AppID, qq)
	now := s.now()
	s.mu.Lock()
	t, e := s.o1RequestStateLocked(token, app.AppID, now) // again: two consents may race
	if e == nil {
		t.authorized, t.qq, t.verifier = true, qq, verifier
		s.openids[openid] = qq
	}
	s.mu.Unlock()
	if e != nil {
		return "", e
	}
	s.log.Info("sandbox oauth1 authorized", "appid", app.AppID, "openid", openid)
	ts := strconv.FormatInt(now.Unix(), 10)
	sep := "?"
	if i := strings.IndexByte(callback, '?'); i >= 0 {
		sep = "&"
		if i == len(callback)-1 || strings.HasSuffix(callback, "&") {
			sep = ""
		}
	}
	return callback + sep + "oauth_token=" + o1Encode(token) + "&openid=" + openid +
		"&oauth_signature=" + o1Encode(o1OpenIDSignature(app.AppKey, openid, ts)) +
		"&timestamp=" + ts + "&oauth_vericode=" + verifier, nil
}

// handleO1Authorize validates the authorize request and shows the login page.
func (s *Sandbox) handleO1Authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ck, token, callback := q.Get("oauth_consumer_key"), q.Get("oauth_token"), q.Get("oauth_callback")
	app, e := s.o1CheckAuthorize(r.Context(), ck, token, callback)
	if e != nil {
		s.renderO1Error(w, e, callback, app)
		return
	}
	formToken, err := s.randHex(16)
	if err != nil {
		s.log.Error("sandbox form token", "err", err)
		s.renderO1Error(w, err, "", App{})
		return
	}
	now := s.now()
	p := &o1Pending{appID: app.AppID, token: token, callback: callback, expires: now.Add(pendingTTL)}
	s.mu.Lock()
	ok := pruneLocked(s.o1.pending, maxPending, func(p *o1Pending) bool { return !now.Before(p.expires) })
	if ok {
		s.o1.pending[formToken] = p
	}
	s.mu.Unlock()
	if !ok {
		s.renderO1Error(w, errFull, "", App{})
		return
	}
	s.renderO1Login(w, http.StatusOK, formToken, p, loginForm{})
}

// handleO1Login receives the login form of the OAuth 1.0 page; like
// handleLogin, everything but the identity comes from the server side.
func (s *Sandbox) handleO1Login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, http.StatusBadRequest, false, errBadForm, "", nil)
		return
	}
	formToken := r.PostForm.Get("form_token")
	now := s.now()
	s.mu.Lock()
	p := s.o1.pending[formToken]
	if p != nil && !now.Before(p.expires) {
		delete(s.o1.pending, formToken)
		p = nil
	}
	s.mu.Unlock()
	if p == nil {
		s.renderError(w, http.StatusBadRequest, false, errFormExpired, "", nil)
		return
	}
	switch r.PostForm.Get("action") {
	case "cancel":
		s.takeO1Pending(formToken, p)
		s.log.Info("sandbox oauth1 login cancelled", "appid", p.appID)
		s.renderError(w, http.StatusOK, false, errCancelled, "", nil)
		return
	case "login":
	default:
		s.renderError(w, http.StatusBadRequest, false, errBadForm, "", nil)
		return
	}
	qq, f, ok := s.chosenIdentity(r)
	if !ok {
		s.renderO1Login(w, http.StatusBadRequest, formToken, p, f)
		return
	}
	if !s.takeO1Pending(formToken, p) {
		s.renderError(w, http.StatusBadRequest, false, errFormExpired, "", nil)
		return
	}
	// authorizeOAuth1 re-checks app, token and callback: time has passed.
	loc, err := s.authorizeOAuth1(r.Context(), p.appID, p.token, p.callback, qq)
	if err != nil {
		s.renderO1Error(w, err, p.callback, App{})
		return
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
}

func (s *Sandbox) takeO1Pending(formToken string, p *o1Pending) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.o1.pending[formToken] != p {
		return false
	}
	delete(s.o1.pending, formToken)
	return true
}

// renderO1Login shows the shared login page, posting to the OAuth 1.0 form.
func (s *Sandbox) renderO1Login(w http.ResponseWriter, status int, formToken string, p *o1Pending, f loginForm) {
	ids := s.Identities()
	page := loginPage{
		Action:      s.prefix + "/oauth/qzoneoauth_login",
		FormToken:   formToken,
		AppID:       p.appID,
		RedirectURI: p.callback,
		Scope:       "get_user_info (Qzone OAuth 1.0)",
		NewChecked:  f.choice == "new" || len(ids) == 0,
		NewQQ:       f.qq,
		NewNickname: f.nickname,
		ErrorZh:     f.errZh,
		ErrorEn:     f.errEn,
	}
	s.mu.Lock()
	for i, id := range ids {
		openid := OpenID(p.appID, id.QQ)
		s.openids[openid] = id.QQ
		page.Identities = append(page.Identities, identityView{
			QQ: id.QQ, Nickname: id.Nickname, Checked: f.choice == id.QQ || (f.choice == "" && i == 0),
			Avatar: s.prefix + "/avatar/" + openid + "/40",
		})
	}
	s.mu.Unlock()
	for i, c := range AvatarColors() {
		page.Colors = append(page.Colors, colorView{Name: c, Checked: f.color == c || (f.color == "" && i == 0)})
	}
	s.render(w, status, "sandbox_login.html", page)
}

// renderO1Error shows the sandbox error page for an OAuth 1.0 authorize
// failure; never a redirect. app, when known, lists its callbacks on 3013.
func (s *Sandbox) renderO1Error(w http.ResponseWriter, err error, got string, app App) {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		status := errStatus(err)
		s.renderError(w, status, false, err, "", nil)
		return
	}
	p := errorPage{Heading: fmt.Sprintf("%s(%d)", e.Description, e.Code)}
	status := http.StatusBadRequest
	switch e.Code {
	case o1ErrParam:
		p.Zh, p.En = "缺少 oauth_consumer_key、oauth_token 或 oauth_callback。", "oauth_consumer_key, oauth_token or oauth_callback is missing."
	case o1ErrConsumer:
		p.Zh, p.En = "应用不存在：oauth_consumer_key 与沙箱中配置的 AppID 不一致。", "The app does not exist: oauth_consumer_key does not match the AppID configured for the sandbox."
	case o1ErrToken:
		p.Zh, p.En = "oauth_token 无效：它不是沙箱为该应用签发的 request token。", "oauth_token is not a request token the sandbox issued to this app."
	case o1ErrExpired:
		p.Zh, p.En = "oauth_token 已过期（10 分钟），请回到网站重新点击 QQ 登录。", "oauth_token has expired (10 minutes); go back to the site and click QQ login again."
	case o1ErrUsed:
		p.Zh, p.En = "oauth_token 已经授权过，请回到网站重新点击 QQ 登录。", "oauth_token was already authorized; go back to the site and click QQ login again."
	case o1ErrCallback:
		p.Zh = "oauth_callback 的协议、主机、端口和路径必须与应用登记的某个回调地址逐字节相同（查询串可以不同）。"
		p.En = "oauth_callback must have the scheme, host, port and path of one of the app's registered callbacks, byte for byte (the query may differ)."
		p.Got, p.Registered = got, app.RedirectURIs
	case o1ErrSystem:
		status = http.StatusInternalServerError
		p.Zh, p.En = "沙箱内部错误，请查看服务日志。", "Internal sandbox error; see the service log."
	default:
		p.Zh, p.En = "授权失败。", "Authorization failed."
	}
	s.render(w, status, "sandbox_error.html", p)
}
