package sandbox

// Emulation of the retired Qzone OAuth 1.0 flow (sdk-php1.5, © 2011), which
// Discuz X3.2/X3.3 sites used before QQ Connect moved to OAuth 2.0:
//
//	GET  {prefix}/oauth/qzoneoauth_request_token  signed, key appkey&
//	GET  {prefix}/oauth/qzoneoauth_authorize       browser: the sandbox login page
//	POST {prefix}/oauth/qzoneoauth_login           sandbox-only: the page's form
//	GET  {prefix}/oauth/qzoneoauth_access_token    signed, key appkey&request_token_secret
//	GET/POST {prefix}/user/get_user_info           signed, key appkey&access_token_secret
//
// Signatures are RFC 5849 HMAC-SHA1: base string METHOD&enc(base URI)&enc(sorted
// encoded params), key enc(consumer secret)&enc(token secret), where enc keeps
// only [A-Za-z0-9-._~] (QQ's QQConnect_urlencode). For values made only of
// unreserved characters, which is all QQ's SDK ever sent, this is the same
// string as the SDK's. The verifier below is deliberately independent of the
// client in plugin/qq.
//
// QQ never published the error codes of these endpoints (only that replies
// carried error_code), so the 30xx codes below are sandbox-defined.

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	oauth1TokenTTL = 10 * time.Minute // request token: authorize and exchange within this
	oauth1Skew     = 5 * time.Minute  // accepted oauth_timestamp distance from the clock
	oauth1NonceTTL = 10 * time.Minute // a nonce is refused again for this long
	maxNonces      = 100000
	maxNonceLen    = 64
)

// Sandbox-defined OAuth 1.0 error codes (QQ's own list is not documented).
// Token endpoints answer them form-encoded, error_code=N&error_msg=…;
// get_user_info answers them as JSON {"ret":N,"msg":…}.
const (
	o1ErrParam     = 3001 // a parameter is missing, empty, duplicated or malformed
	o1ErrVersion   = 3002 // oauth_version is not 1.0
	o1ErrMethod    = 3003 // oauth_signature_method is not HMAC-SHA1
	o1ErrConsumer  = 3004 // oauth_consumer_key is not a known app
	o1ErrTimestamp = 3005 // oauth_timestamp is not within ±5 minutes
	o1ErrNonce     = 3006 // oauth_nonce was used in the last 10 minutes
	o1ErrSignature = 3007 // oauth_signature does not verify
	o1ErrToken     = 3008 // oauth_token unknown, of another app or of the wrong kind
	o1ErrExpired   = 3009 // oauth_token expired
	o1ErrUsed      = 3010 // request token already authorized (authorize) or exchanged
	o1ErrNotAuthd  = 3011 // request token not authorized by the user yet
	o1ErrVerifier  = 3012 // oauth_vericode does not match
	o1ErrCallback  = 3013 // oauth_callback is not under a registered callback
	o1ErrOpenID    = 3014 // openid does not belong to oauth_token
	o1ErrSystem    = 3020 // apps unavailable, no randomness or state full
)

func o1Describe(code int) string {
	switch code {
	case o1ErrVersion:
		return "oauth_version must be 1.0"
	case o1ErrMethod:
		return "oauth_signature_method must be HMAC-SHA1"
	case o1ErrConsumer:
		return "oauth_consumer_key does not exist"
	case o1ErrTimestamp:
		return "oauth_timestamp is out of range"
	case o1ErrNonce:
		return "oauth_nonce is reused"
	case o1ErrSignature:
		return "oauth_signature is invalid"
	case o1ErrToken:
		return "oauth_token is invalid"
	case o1ErrExpired:
		return "oauth_token is expired"
	case o1ErrUsed:
		return "oauth_token is already used"
	case o1ErrNotAuthd:
		return "oauth_token is not authorized"
	case o1ErrVerifier:
		return "oauth_vericode is wrong"
	case o1ErrCallback:
		return "oauth_callback is not registered"
	case o1ErrOpenID:
		return "openid does not match oauth_token"
	case o1ErrSystem:
		return "system error"
	}
	return "sandbox error"
}

func o1Err(code int) *Error { return &Error{Code: code, Description: o1Describe(code)} }

