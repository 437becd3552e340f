package sandbox

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// qqError is QQ's OAuth error object. Field order matters: clients are tested
// against these bytes.
type qqError struct {
	Error       int    `json:"error"`
	Description string `json:"error_description"`
}

// writeOAuth answers an OAuth endpoint the way QQ does: always HTTP 200,
// text/html, the object as JSON with fmt=json and as JSONP otherwise.
func writeOAuth(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen with the sandbox's own types
		http.Error(w, "sandbox: encode", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusOK)
	if r.Form.Get("fmt") == "json" {
		_, _ = w.Write(b)
		return
	}
	_, _ = w.Write([]byte("callback( " + string(b) + " );\n"))
}

func writeOAuthError(w http.ResponseWriter, r *http.Request, code int) {
	writeOAuth(w, r, qqError{Error: code, Description: describe(code)})
}

// parseParams reads query and form parameters; QQ accepts both on its API
// endpoints. A body that cannot be parsed leaves only the query.
func parseParams(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		r.Form = r.URL.Query()
	}
}

// tokenReply is the fmt=json success body; expires_in is a string, as QQ
// sends it, to catch clients that decode it into an int.
type tokenReply struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    string `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	OpenID       string `json:"openid,omitempty"`
}

// handleToken exchanges an authorization code for an access token. The checks
// run in QQ's order and each answers QQ's own code.
func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	parseParams(w, r)
	if code, ok := s.takeFailure("token"); ok {
		writeOAuthError(w, r, code)
		return
	}
	f := r.Form
	if f.Get("grant_type") != "authorization_code" {
		// refresh_token is not emulated: a login plugin never needs it.
		writeOAuthError(w, r, errGrantType)
		return
	}
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if clientID == "" {
		writeOAuthError(w, r, errClientIDLost)
		return
	}
	app, ok, err := s.findApp(r.Context(), clientID)
	if err != nil {
		s.log.Error("sandbox cannot load apps", "err", err)
		writeOAuthError(w, r, errGetAppID)
		return
	}
	if !ok {
		writeOAuthError(w, r, errNoApp)
		return
	}
	if secret == "" {
		writeOAuthError(w, r, errSecretLost)
		return
	}
	if app.AppKey == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(app.AppKey)) != 1 {
		s.log.Info("sandbox token: wrong client_secret", "appid", app.AppID)
		writeOAuthError(w, r, errSecretWrong)
		return
	}
	codeValue := f.Get("code")
	if codeValue == "" {
		writeOAuthError(w, r, errCodeLost)
		return
	}

	// Only random draws happen outside the lock; the code is checked and
	// consumed in one critical section so two racing exchanges cannot both win.
	access, err1 := s.randHex(16)
	refresh, err2 := s.randHex(16)
	if err1 != nil || err2 != nil {
		s.log.Error("sandbox token random", "err", err1, "err2", err2)
		writeOAuthError(w, r, errGetToken)
		return
	}
	now := s.now()
	s.mu.Lock()
	c := s.codes[codeValue]
	var fail int
	switch {
	case c == nil || c.appID != app.AppID:
		fail = errCodeToToken
	case !now.Before(c.expires):
		delete(s.codes, codeValue)
		fail = errCodeToToken
	case c.used:
		fail = errCodeReused
	case f.Get("redirect_uri") != c.redirectURI:
		fail = errRedirectURI
	case !pruneLocked(s.tokens, maxTokens, func(t *accessToken) bool { return !now.Before(t.expires) }):
		fail = errGetToken
	default:
		c.used = true
		s.tokens[access] = &accessToken{appID: app.AppID, qq: c.qq, expires: now.Add(tokenExpiresIn * time.Second)}
	}
	var qq string
	if c != nil {
		qq = c.qq
	}
	s.mu.Unlock()
	if fail != 0 {
		s.log.Info("sandbox token refused", "appid", app.AppID, "error", fail)
		writeOAuthError(w, r, fail)
		return
	}
	openid := OpenID(app.AppID, qq)
	s.log.Info("sandbox issued access token", "appid", app.AppID, "openid", openid)

	reply := tokenReply{AccessToken: access, ExpiresIn: strconv.Itoa(tokenExpiresIn), RefreshToken: refresh}
	if f.Get("need_openid") == "1" {
		reply.OpenID = openid
	}
	if f.Get("fmt") == "json" {
		writeOAuth(w, r, reply)
		return
	}
	// QQ's historical default: a form-encoded body served as text/html.
	body := "access_token=" + reply.AccessToken + "&expires_in=" + reply.ExpiresIn + "&refresh_token=" + reply.RefreshToken
	if reply.OpenID != "" {
		body += "&openid=" + reply.OpenID
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}

// validTokenShape reports whether t looks like a QQ access token (32
// upper-case hex characters); anything else is "illegal" rather than unknown.
func validTokenShape(t string) bool {
	if len(t) != 32 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// lookupToken returns the live token, if any.
func (s *Sandbox) lookupToken(t string) (accessToken, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.tokens[t]
	if !ok {
		return accessToken{}, false
	}
	if !now.Before(at.expires) {
		delete(s.tokens, t)
		return accessToken{}, false
	}
	return *at, true
}

// meReply is /oauth2.0/me's answer, in QQ's field order.
type meReply struct {
	ClientID string `json:"client_id"`
	OpenID   string `json:"openid"`
	UnionID  string `json:"unionid,omitempty"`
}

// handleMe answers /oauth2.0/me: which app and which user a token belongs to.
func (s *Sandbox) handleMe(w http.ResponseWriter, r *http.Request) {
	parseParams(w, r)
	if code, ok := s.takeFailure("me"); ok {
		writeOAuthError(w, r, code)
		return
	}
	t := r.Form.Get("access_token")
	if t == "" {
		writeOAuthError(w, r, errTokenLost)
		return
	}
	if !validTokenShape(t) {
		writeOAuthError(w, r, errTokenIllegal)
		return
	}
	at, ok := s.lookupToken(t)
	if !ok {
		writeOAuthError(w, r, errTokenCheck)
		return
	}
	reply := meReply{ClientID: at.appID, OpenID: OpenID(at.appID, at.qq)}
	// Only the exact value 1 asks for the unionid, as on QQ.
	if r.Form.Get("unionid") == "1" {
		s.mu.Lock()
		denied := s.unionDenied[at.appID]
		s.mu.Unlock()
		if denied {
			writeOAuthError(w, r, errCompanyID)
			return
		}
		reply.UnionID = UnionID(at.qq)
	}
	writeOAuth(w, r, reply)
}

// userInfo is get_user_info's success body in QQ's field order, with QQ's
// string-typed numbers. Demographic fields hold QQ's privacy placeholders.
type userInfo struct {
	Ret             int    `json:"ret"`
	Msg             string `json:"msg"`
	IsLost          int    `json:"is_lost"`
	Nickname        string `json:"nickname"`
	Gender          string `json:"gender"`
	GenderType      int    `json:"gender_type"`
	Province        string `json:"province"`
	City            string `json:"city"`
	Year            string `json:"year"`
	Constellation   string `json:"constellation"`
	Figureurl       string `json:"figureurl"`
	Figureurl1      string `json:"figureurl_1"`
	Figureurl2      string `json:"figureurl_2"`
	FigureurlQQ1    string `json:"figureurl_qq_1"`
	FigureurlQQ2    string `json:"figureurl_qq_2"`
	FigureurlQQ     string `json:"figureurl_qq"`
	FigureurlType   string `json:"figureurl_type"`
	IsYellowVip     string `json:"is_yellow_vip"`
	Vip             string `json:"vip"`
	YellowVipLevel  string `json:"yellow_vip_level"`
	Level           string `json:"level"`
	IsYellowYearVip string `json:"is_yellow_year_vip"`
}

type retError struct {
	Ret int    `json:"ret"`
	Msg string `json:"msg"`
}

// writeUserInfo writes an OpenAPI answer: JSON served as text/html, with "/"
// escaped as "\/" as in QQ's real responses (valid JSON either way; it
// catches clients that slice strings instead of decoding).
func writeUserInfo(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "sandbox: encode", http.StatusInternalServerError)
		return
	}
	b = bytes.ReplaceAll(b, []byte("/"), []byte(`\/`))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// handleUserInfo answers /user/get_user_info.
func (s *Sandbox) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	parseParams(w, r)
	if code, ok := s.takeFailure("get_user_info"); ok {
		writeUserInfo(w, retError{Ret: code, Msg: describe(code)})
		return
	}
	f := r.Form
	for _, p := range []string{"access_token", "oauth_consumer_key", "openid"} {
		if f.Get(p) == "" {
			writeUserInfo(w, retError{Ret: retBadParams, Msg: "client request's parameters are invalid, invalid " + p})
			return
		}
	}
	at, ok := s.lookupToken(f.Get("access_token"))
	if !ok {
		writeUserInfo(w, retError{Ret: retNotLoggedIn, Msg: describe(retNotLoggedIn)})
		return
	}
	openid := OpenID(at.appID, at.qq)
	if f.Get("oauth_consumer_key") != at.appID || f.Get("openid") != openid {
		writeUserInfo(w, retError{Ret: errOpenIDMismatch, Msg: describe(errOpenIDMismatch)})
		return
	}
	id, ok := s.identity(at.qq)
	if !ok { // identities are never deleted; kept for safety
		writeUserInfo(w, retError{Ret: retNotLoggedIn, Msg: describe(retNotLoggedIn)})
		return
	}
	base := s.avatarBase(r) + s.prefix + "/avatar/" + openid + "/"
	writeUserInfo(w, userInfo{
		Nickname: id.Nickname, Gender: "男", GenderType: 1, Year: "1970",
		Figureurl: base + "30", Figureurl1: base + "50", Figureurl2: base + "100",
		FigureurlQQ1: base + "40", FigureurlQQ2: base + "100", FigureurlQQ: base + "100",
		FigureurlType: "1", IsYellowVip: "0", Vip: "0", YellowVipLevel: "0", Level: "0", IsYellowYearVip: "0",
	})
}

// avatarBase is the origin of the avatar URLs: the public origin when one
// is configured (behind a proxy the Host header often lacks the port, and
// the scheme is the proxy's), else what the caller used.
func (s *Sandbox) avatarBase(r *http.Request) string {
	if s.publicOrigin != "" {
		return s.publicOrigin
	}
	return baseURL(r)
}

// baseURL is the scheme and host the caller used to reach the sandbox, so
// avatar URLs are absolute like QQ's and fetchable by the same server.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
