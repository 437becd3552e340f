package qq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Credentials identify the site's app at QQ互联. AppKey is the client
// secret: every printing path (String, %v/%+v/%#v/%d…, slog) masks it.
type Credentials struct{ AppID, AppKey string }

// String shows the AppID (public anyway) and whether a key is set.
func (c Credentials) String() string {
	key := "(empty)"
	if c.AppKey != "" {
		key = "****"
	}
	return "qq.Credentials{AppID:" + c.AppID + " AppKey:" + key + "}"
}

// Format makes every fmt verb use String, so %+v, %#v or %d cannot print
// the AppKey field by field.
func (c Credentials) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// LogValue keeps slog (text and JSON handlers) from reflecting the fields.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String hides both tokens; expiry and openid are not secrets.
func (t Token) String() string {
	return fmt.Sprintf("qq.Token{AccessToken:%s RefreshToken:%s ExpiresIn:%d OpenID:%s}",
		mask(t.AccessToken), mask(t.RefreshToken), t.ExpiresIn, t.OpenID)
}

// Format makes every fmt verb use String (see Credentials.Format).
func (t Token) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) }

// LogValue keeps slog from printing the tokens.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

func mask(s string) string {
	if s == "" {
		return "(empty)"
	}
	return "****"
}

// Options configure a Client. The zero value talks to graph.qq.com.
type Options struct {
	// BaseURL defaults to "https://graph.qq.com". A path prefix is kept, so
	// the sandbox can live at e.g. "http://127.0.0.1:8080/sandbox/qq".
	BaseURL string
	// HTTPClient is injectable (tests, proxies). Default: a client with
	// dial/TLS/header timeouts. Redirects are never followed, so a
	// redirected API call surfaces as an HTTP error instead of being parsed.
	HTTPClient *http.Client
	// Timeout is the deadline of one method call (both /me requests of the
	// unionid fallback included), applied with context.WithTimeout on top
	// of the caller's context. Default 10s.
	Timeout time.Duration
	// MaxBodyBytes limits a response body; a larger one is an error.
	// Default 64 KiB (real replies are well under 2 KiB).
	MaxBodyBytes int64
	// Observe, if set, is called once per HTTP request with the endpoint
	// ("token", "me", "get_user_info"), the duration and 0 on success, QQ's
	// code when QQ answered with one, or -1 for any failure without a QQ
	// code (network, timeout, HTTP status, unreadable body).
	Observe func(endpoint string, d time.Duration, code int)
}

// Client performs the QQ OAuth 2.0 calls. It holds no per-app state
// (credentials are passed per call, since admins can change them at run
// time) and is safe for concurrent use.
type Client struct {
	base    string
	hc      *http.Client
	timeout time.Duration
	maxBody int64
	observe func(string, time.Duration, int)
	cfgErr  error
}

const (
	defaultBaseURL = "https://graph.qq.com"
	defaultTimeout = 10 * time.Second
	defaultMaxBody = 64 << 10
	userAgent      = "qqconnect (+Discuz! X QQ login)"
)

// New returns a Client with defaults filled in. An unusable BaseURL does
// not panic: Err reports it and every call fails with a KindConfig error.
func New(o Options) *Client {
	c := &Client{
		base:    strings.TrimRight(strings.TrimSpace(o.BaseURL), "/"),
		timeout: o.Timeout,
		maxBody: o.MaxBodyBytes,
		observe: o.Observe,
	}
	if c.base == "" {
		c.base = defaultBaseURL
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = defaultMaxBody
	}
	if o.HTTPClient != nil {
		hc := *o.HTTPClient // shallow copy: never mutate the caller's client
		if hc.CheckRedirect == nil {
			hc.CheckRedirect = noRedirect
		}
		c.hc = &hc
	} else {
		c.hc = defaultHTTPClient()
	}
	if u, err := url.Parse(c.base); err != nil || (u.Scheme != "https" && u.Scheme != "http") ||
		u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// The value itself is not echoed: it might hold user:password.
		c.cfgErr = &Error{Kind: KindConfig, Detail: "BaseURL must be an absolute http(s) URL without credentials, query or fragment"}
	}
	return c
}

// Err reports a configuration problem found by New (nil if usable), so
// start-up and the doctor page can show it before any member tries.
func (c *Client) Err() error { return c.cfgErr }

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func defaultHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
			ExpectContinueTimeout: time.Second,
			// Kept-alive connections save a TLS handshake per call; idle ones
			// go well before common 60–75 s server keep-alive timeouts.
			IdleConnTimeout:     30 * time.Second,
			MaxIdleConnsPerHost: 64,
		},
		CheckRedirect: noRedirect,
	}
}