func o1ParamErr(name string) *Error {
	return &Error{Code: o1ErrParam, Description: "param " + name + " is wrong or lost"}
}

// oauth1State is the OAuth 1.0 part of the sandbox's state, guarded by s.mu.
type oauth1State struct {
	requests map[string]*o1Request // request token -> state
	access   map[string]*o1Access  // access token -> state
	nonces   map[string]time.Time  // appid + " " + nonce -> refused until
	pending  map[string]*o1Pending // form token -> login in progress
}

func newOAuth1State() oauth1State {
	return oauth1State{
		requests: map[string]*o1Request{},
		access:   map[string]*o1Access{},
		nonces:   map[string]time.Time{},
		pending:  map[string]*o1Pending{},
	}
}

// o1Request is an issued request token. Used and expired tokens stay until
// pruned so that reuse (3010) and expiry (3009) are told apart from garbage.
type o1Request struct {
	appID, secret string
	expires       time.Time
	authorized    bool   // the user consented; qq and verifier are set
	used          bool   // exchanged for an access token
	qq, verifier  string // set on authorization
}

// o1Access is an issued access token. The SDK calls it valid indefinitely;
// the sandbox keeps it as long as an OAuth 2.0 token, to bound memory.
type o1Access struct {
	appID, secret, qq string
	expires           time.Time
}

// o1Pending is an authorize request waiting for the login form.
type o1Pending struct {
	appID, token, callback string
	expires                time.Time
}

func (s *Sandbox) routeOAuth1(mux *http.ServeMux, prefix string) {
	// QQ: "请使用HTTP的get方式发送请求" (send the requests with GET).
	mux.HandleFunc("GET "+prefix+"/oauth/qzoneoauth_request_token", s.handleO1RequestToken)
	mux.HandleFunc("GET "+prefix+"/oauth/qzoneoauth_authorize", s.handleO1Authorize)
	mux.HandleFunc("POST "+prefix+"/oauth/qzoneoauth_login", s.handleO1Login)
	mux.HandleFunc("GET "+prefix+"/oauth/qzoneoauth_access_token", s.handleO1AccessToken)
}

// ---- signing (RFC 5849 §3.4) ----

// o1Encode is RFC 5849 §3.6 percent-encoding (= QQConnect_urlencode).
func o1Encode(v string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

// o1BaseString builds the signature base string; oauth_signature is left out.
func o1BaseString(method, baseURI string, params url.Values) string {
	pairs := make([][2]string, 0, len(params))
	for k, vs := range params {
		if k == "oauth_signature" {
			continue
		}
		ek := o1Encode(k)
		for _, v := range vs {
			pairs = append(pairs, [2]string{ek, o1Encode(v)})
		}
	}
	slices.SortFunc(pairs, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	var n strings.Builder
	for i, p := range pairs {
		if i > 0 {
			n.WriteByte('&')
		}
		n.WriteString(p[0])
		n.WriteByte('=')
		n.WriteString(p[1])
	}
	return strings.ToUpper(method) + "&" + o1Encode(baseURI) + "&" + o1Encode(n.String())
}

func hmacSHA1Base64(key, msg string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// o1Sign signs a base string with the consumer and token secrets.
func o1Sign(base, consumerSecret, tokenSecret string) string {
	return hmacSHA1Base64(o1Encode(consumerSecret)+"&"+o1Encode(tokenSecret), base)
}

// o1OpenIDSignature is QQ's openid check: base64(HMAC-SHA1(appkey, openid+timestamp)).
func o1OpenIDSignature(appKey, openid, timestamp string) string {
	return hmacSHA1Base64(appKey, openid+timestamp)
}

// origin normalizes scheme and host as RFC 5849 §3.4.1.2 asks: lower case,
// default port left out.
func origin(scheme, host string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	if scheme == "http" {
		host = strings.TrimSuffix(host, ":80")
	} else if scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + host
}

// publicOrigin checks and normalizes Options.PublicURL; only its scheme and
// host count.
func publicOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	return origin(u.Scheme, u.Host), true
}

// o1BaseURIs are the URLs a client may have signed for this request: the one
// the sandbox sees and, if configured, the public one.
func (s *Sandbox) o1BaseURIs(r *http.Request) []string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := r.URL.EscapedPath()
	seen := origin(scheme, r.Host)
	if s.publicOrigin == "" || s.publicOrigin == seen {
		return []string{seen + path}
	}
	return []string{seen + path, s.publicOrigin + path}
}

// ---- request checks ----

// o1Params returns the signed parameters of a request as RFC 5849 §3.4.1.3
// defines them: query plus form body. parseParams must have run.
func o1Params(r *http.Request) (url.Values, *Error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, o1ParamErr("query")
	}
	for k, vs := range r.PostForm {
		q[k] = append(q[k], vs...)
	}
	return q, nil
}

