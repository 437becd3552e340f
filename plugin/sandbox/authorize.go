package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Sandbox-only authorize failures. QQ documents state as required and the
// 500-byte limit, but no error code for them, so they have none here either.
var (
	ErrStateRequired = errors.New("sandbox: state is missing")
	ErrStateTooLong  = errors.New("sandbox: redirect_uri + state exceed 500 bytes")
	errFull          = errors.New("sandbox: too many pending logins, try again later")
)

// checkAuthorize applies QQ's authorize-time rules, shared by the login page
// and Authorize so that Go tests get exactly the page's validation.
func (s *Sandbox) checkAuthorize(ctx context.Context, clientID, redirectURI, state string) (App, error) {
	if clientID == "" {
		return App{}, qqErr(errClientIDLost)
	}
	app, ok, err := s.findApp(ctx, clientID)
	if err != nil {
		s.log.Error("sandbox cannot load apps", "err", err)
		return App{}, qqErr(errGetAppID)
	}
	if !ok {
		return App{}, qqErr(errNoApp)
	}
	if !registered(app, redirectURI) {
		return App{}, qqErr(errRedirectURI)
	}
	if state == "" {
		return App{}, ErrStateRequired
	}
	if len(redirectURI)+len(state) > maxStateBytes {
		return App{}, ErrStateTooLong
	}
	return app, nil
}

// registered reports whether redirectURI is byte-identical to one of the
// app's callbacks. A registered callback that is not an absolute http(s) URL
// without a fragment could never receive the code, so it never matches.
func registered(app App, redirectURI string) bool {
	if redirectURI == "" || strings.Contains(redirectURI, "#") {
		return false
	}
	u, err := url.Parse(redirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false
	}
	for _, r := range app.RedirectURIs {
		if r == redirectURI {
			return true
		}
	}
	return false
}

// Authorize does what the login page does when a user picks the identity with
// QQ number qq and clicks "authorize": the same checks, and the same code,
// without a browser. Errors are *Error (QQ codes), ErrStateRequired,
// ErrStateTooLong or ErrNoIdentity.
func (s *Sandbox) Authorize(ctx context.Context, clientID, redirectURI, state, qq string) (string, error) {
	return s.authorize(ctx, clientID, redirectURI, state, qq)
}

func (s *Sandbox) authorize(ctx context.Context, clientID, redirectURI, state, qq string) (string, error) {
	app, err := s.checkAuthorize(ctx, clientID, redirectURI, state)
	if err != nil {
		return "", err
	}
	if _, ok := s.identity(qq); !ok {
		return "", ErrNoIdentity
	}
	code, err := s.randHex(16)
	if err != nil {
		return "", err
	}
	openid := OpenID(app.AppID, qq)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !pruneLocked(s.codes, maxCodes, func(c *authCode) bool { return !now.Before(c.expires) }) {
		return "", errFull
	}
	s.codes[code] = &authCode{appID: app.AppID, redirectURI: redirectURI, qq: qq, expires: now.Add(codeTTL)}
	s.openids[openid] = qq
	s.log.Info("sandbox issued code", "appid", app.AppID, "openid", openid)
	return code, nil
}

// callbackURL appends code and state to the registered callback the way QQ
// does, keeping a query the callback already has.
func callbackURL(redirectURI, code, state string) string {
	sep := "?"
	if i := strings.IndexByte(redirectURI, '?'); i >= 0 {
		sep = "&"
		if i == len(redirectURI)-1 || strings.HasSuffix(redirectURI, "&") {
			sep = ""
		}
	}
	return redirectURI + sep + "code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(state)
}

