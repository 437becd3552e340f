// Package sandbox is a built-in emulator of QQ Connect's four OAuth 2.0
// endpoints (authorize, token, me, get_user_info) and of the retired Qzone
// OAuth 1.0 endpoints (oauth1.go). It exists so that the
// standalone demo and the integration tests can run a whole QQ login without
// Tencent, and it is deliberately as strict as QQ: byte-exact redirect_uri
// checks, single-use codes that expire after 10 minutes, JSONP and
// form-encoded answers, string-typed numbers and QQ's error codes, so that a
// client which passes against the sandbox does not break against graph.qq.com.
//
// Every page it serves says that it is not QQ. All state lives inside one
// *Sandbox value; nothing is global and nothing survives a restart except what
// is derived from the QQ number (openid and unionid).
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"qqconnect/templates"
)

// App is one QQ Connect application as the admin configured it.
type App struct {
	AppID        string
	AppKey       string
	RedirectURIs []string // registered callbacks, compared byte-exactly as QQ does since 2018
}

// Options configures a Sandbox. Only Apps is required.
type Options struct {
	// Apps is called on every request, because the admin may change the
	// AppID, AppKey or callbacks at any time and the sandbox must follow.
	Apps func(ctx context.Context) ([]App, error)
	// Now is the clock for code and token lifetimes; default time.Now.
	Now func() time.Time
	// Prefix is the URL path the sandbox is mounted under, e.g.
	// "/sandbox/qq". ServeHTTP expects the full, unstripped request path.
	Prefix string
	// Rand supplies codes, tokens and form tokens; default crypto/rand.
	Rand io.Reader
	// Logger receives operational events; never tokens, codes or secrets.
	Logger *slog.Logger
	// PublicURL is the external scheme://host[:port] clients use to reach
	// this server, e.g. https://bbs.example.com. OAuth 1.0 signatures cover
	// the URL the client called; behind a proxy that differs from what the
	// sandbox sees, so a signature over PublicURL is accepted too. Empty:
	// only the request's own scheme and Host.
	PublicURL string
}

// Lifetimes and limits. The first three are QQ's documented values; the caps
// only bound memory when the sandbox is reachable from the internet.
const (
	codeTTL        = 10 * time.Minute
	tokenExpiresIn = 7776000 // seconds (90 days), the documented expires_in
	pendingTTL     = 15 * time.Minute
	maxIdentities  = 1000
	maxPending     = 10000
	maxCodes       = 10000
	maxTokens      = 100000
	maxStateBytes  = 500 // QQ: callback + state must stay within 500 bytes
	maxNicknameLen = 40  // runes
)

// Sandbox is the emulator. It is an http.Handler; create it with New.
type Sandbox struct {
	apps   func(ctx context.Context) ([]App, error)
	now    func() time.Time
	prefix string
	log    *slog.Logger
	tmpl   *template.Template
	mux    *http.ServeMux

	randMu sync.Mutex // Options.Rand need not be safe for concurrent use
	rnd    io.Reader

	mu          sync.Mutex
	identities  map[string]*Identity // by QQ number
	openids     map[string]string    // openid -> QQ number, for avatar lookups
	pending     map[string]*pendingAuth
	codes       map[string]*authCode
	tokens      map[string]*accessToken
	unionDenied map[string]bool  // appid -> unionid permission withdrawn
	failNext    map[string][]int // endpoint -> queued QQ error codes

	publicOrigin string      // normalized Options.PublicURL, or ""
	o1           oauth1State // OAuth 1.0 tokens, nonces and logins; guarded by mu
}

// pendingAuth is an authorize request waiting for the login form. It is kept
// server-side under the form token so hidden fields cannot change it.
type pendingAuth struct {
	clientID, redirectURI, state, scope string
	mobile                              bool
	expires                             time.Time
}

// authCode is an issued authorization code; used codes are kept until they
// expire so that reuse is told apart (100020) from garbage (100019).
type authCode struct {
	appID, redirectURI, qq string
	expires                time.Time
	used                   bool
}

// accessToken is an issued access token.
type accessToken struct {
	appID, qq string
	expires   time.Time
}

// Error is a QQ error as the sandbox reports it: Code is QQ's numeric code,
// Description the text QQ puts next to it.
type Error struct {
	Code        int
	Description string
}