// o1Check applies the checks every signed call shares, short of the
// signature: each protocol parameter present once, a known app, HMAC-SHA1,
// version 1.0 and a fresh timestamp. extra names further required parameters.
func (s *Sandbox) o1Check(ctx context.Context, p url.Values, extra ...string) (App, *Error) {
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if strings.HasPrefix(k, "oauth_") && len(p[k]) > 1 {
			return App{}, o1ParamErr(k) // RFC 5849 §3.1: at most once
		}
	}
	required := []string{"oauth_consumer_key", "oauth_signature_method", "oauth_version", "oauth_timestamp", "oauth_nonce", "oauth_signature"}
	for _, k := range append(required, extra...) {
		if p.Get(k) == "" {
			return App{}, o1ParamErr(k)
		}
	}
	app, ok, err := s.findApp(ctx, p.Get("oauth_consumer_key"))
	if err != nil {
		s.log.Error("sandbox cannot load apps", "err", err)
		return App{}, o1Err(o1ErrSystem)
	}
	if !ok {
		return App{}, o1Err(o1ErrConsumer)
	}
	if p.Get("oauth_signature_method") != "HMAC-SHA1" {
		return app, o1Err(o1ErrMethod)
	}
	if p.Get("oauth_version") != "1.0" {
		return app, o1Err(o1ErrVersion)
	}
	ts, err := strconv.ParseInt(p.Get("oauth_timestamp"), 10, 64)
	if err != nil || ts <= 0 || strings.HasPrefix(p.Get("oauth_timestamp"), "+") {
		return app, o1Err(o1ErrTimestamp)
	}
	// Compared in seconds: a Duration product could overflow and wrap.
	if d := s.now().Unix() - ts; d > int64(oauth1Skew/time.Second) || d < -int64(oauth1Skew/time.Second) {
		return app, o1Err(o1ErrTimestamp)
	}
	if len(p.Get("oauth_nonce")) > maxNonceLen {
		return app, o1ParamErr("oauth_nonce")
	}
	return app, nil
}

// o1Verify checks the signature and then spends the nonce, so that only
// genuine requests use nonces up.
func (s *Sandbox) o1Verify(r *http.Request, p url.Values, app App, tokenSecret string) *Error {
	got := []byte(p.Get("oauth_signature"))
	ok := false
	if app.AppKey != "" { // an app without a key can never sign
		for _, uri := range s.o1BaseURIs(r) {
			want := o1Sign(o1BaseString(r.Method, uri, p), app.AppKey, tokenSecret)
			if subtle.ConstantTimeCompare(got, []byte(want)) == 1 {
				ok = true
			}
		}
	}
	if !ok {
		return o1Err(o1ErrSignature)
	}
	key := app.AppID + " " + p.Get("oauth_nonce")
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if until, seen := s.o1.nonces[key]; seen && now.Before(until) {
		return o1Err(o1ErrNonce)
	}
	if !pruneLocked(s.o1.nonces, maxNonces, func(until time.Time) bool { return !now.Before(until) }) {
		return o1Err(o1ErrSystem)
	}
	s.o1.nonces[key] = now.Add(oauth1NonceTTL)
	return nil
}

// writeO1 answers a token endpoint like QQ: HTTP 200, form-encoded, text/html.
func writeO1(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}

// o1Code maps any error to its OAuth 1.0 code; non-QQ errors are 3020.
func o1Code(err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	return o1Err(o1ErrSystem)
}

