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
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
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