func (e *Error) Error() string {
	return fmt.Sprintf("qq sandbox: %s(%d)", strings.TrimSpace(e.Description), e.Code)
}

func qqErr(code int) *Error { return &Error{Code: code, Description: describe(code)} }

// Error codes the sandbox answers. Descriptions are the strings seen on the
// wire where one is known (note QQ's trailing space after "wrong or lost").
const (
	errResponseType   = 100000
	errClientIDLost   = 100001
	errSecretLost     = 100002
	errGrantType      = 100004
	errCodeLost       = 100005
	errTokenLost      = 100007
	errNoApp          = 100008
	errSecretWrong    = 100009
	errRedirectURI    = 100010
	errTokenIllegal   = 100013
	errTokenCheck     = 100016
	errGetAppID       = 100017
	errCodeToToken    = 100019
	errCodeReused     = 100020
	errGetToken       = 100021
	errCompanyID      = 100048
	errOpenIDMismatch = 100050
	retNotLoggedIn    = 1002
	retBadParams      = -1
)

// describe returns QQ's description for an error code (a switch rather than a
// map so that there is no package-level mutable state).
func describe(code int) string {
	switch code {
	case errResponseType:
		return "param response_type is wrong or lost "
	case errClientIDLost:
		return "param client_id is wrong or lost "
	case errSecretLost:
		return "param client_secret is wrong or lost "
	case errGrantType:
		return "param grant_type is wrong or lost "
	case errCodeLost:
		return "param code is wrong or lost "
	case 100006:
		return "param refresh token is wrong or lost "
	case errTokenLost:
		return "param access token is wrong or lost "
	case errNoApp:
		return "appid is not exist" // wording unverified; the code is from QQ's table
	case errSecretWrong:
		return "client secret is illegal" // as quoted by two QQ clients in the wild
	case errRedirectURI:
		return "redirect uri is illegal"
	case errTokenIllegal:
		return "access token is illegal"
	case 100014:
		return "access token is expired"
	case 100015:
		return "access token is revoked"
	case errTokenCheck:
		return "access token check failed"
	case errGetAppID:
		return "get appid failed"
	case errCodeToToken:
		return "code to access token error"
	case errCodeReused:
		return "code is reused error"
	case errGetToken:
		return "get access token error"
	case 100030:
		return "user has not authorized this api"
	case 100032:
		return "system is overloaded"
	case errCompanyID:
		return "companyid not set"
	case 100049:
		return "no get_unionid permission"
	case errOpenIDMismatch:
		return "openid is invalid, openid and appid do not match"
	case retNotLoggedIn, 2021:
		return "请先登录"
	case 110401:
		return "app does not exist"
	case 110405:
		return "login requests are limited, try again later"
	}
	return "sandbox injected error"
}