// handleAuthorize validates an authorize request and shows the login page.
func (s *Sandbox) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	mobile := q.Get("display") == "mobile"
	if q.Get("response_type") != "code" {
		s.renderError(w, http.StatusBadRequest, mobile, qqErr(errResponseType), q.Get("redirect_uri"), nil)
		return
	}
	clientID, redirectURI, state := q.Get("client_id"), q.Get("redirect_uri"), q.Get("state")
	app, err := s.checkAuthorize(r.Context(), clientID, redirectURI, state)
	if err != nil {
		var reg []string
		if e, ok := errors.AsType[*Error](err); ok && e.Code == errRedirectURI {
			// Show the admin what is registered; callbacks are not secret
			// (every login URL carries one).
			if a, found, _ := s.findApp(r.Context(), clientID); found {
				reg = a.RedirectURIs
			}
		}
		s.renderError(w, errStatus(err), mobile, err, redirectURI, reg)
		return
	}
	scope := q.Get("scope")
	if scope == "" {
		scope = "get_user_info"
	}
	token, err := s.randHex(16)
	if err != nil {
		s.log.Error("sandbox form token", "err", err)
		s.renderError(w, http.StatusInternalServerError, mobile, err, "", nil)
		return
	}
	now := s.now()
	p := &pendingAuth{clientID: app.AppID, redirectURI: redirectURI, state: state, scope: scope, mobile: mobile, expires: now.Add(pendingTTL)}
	s.mu.Lock()
	ok := pruneLocked(s.pending, maxPending, func(p *pendingAuth) bool { return !now.Before(p.expires) })
	if ok {
		s.pending[token] = p
	}
	s.mu.Unlock()
	if !ok {
		s.renderError(w, http.StatusServiceUnavailable, mobile, errFull, "", nil)
		return
	}
	s.renderLogin(w, http.StatusOK, token, p, loginForm{})
}

// loginForm is what the user typed, re-shown after a validation error.
type loginForm struct {
	choice, qq, nickname, color string
	errZh, errEn                string
}

// handleLogin receives the login page's form. Everything about the
// authorization comes from the server-side pending entry named by the form
// token; the form only says who logs in.
func (s *Sandbox) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, http.StatusBadRequest, false, errBadForm, "", nil)
		return
	}
	token := r.PostForm.Get("form_token")
	now := s.now()
	s.mu.Lock()
	p := s.pending[token]
	if p != nil && !now.Before(p.expires) {
		delete(s.pending, token)
		p = nil
	}
	s.mu.Unlock()
	if p == nil {
		s.renderError(w, http.StatusBadRequest, false, errFormExpired, "", nil)
		return
	}

	switch r.PostForm.Get("action") {
	case "cancel":
		s.takePending(token, p)
		s.log.Info("sandbox login cancelled", "appid", p.clientID)
		s.renderError(w, http.StatusOK, p.mobile, errCancelled, "", nil)
		return
	case "login":
	default:
		s.renderError(w, http.StatusBadRequest, p.mobile, errBadForm, "", nil)
		return
	}

	qq, f, ok := s.chosenIdentity(r)
	if !ok {
		s.renderLogin(w, http.StatusBadRequest, token, p, f)
		return
	}

	// Consume the pending authorization before minting the code, so a
	// double-submitted form cannot produce two codes.
	if !s.takePending(token, p) {
		s.renderError(w, http.StatusBadRequest, p.mobile, errFormExpired, "", nil)
		return
	}
	// authorize re-checks the app: the admin may have changed it meanwhile.
	code, err := s.authorize(r.Context(), p.clientID, p.redirectURI, p.state, qq)
	if err != nil {
		s.renderError(w, errStatus(err), p.mobile, err, p.redirectURI, nil)
		return
	}
	w.Header().Set("Location", callbackURL(p.redirectURI, code, p.state))
	w.WriteHeader(http.StatusFound)
}

// takePending removes the pending entry if it is still the one we read.
// chosenIdentity reads the login page's identity choice (an existing QQ or a
// new one, created here). When it is unusable, f carries the message for
// the re-rendered page and ok is false.
func (s *Sandbox) chosenIdentity(r *http.Request) (qq string, f loginForm, ok bool) {
	f = loginForm{
		choice:   r.PostForm.Get("identity"),
		qq:       strings.TrimSpace(r.PostForm.Get("new_qq")),
		nickname: r.PostForm.Get("new_nickname"),
		color:    r.PostForm.Get("new_color"),
	}
	if f.choice == "new" {
		id, err := s.addIdentity(f.qq, f.nickname, f.color)
		if err != nil {
			f.errZh, f.errEn = identityErrorText(err)
			return "", f, false
		}
		return id.QQ, f, true
	}
	if _, found := s.identity(f.choice); !found {
		f.errZh, f.errEn = "请选择一个沙箱 QQ 身份，或新建一个。", "Pick a sandbox QQ identity or create one."
		return "", f, false
	}
	return f.choice, f, true
}