// AuthorizeURL is where the browser goes to log in. Parameters appear in
// the documented order; each value is escaped exactly once with
// url.Values, so redirect_uri reaches QQ byte-identical to the value the
// token call sends (double encoding causes 100010).
func (c *Client) AuthorizeURL(cred Credentials, redirectURI, state string, mobile bool) string {
	pairs := [][2]string{
		{"response_type", "code"},
		{"client_id", cred.AppID},
		{"redirect_uri", redirectURI},
		{"state", state},
		{"scope", "get_user_info"},
	}
	if mobile {
		// Without it phones get the desktop QR page, which never redirects.
		pairs = append(pairs, [2]string{"display", "mobile"})
	}
	return c.base + "/oauth2.0/authorize?" + encodeOrdered(pairs)
}

func encodeOrdered(pairs [][2]string) string {
	parts := make([]string, 0, len(pairs))
	for _, p := range pairs {
		parts = append(parts, url.Values{p[0]: {p[1]}}.Encode())
	}
	return strings.Join(parts, "&")
}

// ExchangeCode trades the callback's code for a token. It is never retried
// (the code is single use: a replay fails with 100020), not even by the
// transport: net/http silently resends a GET that failed on a reused
// keep-alive connection, so the token call is sent as never replayable
// (doOnce) on the same kept-alive connections as the other calls.
func (c *Client) ExchangeCode(ctx context.Context, cred Credentials, code, redirectURI string) (*Token, error) {
	const ep = "token"
	if err := c.precheck(ep, cred, true); err != nil {
		return nil, err
	}
	if code == "" {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, Detail: "the callback carried no code"}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	q := [][2]string{
		{"grant_type", "authorization_code"},
		{"client_id", cred.AppID},
		{"client_secret", cred.AppKey},
		{"code", code},
		{"redirect_uri", redirectURI},
		{"fmt", "json"},
	}
	return call(ctx, c, ep, "/oauth2.0/token", q, true, ParseTokenResponse, cred.AppKey, code)
}

// Me resolves the token to the openid (and unionid if wantUnionID). It
// rejects a reply whose client_id is not cred.AppID: such a token was issued
// to another app and its openid means nothing here. If QQ refuses unionid
// (100048/100049: permission missing) it asks once more without it, so a
// missing permission never blocks the login.
func (c *Client) Me(ctx context.Context, cred Credentials, accessToken string, wantUnionID bool) (*Me, error) {
	const ep = "me"
	if err := c.precheck(ep, cred, false); err != nil {
		return nil, err
	}
	if accessToken == "" {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, Detail: "empty access token"}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	q := [][2]string{{"access_token", accessToken}, {"fmt", "json"}}
	if wantUnionID {
		q = append(q, [2]string{"unionid", "1"})
	}
	me, err := call(ctx, c, ep, "/oauth2.0/me", q, false, ParseMeResponse, cred.AppKey, accessToken)
	fellBack := false
	if qe, ok := errAs(err); ok && wantUnionID && qe.fromQQ && (qe.Code == 100048 || qe.Code == 100049) {
		fellBack = true
		me, err = call(ctx, c, ep, "/oauth2.0/me", q[:2], false, ParseMeResponse, cred.AppKey, accessToken)
	}
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(me.ClientID) != strings.TrimSpace(cred.AppID) {
		return nil, &Error{Endpoint: ep, Kind: KindConfig, err: ErrClientIDMismatch,
			Detail: fmt.Sprintf("reply client_id %q, configured AppID %q", me.ClientID, cred.AppID)}
	}
	if fellBack {
		me.UnionID = ""
	}
	me.UnionIDUnavailable = wantUnionID && me.UnionID == ""
	return me, nil
}

// UserInfo fetches nickname and avatar. oauth_consumer_key is required by
// QQ even though the token already implies the app.
func (c *Client) UserInfo(ctx context.Context, cred Credentials, accessToken, openid string) (*UserInfo, error) {
	const ep = "get_user_info"
	if err := c.precheck(ep, cred, false); err != nil {
		return nil, err
	}
	if accessToken == "" || openid == "" {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, Detail: "empty access token or openid"}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	q := [][2]string{{"access_token", accessToken}, {"oauth_consumer_key", cred.AppID}, {"openid", openid}}
	return call(ctx, c, ep, "/user/get_user_info", q, false, ParseUserInfoResponse, cred.AppKey, accessToken)
}

// precheck fails fast on settings that would only earn a QQ error page.
func (c *Client) precheck(ep string, cred Credentials, needKey bool) error {
	if c.cfgErr != nil {
		e := *c.cfgErr.(*Error)
		e.Endpoint = ep
		return &e
	}
	if strings.TrimSpace(cred.AppID) == "" {
		return &Error{Endpoint: ep, Kind: KindConfig, Detail: "AppID is empty"}
	}
	if needKey && strings.TrimSpace(cred.AppKey) == "" {
		return &Error{Endpoint: ep, Kind: KindConfig, Detail: "AppKey is empty"}
	}
	return nil
}