// New builds a Sandbox seeded with two identities (QQ 10001 and 10002). It
// panics on a programming error: a nil Apps, a malformed Prefix or templates
// that do not parse.
func New(o Options) *Sandbox {
	if o.Apps == nil {
		panic("sandbox: Options.Apps is required")
	}
	prefix := strings.TrimRight(o.Prefix, "/")
	if prefix != "" && (!strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "{}? #")) {
		panic(fmt.Sprintf("sandbox: bad Prefix %q", o.Prefix))
	}
	s := &Sandbox{
		apps:        o.Apps,
		now:         o.Now,
		prefix:      prefix,
		log:         o.Logger,
		rnd:         o.Rand,
		identities:  map[string]*Identity{},
		openids:     map[string]string{},
		pending:     map[string]*pendingAuth{},
		codes:       map[string]*authCode{},
		tokens:      map[string]*accessToken{},
		unionDenied: map[string]bool{},
		failNext:    map[string][]int{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rnd == nil {
		s.rnd = rand.Reader
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "qq-sandbox")
	if o.PublicURL != "" {
		origin, ok := publicOrigin(o.PublicURL)
		if !ok {
			panic(fmt.Sprintf("sandbox: bad PublicURL %q", o.PublicURL))
		}
		s.publicOrigin = origin
	}
	s.o1 = newOAuth1State()
	s.tmpl = template.Must(template.ParseFS(templates.FS, "sandbox_*.html"))

	for _, seed := range []struct{ qq, nick, color string }{
		{"10001", "沙箱企鹅", "blue"},
		{"10002", "小企鹅 🐧", "orange"},
	} {
		if _, err := s.addIdentity(seed.qq, seed.nick, seed.color); err != nil {
			panic(err)
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/oauth2.0/authorize", s.handleAuthorize)
	mux.HandleFunc("POST "+prefix+"/oauth2.0/login", s.handleLogin)
	// QQ's API endpoints are documented as GET; several libraries POST to
	// the token endpoint and QQ accepts it, so both are served.
	mux.HandleFunc("GET "+prefix+"/oauth2.0/token", s.handleToken)
	mux.HandleFunc("POST "+prefix+"/oauth2.0/token", s.handleToken)
	mux.HandleFunc("GET "+prefix+"/oauth2.0/me", s.handleMe)
	mux.HandleFunc("POST "+prefix+"/oauth2.0/me", s.handleMe)
	// get_user_info serves both protocols; see handleUserInfoAny.
	mux.HandleFunc("GET "+prefix+"/user/get_user_info", s.handleUserInfoAny)
	mux.HandleFunc("POST "+prefix+"/user/get_user_info", s.handleUserInfoAny)
	s.routeOAuth1(mux, prefix)
	mux.HandleFunc("GET "+prefix+"/avatar/{openid}/{size}", s.handleAvatar)
	s.mux = mux
	return s
}

// ServeHTTP serves the sandbox's endpoints under Prefix. The headers set here
// apply to every answer: nothing the sandbox says may be cached or leak the
// code through a Referer.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY") // QQ's login cannot run in an iframe either
	s.mux.ServeHTTP(w, r)
}

// randHex returns n random bytes as upper-case hex, the shape of QQ's codes,
// tokens and openids.
func (s *Sandbox) randHex(n int) (string, error) {
	b := make([]byte, n)
	s.randMu.Lock()
	_, err := io.ReadFull(s.rnd, b)
	s.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("sandbox random: %w", err)
	}
	return strings.ToUpper(hex.EncodeToString(b)), nil
}

// findApp looks the app up afresh, so that admin changes apply at once.
func (s *Sandbox) findApp(ctx context.Context, appID string) (App, bool, error) {
	apps, err := s.apps(ctx)
	if err != nil {
		return App{}, false, fmt.Errorf("sandbox apps: %w", err)
	}
	for _, a := range apps {
		if a.AppID != "" && a.AppID == appID {
			return a, true, nil
		}
	}
	return App{}, false, nil
}

// FailNext makes the next call to endpoint ("token", "me" or
// "get_user_info") answer QQ error code instead of doing its work, in that
// endpoint's error format. Calls queue up: two FailNext calls fail the next
// two requests. It panics on an unknown endpoint, which is a test bug.
func (s *Sandbox) FailNext(endpoint string, code int) {
	switch endpoint {
	case "token", "me", "get_user_info":
	default:
		panic(fmt.Sprintf("sandbox: FailNext: unknown endpoint %q", endpoint))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[endpoint] = append(s.failNext[endpoint], code)
}

// takeFailure pops the next injected failure for endpoint, if any.
func (s *Sandbox) takeFailure(endpoint string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.failNext[endpoint]
	if len(q) == 0 {
		return 0, false
	}
	code := q[0]
	if len(q) == 1 {
		delete(s.failNext, endpoint)
	} else {
		s.failNext[endpoint] = q[1:]
	}
	return code, true
}

// SetUnionIDAllowed grants or withdraws an app's unionid permission. Apps are
// allowed by default; a withdrawn app gets 100048 from /me?unionid=1, which is
// what QQ answers to apps that never applied.
func (s *Sandbox) SetUnionIDAllowed(appid string, allowed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if allowed {
		delete(s.unionDenied, appid)
	} else {
		s.unionDenied[appid] = true
	}
}

// pruneLocked drops expired entries once a map is full, so memory stays
// bounded without a background goroutine. Callers hold s.mu.
func pruneLocked[V any](m map[string]V, max int, expired func(V) bool) bool {
	if len(m) < max {
		return true
	}
	for k, v := range m {
		if expired(v) {
			delete(m, k)
		}
	}
	return len(m) < max
}