func (s *Sandbox) writeO1Error(w http.ResponseWriter, endpoint, appID string, err error) {
	e := o1Code(err)
	s.log.Info("sandbox oauth1 refused", "endpoint", endpoint, "appid", appID, "error", e.Code)
	writeO1(w, "error_code="+strconv.Itoa(e.Code)+"&error_msg="+o1Encode(e.Description))
}

// ---- request token ----

func (s *Sandbox) handleO1RequestToken(w http.ResponseWriter, r *http.Request) {
	parseParams(w, r)
	p, e := o1Params(r)
	var app App
	if e == nil {
		app, e = s.o1Check(r.Context(), p)
	}
	if e == nil {
		e = s.o1Verify(r, p, app, "")
	}
	if e != nil {
		s.writeO1Error(w, "request_token", app.AppID, e)
		return
	}
	token, err1 := s.randHex(16)
	secret, err2 := s.randHex(16)
	if err1 != nil || err2 != nil {
		s.log.Error("sandbox oauth1 random", "err", err1, "err2", err2)
		s.writeO1Error(w, "request_token", app.AppID, o1Err(o1ErrSystem))
		return
	}
	now := s.now()
	s.mu.Lock()
	ok := pruneLocked(s.o1.requests, maxCodes, func(t *o1Request) bool { return !now.Before(t.expires) })
	if ok {
		s.o1.requests[token] = &o1Request{appID: app.AppID, secret: secret, expires: now.Add(oauth1TokenTTL)}
	}
	s.mu.Unlock()
	if !ok {
		s.writeO1Error(w, "request_token", app.AppID, o1Err(o1ErrSystem))
		return
	}
	s.log.Info("sandbox oauth1 issued request token", "appid", app.AppID)
	writeO1(w, "oauth_token="+token+"&oauth_token_secret="+secret)
}

// ---- authorize ----

// o1RequestStateLocked says why a request token cannot be authorized, if it
// cannot. Callers hold s.mu.
func (s *Sandbox) o1RequestStateLocked(token, appID string, now time.Time) (*o1Request, *Error) {
	t := s.o1.requests[token]
	switch {
	case t == nil || t.appID != appID:
		return nil, o1Err(o1ErrToken)
	case !now.Before(t.expires):
		return nil, o1Err(o1ErrExpired)
	case t.authorized || t.used:
		return nil, o1Err(o1ErrUsed)
	}
	return t, nil
}

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

// ---- access token ----

func (s *Sandbox) handleO1AccessToken(w http.ResponseWriter, r *http.Request) {
	parseParams(w, r)
	p, e := o1Params(r)
	var app App
	if e == nil {
		app, e = s.o1Check(r.Context(), p, "oauth_token", "oauth_vericode")
	}
	token := p.Get("oauth_token")
	var secret string
	if e == nil {
		s.mu.Lock()
		if t := s.o1.requests[token]; t != nil && t.appID == app.AppID {
			secret = t.secret
		} else {
			e = o1Err(o1ErrToken)
		}
		s.mu.Unlock()
	}
	if e == nil {
		e = s.o1Verify(r, p, app, secret)
	}
	if e != nil {
		s.writeO1Error(w, "access_token", app.AppID, e)
		return
	}
	// Discuz keeps the pair in conuin char(40) / conuinsecret char(16): QQ's
	// access-token secrets were 16 characters.
	access, err1 := s.randHex(16)
	accessSecret, err2 := s.randHex(8)
	if err1 != nil || err2 != nil {
		s.log.Error("sandbox oauth1 random", "err", err1, "err2", err2)
		s.writeO1Error(w, "access_token", app.AppID, o1Err(o1ErrSystem))
		return
	}
	// Checked and consumed in one critical section: two racing exchanges
	// cannot both win.
	now := s.now()
	var qq, verifier string
	s.mu.Lock()
	t := s.o1.requests[token]
	switch {
	case t == nil || t.appID != app.AppID: // pruned meanwhile
		e = o1Err(o1ErrToken)
	case !now.Before(t.expires):
		e = o1Err(o1ErrExpired)
	case t.used:
		e = o1Err(o1ErrUsed)
	case !t.authorized:
		e = o1Err(o1ErrNotAuthd)
	case subtle.ConstantTimeCompare([]byte(p.Get("oauth_vericode")), []byte(t.verifier)) != 1:
		e = o1Err(o1ErrVerifier) // the token stays usable: only its owner can sign a retry
	case !pruneLocked(s.o1.access, maxTokens, func(a *o1Access) bool { return !now.Before(a.expires) }):
		e = o1Err(o1ErrSystem)
	default:
		t.used = true
		qq, verifier = t.qq, t.verifier
		s.o1.access[access] = &o1Access{appID: app.AppID, secret: accessSecret, qq: qq, expires: now.Add(tokenExpiresIn * time.Second)}
	}
	s.mu.Unlock()
	if e != nil {
		s.writeO1Error(w, "access_token", app.AppID, e)
		return
	}
	openid := OpenID(app.AppID, qq)
	s.log.Info("sandbox oauth1 issued access token", "appid", app.AppID, "openid", openid)
	ts := strconv.FormatInt(now.Unix(), 10)
	writeO1(w, "oauth_token="+access+"&oauth_token_secret="+accessSecret+"&openid="+openid+
		"&oauth_signature="+o1Encode(o1OpenIDSignature(app.AppKey, openid, ts))+
		"&oauth_vericode="+verifier+"&timestamp="+ts)
}