// call performs one GET and parses it. secrets are scrubbed from whatever
// error comes back, on top of the structural protections (no URL in
// transport errors, redacted excerpts).
func call[T any](ctx context.Context, c *Client, ep, path string, q [][2]string, once bool,
	parse func([]byte) (T, error), secrets ...string) (T, error) {
	start := time.Now()
	body, status, err := c.get(ctx, ep, path, q, once)
	return settle(c, ep, start, body, status, err, parse, false, secrets)
}

// settle turns one raw answer into the parsed result or a typed error, with
// the handling every QQ call shares (OAuth 2.0 and 1.0): HTTP status, the
// endpoint name, secret scrubbing and the Observe hook. renameEndpoint makes
// the error carry ep even when the parser named another endpoint.
func settle[T any](c *Client, ep string, start time.Time, body []byte, status int, err error,
	parse func([]byte) (T, error), renameEndpoint bool, secrets []string) (T, error) {
	var zero T
	res := zero
	if err == nil {
		res, err = parse(body)
		if qe, ok := errAs(err); ok && renameEndpoint {
			qe.Endpoint = ep
		}
		if status < 200 || status > 299 {
			if qe, ok := errAs(err); ok && qe.fromQQ {
				qe.HTTPStatus = status
			} else {
				// Not trusting a "success" body on an error status either.
				res, err = zero, httpError(ep, status, body)
			}
		} else if qe, ok := errAs(err); ok {
			qe.HTTPStatus = status
		}
	}
	if err != nil {
		res = zero
		scrub(err, secrets)
	}
	if c.observe != nil {
		code := 0
		if err != nil {
			code = -1
			if qe, ok := errAs(err); ok && qe.fromQQ {
				code = qe.Code
			}
		}
		c.observe(ep, time.Since(start), code)
	}
	return res, err
}

func httpError(ep string, status int, body []byte) *Error {
	k := KindTransport
	if status == http.StatusTooManyRequests {
		k = KindRateLimited
	}
	d := http.StatusText(status)
	if len(body) > 0 {
		d += ":" + describe(body)
	}
	return &Error{Endpoint: ep, Kind: k, HTTPStatus: status, Detail: strings.TrimSpace(d)}
}

// get sends the request and reads at most maxBody bytes; once sends it
// never replayable (token calls, see ExchangeCode). Transport errors
// come back as *Error{Kind: KindTransport} whose cause has no query string.
func (c *Client) get(ctx context.Context, ep, path string, q [][2]string, once bool) ([]byte, int, error) {
	endpoint := c.base + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+encodeOrdered(q), nil)
	if err != nil {
		return nil, 0, transportError(ep, endpoint, err)
	}
	req.Header.Set("User-Agent", userAgent)
	do := c.hc.Do
	if once {
		do = c.doOnce
	}
	resp, err := do(req)
	if err != nil {
		return nil, 0, transportError(ep, endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		e := transportError(ep, endpoint, err)
		e.HTTPStatus = resp.StatusCode
		return nil, 0, e
	}
	if int64(len(body)) > c.maxBody {
		return nil, 0, &Error{Endpoint: ep, Kind: KindUnexpected, HTTPStatus: resp.StatusCode,
			Detail: fmt.Sprintf("response larger than %d bytes", c.maxBody)}
	}
	return body, resp.StatusCode, nil
}

// doOnce sends req so that net/http never resends it: a request with a body
// it cannot rewind (GetBody nil) is not replayable. The body is empty, so
// the wire request is the same plain GET. Used where a resend would be a
// replay (the single-use code, OAuth 1.0 nonces).
func (c *Client) doOnce(req *http.Request) (*http.Response, error) {
	req.Body, req.GetBody, req.ContentLength = noReplay{}, nil, 0
	return c.hc.Do(req)
}

// noReplay is an empty request body net/http cannot rewind.
type noReplay struct{}

func (noReplay) Read([]byte) (int, error) { return 0, io.EOF }
func (noReplay) Close() error             { return nil }

// transportError strips the URL from *url.Error: its URL carries
// client_secret, code or access_token. The replacement keeps the type, so
// errors.As(err, **url.Error) and Timeout() still work.
func transportError(ep, endpoint string, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: endpoint, Err: ue.Err}
	}
	return &Error{Endpoint: ep, Kind: KindTransport, err: err}
}

// scrub removes any remaining occurrence of the call's secrets from the
// error. It is a last line of defence; nothing is expected to match.
func scrub(err error, secrets []string) {
	qe, ok := errAs(err)
	if !ok {
		return
	}
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		qe.Description = strings.ReplaceAll(qe.Description, s, "***")
		qe.Detail = strings.ReplaceAll(qe.Detail, s, "***")
		if qe.err != nil && strings.Contains(qe.err.Error(), s) {
			qe.err = redactedError{strings.ReplaceAll(qe.err.Error(), s, "***"), qe.err}
		}
	}
}

// redactedError keeps errors.Is/As working on the original cause while
// printing a scrubbed message.
type redactedError struct {
	msg   string
	cause error
}

func (r redactedError) Error() string { return r.msg }
func (r redactedError) Unwrap() error { return r.cause }