func (s *Sandbox) takePending(token string, p *pendingAuth) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[token] != p {
		return false
	}
	delete(s.pending, token)
	return true
}

func identityErrorText(err error) (zh, en string) {
	switch {
	case errors.Is(err, ErrBadQQ):
		return "QQ 号码必须是 5 到 11 位数字，且不能以 0 开头。", "The QQ number must be 5 to 11 digits and must not start with 0."
	case errors.Is(err, ErrBadNickname):
		return "昵称必须是 1 到 40 个可打印字符。", "The nickname must be 1 to 40 printable characters."
	case errors.Is(err, ErrBadColor):
		return "请选择一个头像颜色。", "Pick an avatar colour."
	case errors.Is(err, ErrTooMany):
		return "沙箱身份已达上限。", "The sandbox has too many identities."
	}
	return "无法创建身份。", "Cannot create the identity."
}

// Page-only conditions of the login form.
var (
	errBadForm     = errors.New("sandbox: malformed login form")
	errFormExpired = errors.New("sandbox: login form expired or already used")
	errCancelled   = errors.New("sandbox: login cancelled")
)

// errStatus picks the HTTP status of an error page: the browser user sees
// the page either way; the status helps tests and logs tell causes apart.
func errStatus(err error) int {
	if errors.Is(err, errFull) {
		return http.StatusServiceUnavailable
	}
	if e, ok := errors.AsType[*Error](err); ok {
		if e.Code == errGetAppID {
			return http.StatusInternalServerError
		}
		return http.StatusBadRequest
	}
	if errors.Is(err, ErrStateRequired) || errors.Is(err, ErrStateTooLong) || errors.Is(err, ErrNoIdentity) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// errorPage is the data of sandbox_error.html.
type errorPage struct {
	Heading    string // QQ's own wording, e.g. "redirect uri is illegal(100010)"
	Notice     string
	Zh, En     string
	Got        string   // the redirect_uri received, for the admin
	Registered []string // the app's registered callbacks, on 100010
	Mobile     bool
	Cancelled  bool
}

func errorPageFor(err error) errorPage {
	if e, ok := errors.AsType[*Error](err); ok {
		p := errorPage{Heading: fmt.Sprintf("%s(%d)", e.Description, e.Code)}
		switch e.Code {
		case errResponseType:
			p.Zh, p.En = "response_type 必须是 code（沙箱只模拟服务端的授权码模式）。", "response_type must be code (the sandbox emulates the server-side code flow only)."
		case errClientIDLost:
			p.Zh, p.En = "缺少 client_id（AppID）。", "client_id (the AppID) is missing."
		case errNoApp:
			p.Zh, p.En = "应用不存在（110401）：client_id 与沙箱中配置的 AppID 不一致。", "The app does not exist (110401): client_id does not match the AppID configured for the sandbox."
		case errRedirectURI:
			p.Notice = "通知: QQ互联加强网站应用回调地址校验"
			p.Zh = "redirect_uri 必须与应用登记的某个回调地址逐字节相同：协议、主机、端口、路径、末尾斜杠和查询串都要一致。"
			p.En = "redirect_uri must be byte-identical to one of the app's registered callbacks: scheme, host, port, path, trailing slash and query all count."
		case errGetAppID:
			p.Zh, p.En = "沙箱无法读取应用配置，请查看服务日志。", "The sandbox cannot read the app configuration; see the service log."
		default:
			p.Zh, p.En = "授权失败。", "Authorization failed."
		}
		return p
	}
	switch {
	case errors.Is(err, ErrStateRequired):
		return errorPage{Heading: "state is missing", Zh: "缺少 state 参数。QQ 要求网站用 state 防止 CSRF，并在回调时严格核对。", En: "The state parameter is missing. QQ requires it against CSRF and expects the site to check it on the callback."}
	case errors.Is(err, ErrStateTooLong):
		return errorPage{Heading: "state is too long", Zh: "redirect_uri 与 state 合计不能超过 500 字节。", En: "redirect_uri and state together must not exceed 500 bytes."}
	case errors.Is(err, ErrNoIdentity):
		return errorPage{Heading: "no such identity", Zh: "没有这个沙箱 QQ 身份。", En: "There is no such sandbox QQ identity."}
	case errors.Is(err, errFormExpired):
		return errorPage{Heading: "form expired", Zh: "登录表单已失效或已使用，请回到网站重新点击 QQ 登录。", En: "The login form has expired or was already used; go back to the site and click QQ login again."}
	case errors.Is(err, errBadForm):
		return errorPage{Heading: "bad request", Zh: "表单内容无效。", En: "The form is malformed."}
	case errors.Is(err, errCancelled):
		return errorPage{Heading: "你已取消登录 / You cancelled", Cancelled: true, Zh: "你已取消 QQ 登录。和真实的 QQ 一样，沙箱不会通知网站；可以关闭本页或返回网站。", En: "You cancelled the QQ login. Like real QQ, the sandbox does not tell the site; close this page or go back to the site."}
	case errors.Is(err, errFull):
		return errorPage{Heading: "sandbox busy", Zh: "沙箱繁忙，请稍后再试。", En: "The sandbox is busy; try again later."}
	}
	return errorPage{Heading: "sandbox error", Zh: "沙箱内部错误，请查看服务日志。", En: "Internal sandbox error; see the service log."}
}

// renderError shows QQ's kind of error page: no redirect, ever, because the
// callback is exactly what cannot be trusted at this point.
func (s *Sandbox) renderError(w http.ResponseWriter, status int, mobile bool, err error, got string, registered []string) {
	p := errorPageFor(err)
	p.Mobile = mobile
	if e, ok := errors.AsType[*Error](err); ok && e.Code == errRedirectURI {
		p.Got, p.Registered = got, registered
	}
	s.render(w, status, "sandbox_error.html", p)
}

// loginPage is the data of sandbox_login.html.
type loginPage struct {
	Action      string
	FormToken   string
	AppID       string
	RedirectURI string
	Scope       string
	Mobile      bool
	Identities  []identityView
	NewChecked  bool
	NewQQ       string
	NewNickname string
	Colors      []colorView
	ErrorZh     string
	ErrorEn     string
}

type identityView struct {
	QQ, Nickname, Avatar string
	Checked              bool
}

type colorView struct {
	Name    string
	Checked bool
}

func (s *Sandbox) renderLogin(w http.ResponseWriter, status int, token string, p *pendingAuth, f loginForm) {
	ids := s.Identities()
	page := loginPage{
		Action:      s.prefix + "/oauth2.0/login",
		FormToken:   token,
		AppID:       p.clientID,
		RedirectURI: p.redirectURI,
		Scope:       p.scope,
		Mobile:      p.mobile,
		NewChecked:  f.choice == "new" || len(ids) == 0,
		NewQQ:       f.qq,
		NewNickname: f.nickname,
		ErrorZh:     f.errZh,
		ErrorEn:     f.errEn,
	}
	s.mu.Lock()
	for i, id := range ids {
		openid := OpenID(p.clientID, id.QQ)
		s.openids[openid] = id.QQ
		checked := f.choice == id.QQ || (f.choice == "" && i == 0)
		page.Identities = append(page.Identities, identityView{
			QQ: id.QQ, Nickname: id.Nickname, Checked: checked,
			Avatar: s.prefix + "/avatar/" + openid + "/40",
		})
	}
	s.mu.Unlock()
	for i, c := range AvatarColors() {
		page.Colors = append(page.Colors, colorView{Name: c, Checked: f.color == c || (f.color == "" && i == 0)})
	}
	s.render(w, status, "sandbox_login.html", page)
}

// render executes a template into a buffer first, so a template error
// becomes a clean 500 instead of half a page.
func (s *Sandbox) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("sandbox template", "template", name, "err", err)
		http.Error(w, "sandbox: template error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No form-action: Chrome applies it to the 302 that follows the login
	// POST, and that redirect goes to the app's origin.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