// ---- get_user_info ----

// handleUserInfoAny serves /user/get_user_info for both protocols: a request
// with an access_token is OAuth 2.0 (unchanged); one without it that carries
// oauth_signature or oauth_token is OAuth 1.0; anything else goes to the
// OAuth 2.0 handler, which reports the missing access_token.
func (s *Sandbox) handleUserInfoAny(w http.ResponseWriter, r *http.Request) {
	parseParams(w, r)
	f := r.Form
	_, sig := f["oauth_signature"]
	_, tok := f["oauth_token"]
	if f.Get("access_token") == "" && (sig || tok) {
		s.handleO1UserInfo(w, r)
		return
	}
	s.handleUserInfo(w, r)
}

func (s *Sandbox) handleO1UserInfo(w http.ResponseWriter, r *http.Request) {
	if code, ok := s.takeFailure("get_user_info"); ok {
		writeUserInfo(w, retError{Ret: code, Msg: describe(code)})
		return
	}
	p, e := o1Params(r)
	var app App
	if e == nil {
		app, e = s.o1Check(r.Context(), p, "oauth_token", "openid")
	}
	var at o1Access
	if e == nil {
		now := s.now()
		s.mu.Lock()
		switch a := s.o1.access[p.Get("oauth_token")]; {
		case a == nil || a.appID != app.AppID:
			e = o1Err(o1ErrToken)
		case !now.Before(a.expires):
			e = o1Err(o1ErrExpired)
		default:
			at = *a
		}
		s.mu.Unlock()
	}
	if e == nil {
		e = s.o1Verify(r, p, app, at.secret)
	}
	openid := OpenID(app.AppID, at.qq)
	if e == nil && p.Get("openid") != openid {
		e = o1Err(o1ErrOpenID)
	}
	var id Identity
	if e == nil {
		var ok bool
		if id, ok = s.identity(at.qq); !ok { // identities are never deleted
			e = o1Err(o1ErrToken)
		}
	}
	if e != nil {
		s.log.Info("sandbox oauth1 refused", "endpoint", "get_user_info", "appid", app.AppID, "error", e.Code)
		writeUserInfo(w, retError{Ret: e.Code, Msg: e.Description})
		return
	}
	// The OAuth 2.0 answer, field for field (TestOAuth1UserInfoMatchesOAuth2).
	base := s.avatarBase(r) + s.prefix + "/avatar/" + openid + "/"
	writeUserInfo(w, userInfo{
		Nickname: id.Nickname, Gender: "男", GenderType: 1, Year: "1970",
		Figureurl: base + "30", Figureurl1: base + "50", Figureurl2: base + "100",
		FigureurlQQ1: base + "40", FigureurlQQ2: base + "100", FigureurlQQ: base + "100",
		FigureurlType: "1", IsYellowVip: "0", Vip: "0", YellowVipLevel: "0", Level: "0", IsYellowYearVip: "0",
	})
}
