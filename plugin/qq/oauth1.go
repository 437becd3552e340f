package qq

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The retired Qzone OAuth 1.0 flow (qq-api.md §1.10, discuz.md §5.9) used by
// cloud-era Discuz X3.2/X3.3 sites:
//
//  1. RequestToken: signed GET /oauth/qzoneoauth_request_token (key "appkey&")
//     → oauth_token, oauth_token_secret; keep both in the member's session.
//  2. AuthorizeURL: the browser goes to /oauth/qzoneoauth_authorize.
//  3. ParseOAuth1Callback: QQ returns oauth_token, openid, oauth_signature,
//     timestamp and oauth_vericode.
//  4. AccessToken: checks that the callback belongs to the session's request
//     token and that its openid signature is QQ's, then signed GET
//     /oauth/qzoneoauth_access_token (key "appkey&request_token_secret")
//     → oauth_token, oauth_token_secret, openid (valid indefinitely).
//  5. UserInfo: signed GET /user/get_user_info (key "appkey&token_secret").
//
// Every request is a GET with the parameters and oauth_signature in the
// query, encoded with PercentEncode exactly like QQ's PHP SDK.

// Observe/Error endpoint names of the OAuth 1.0 calls.
const (
	EndpointOAuth1RequestToken = "oauth1_request_token"
	EndpointOAuth1Callback     = "oauth1_callback"
	EndpointOAuth1AccessToken  = "oauth1_access_token"
	EndpointOAuth1UserInfo     = "oauth1_get_user_info"
	// epOAuth1Token is used by ParseOAuth1TokenResponse on its own; the
	// client replaces it with the endpoint that was called.
	epOAuth1Token = "oauth1_token"
)

const (
	defaultQzoneBaseURL = "http://openapi.qzone.qq.com"
	maxOAuth1Field      = 512
)

// OAuth1Client performs the Qzone OAuth 1.0 calls. Like Client it holds no
// per-app state and is safe for concurrent use. Options are those of New
// (timeouts, body limit, HTTP client, Observe) except that BaseURL defaults
// to http://openapi.qzone.qq.com (QQCONNECT_QZONE_API_BASE).
type OAuth1Client struct {
	c     *Client // base, HTTP clients, timeout, body limit, observe, cfgErr
	now   func() time.Time
	nonce func() string
}

// OAuth1Option adjusts an OAuth1Client; tests and the sandbox use it for a
// fixed clock and nonce so that signatures are reproducible.
type OAuth1Option func(*OAuth1Client)

// WithOAuth1Clock sets the clock that gives oauth_timestamp (default time.Now).
func WithOAuth1Clock(now func() time.Time) OAuth1Option {
	return func(c *OAuth1Client) {
		if now != nil {
			c.now = now
		}
	}
}

// WithOAuth1Nonce sets the oauth_nonce source (default: a random decimal
// number from crypto/rand, the shape of the SDK's mt_rand()). It must return
// a fresh value on each call.
func WithOAuth1Nonce(nonce func() string) OAuth1Option {
	return func(c *OAuth1Client) {
		if nonce != nil {
			c.nonce = nonce
		}
	}
}

// NewOAuth1 returns an OAuth1Client with defaults filled in. An unusable
// BaseURL does not panic: Err reports it and every call fails with
// KindConfig.
func NewOAuth1(o Options, opts ...OAuth1Option) *OAuth1Client {
	if strings.TrimSpace(o.BaseURL) == "" {
		o.BaseURL = defaultQzoneBaseURL
	}
	c := &OAuth1Client{c: New(o), now: time.Now, nonce: randomNonce}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Err reports a configuration problem found by NewOAuth1 (nil if usable).
func (c *OAuth1Client) Err() error { return c.c.Err() }

func randomNonce() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand aborts the program instead)
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[:])&0x7fffffff), 10)
}

// RequestToken is the unauthorized request token. Secret signs the
// access_token call: keep it server-side (session), never in a URL or log.
type RequestToken struct{ Token, Secret string }

// String hides the secret; the request token itself is public (it travels
// through the browser in the authorize URL and the callback).
func (t RequestToken) String() string {
	return "qq.RequestToken{Token:" + t.Token + " Secret:" + mask(t.Secret) + "}"
}

// Format makes every fmt verb use String (see Credentials.Format).
func (t RequestToken) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) }

// LogValue keeps slog from printing the secret.
func (t RequestToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// OAuth1Token is the access token (QQ: valid until the member unbinds the
// app). Token and Secret are both credentials; OpenID is the identity key.
type OAuth1Token struct{ Token, Secret, OpenID string }

// String hides both token and secret.
func (t OAuth1Token) String() string {
	return "qq.OAuth1Token{Token:" + mask(t.Token) + " Secret:" + mask(t.Secret) + " OpenID:" + t.OpenID + "}"
}

// Format makes every fmt verb use String.
func (t OAuth1Token) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) }

// LogValue keeps slog from printing the token.
func (t OAuth1Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// OAuth1Callback is what QQ appends to oauth_callback after the member
// authorized the app. Signature is base64(HMAC-SHA1(appkey, OpenID+Timestamp)).
type OAuth1Callback struct{ Token, OpenID, Signature, Timestamp, Vericode string }

// String leaves out the vericode and the signature.
func (cb OAuth1Callback) String() string {
	return "qq.OAuth1Callback{Token:" + cb.Token + " OpenID:" + cb.OpenID + " Timestamp:" + cb.Timestamp +
		" Signature:" + mask(cb.Signature) + " Vericode:" + mask(cb.Vericode) + "}"
}

// Format makes every fmt verb use String.
func (cb OAuth1Callback) Format(f fmt.State, _ rune) { io.WriteString(f, cb.String()) }

// LogValue keeps slog from printing the vericode.
func (cb OAuth1Callback) LogValue() slog.Value { return slog.StringValue(cb.String()) }

// RequestToken asks QQ for an unauthorized request token. It is never
// retried, not even by the transport (keep-alive-free client): a resent
// request would reuse its nonce.
func (c *OAuth1Client) RequestToken(ctx context.Context, cred Credentials) (*RequestToken, error) {
	const ep = EndpointOAuth1RequestToken
	if err := c.c.precheck(ep, cred, true); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.c.timeout)
	defer cancel()
	vals, err := oauth1Call(ctx, c, ep, "/oauth/qzoneoauth_request_token", cred, nil, "", ParseOAuth1TokenResponse)
	if err != nil {
		return nil, err
	}
	return &RequestToken{Token: vals.Get("oauth_token"), Secret: vals.Get("oauth_token_secret")}, nil
}

// AuthorizeURL is where the browser goes to log in. Each value is encoded
// once with PercentEncode (the SDK's QQConnect_urlencode).
func (c *OAuth1Client) AuthorizeURL(cred Credentials, requestToken, callback string) string {
	return c.c.base + "/oauth/qzoneoauth_authorize?oauth_consumer_key=" + PercentEncode(cred.AppID) +
		"&oauth_token=" + PercentEncode(requestToken) + "&oauth_callback=" + PercentEncode(callback)
}

// ParseOAuth1Callback reads the callback query. All five parameters are
// required and must appear once each; an error_code from QQ is reported as
// QQ's error. Failures are KindRelogin *Errors (the member starts again).
// The openid signature is checked by AccessToken, which has the App Key.
func ParseOAuth1Callback(q url.Values) (*OAuth1Callback, error) {
	const ep = EndpointOAuth1Callback
	if vs := q["error_code"]; len(vs) > 0 && strings.TrimSpace(vs[0]) != "" && strings.TrimSpace(vs[0]) != "0" {
		code, ok := toInt(vs[0])
		if !ok || code < -1<<31 || code > 1<<31-1 {
			code = 0
		}
		desc := sanitizeText(firstNonEmpty(q.Get("error_msg"), q.Get("msg")), 200)
		k := kindOf(int(code))
		if k == KindUnexpected {
			k = KindRelogin
		}
		return nil, &Error{Code: int(code), Description: desc, Endpoint: ep, Kind: k, fromQQ: true}
	}
	get := func(name string) (string, error) {
		vs := q[name]
		if name == "oauth_signature" && len(vs) == 1 {
			// Base64: an unencoded "+" in QQ's redirect arrives as a space.
			vs = []string{strings.ReplaceAll(vs[0], " ", "+")}
		}
		switch {
		case len(vs) == 0 || vs[0] == "":
			return "", &Error{Endpoint: ep, Kind: KindRelogin, Detail: "callback without " + name}
		case len(vs) > 1:
			return "", &Error{Endpoint: ep, Kind: KindRelogin, Detail: "callback with repeated " + name}
		case len(vs[0]) > maxOAuth1Field || !printableASCII(vs[0]):
			return "", &Error{Endpoint: ep, Kind: KindRelogin, Detail: "callback with a malformed " + name}
		}
		return vs[0], nil
	}
	var cb OAuth1Callback
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"oauth_token", &cb.Token}, {"openid", &cb.OpenID}, {"oauth_signature", &cb.Signature},
		{"timestamp", &cb.Timestamp}, {"oauth_vericode", &cb.Vericode},
	} {
		v, err := get(f.name)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	if !validID(cb.OpenID) {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, Detail: "callback with a malformed openid"}
	}
	if !allDigits(cb.Timestamp) || len(cb.Timestamp) > 20 {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, Detail: "callback with a malformed timestamp"}
	}
	return &cb, nil
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// AccessToken trades the authorized request token for the access token.
// Before any request it checks that the callback is for rt (the session's
// request token: ErrOAuth1TokenMismatch otherwise) and that QQ signed its
// openid (ErrCallbackSignature); both are KindRelogin. QQ's answer must name
// the callback's openid (ErrOpenIDMismatch, KindUnexpected). Never retried:
// the vericode is single use.
func (c *OAuth1Client) AccessToken(ctx context.Context, cred Credentials, rt *RequestToken, cb *OAuth1Callback) (*OAuth1Token, error) {
	const ep = EndpointOAuth1AccessToken
	if err := c.c.precheck(ep, cred, true); err != nil {
		return nil, err
	}
	if rt == nil || rt.Token == "" || rt.Secret == "" {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, Detail: "no request token in the session"}
	}
	if cb == nil || cb.Token == "" || cb.Vericode == "" {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, Detail: "no callback parameters"}
	}
	if subtle.ConstantTimeCompare([]byte(cb.Token), []byte(rt.Token)) != 1 {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, err: ErrOAuth1TokenMismatch}
	}
	if !VerifyCallbackSignature(cred.AppKey, cb.OpenID, cb.Timestamp, cb.Signature) {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, err: ErrCallbackSignature}
	}
	ctx, cancel := context.WithTimeout(ctx, c.c.timeout)
	defer cancel()
	extra := url.Values{"oauth_token": {cb.Token}, "oauth_vericode": {cb.Vericode}}
	vals, err := oauth1Call(ctx, c, ep, "/oauth/qzoneoauth_access_token", cred, extra, rt.Secret,
		ParseOAuth1TokenResponse, rt.Secret, cb.Vericode, cb.Signature)
	if err != nil {
		return nil, err
	}
	openid := vals.Get("openid")
	if !validID(openid) {
		return nil, &Error{Endpoint: ep, Kind: KindUnexpected, Detail: "no valid openid in the reply"}
	}
	if openid != cb.OpenID {
		return nil, &Error{Endpoint: ep, Kind: KindUnexpected, err: ErrOpenIDMismatch,
			Detail: fmt.Sprintf("reply openid %q, callback openid %q", openid, cb.OpenID)}
	}
	return &OAuth1Token{Token: vals.Get("oauth_token"), Secret: vals.Get("oauth_token_secret"), OpenID: openid}, nil
}

// UserInfo calls get_user_info signed with the access token. The answer is
// the OAuth 2.0 one (ret must be 0); when it has no figureurl_qq_* avatar,
// the Qzone figureurl_2/_1/figureurl is used.
func (c *OAuth1Client) UserInfo(ctx context.Context, cred Credentials, tok *OAuth1Token) (*UserInfo, error) {
	const ep = EndpointOAuth1UserInfo
	if err := c.c.precheck(ep, cred, true); err != nil {
		return nil, err
	}
	if tok == nil || tok.Token == "" || tok.Secret == "" || !validID(tok.OpenID) {
		return nil, &Error{Endpoint: ep, Kind: KindRelogin, Detail: "empty access token, secret or openid"}
	}
	ctx, cancel := context.WithTimeout(ctx, c.c.timeout)
	defer cancel()
	extra := url.Values{"oauth_token": {tok.Token}, "openid": {tok.OpenID}, "format": {"json"}}
	u, err := oauth1Call(ctx, c, ep, "/user/get_user_info", cred, extra, tok.Secret,
		ParseUserInfoResponse, tok.Secret, tok.Token)
	if err != nil {
		return nil, err
	}
	if u.AvatarURL == "" {
		for _, k := range []string{"figureurl_2", "figureurl_1", "figureurl"} {
			if s := strings.TrimSpace(getString(u.Raw, k)); validAvatar(s) {
				u.AvatarURL = s
				break
			}
		}
	}
	return u, nil
}

// oauth1Call signs and sends one GET and parses the answer, with the
// status, scrubbing and Observe handling of call (client.go). The App Key
// and the signature are always scrubbed; secrets adds the call's own.
func oauth1Call[T any](ctx context.Context, c *OAuth1Client, ep, path string, cred Credentials,
	extra url.Values, tokenSecret string, parse func([]byte) (T, error), secrets ...string) (T, error) {
	start := time.Now()
	params := url.Values{
		"oauth_consumer_key":     {cred.AppID},
		"oauth_nonce":            {c.nonce()},
		"oauth_signature_method": {"HMAC-SHA1"},
		"oauth_timestamp":        {strconv.FormatInt(c.now().Unix(), 10)},
		"oauth_version":          {"1.0"},
	}
	for k, v := range extra {
		params[k] = v
	}
	endpoint := c.c.base + path
	sig := HMACSHA1Signature(SignatureBaseString(http.MethodGet, endpoint, params), cred.AppKey, tokenSecret)
	secrets = append(secrets, cred.AppKey, sig, PercentEncode(sig))
	query := normalizedParams(params) + "&oauth_signature=" + PercentEncode(sig)

	body, status, err := c.get(ctx, ep, endpoint, query)
	return settle(c.c, ep, start, body, status, err, parse, true, secrets)
}

// get sends the request never replayable (no transport-level resend of a
// nonce) and reads at most maxBody bytes. Transport errors carry
// the endpoint without the query (which holds the token and signature).
func (c *OAuth1Client) get(ctx context.Context, ep, endpoint, query string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+query, nil)
	if err != nil {
		return nil, 0, transportError(ep, endpoint, err)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.c.doOnce(req)
	if err != nil {
		return nil, 0, transportError(ep, endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.c.maxBody+1))
	if err != nil {
		e := transportError(ep, endpoint, err)
		e.HTTPStatus = resp.StatusCode
		return nil, 0, e
	}
	if int64(len(body)) > c.c.maxBody {
		return nil, 0, &Error{Endpoint: ep, Kind: KindUnexpected, HTTPStatus: resp.StatusCode,
			Detail: fmt.Sprintf("response larger than %d bytes", c.c.maxBody)}
	}
	return body, resp.StatusCode, nil
}

// ParseOAuth1TokenResponse decodes a request_token or access_token answer.
// Success is form data with exactly one non-empty oauth_token and
// oauth_token_secret (and, if present, one well-formed openid); the echo
// fields of the access_token answer (oauth_signature, oauth_vericode,
// timestamp) are passed through untouched. Failures QQ reports with
// error_code/error_msg (form or JSON), error/error_description or ret/msg
// become a QQ *Error; anything else a KindUnexpected *Error.
func ParseOAuth1TokenResponse(body []byte) (url.Values, error) {
	const ep = epOAuth1Token
	m, err := decodeAny(ep, body, true)
	if err != nil {
		return nil, err
	}
	if err := oauth1Error(ep, m); err != nil {
		return nil, err
	}
	b := strings.TrimSpace(strings.TrimPrefix(string(body), "\xef\xbb\xbf"))
	if open := strings.IndexByte(b, '('); strings.HasPrefix(b, "{") || open > 0 && isIdent([]byte(strings.TrimSpace(b[:open]))) {
		// Success is form data only; a JSON string value must not be
		// mistaken for form fields.
		return nil, unexpected(ep, "JSON reply without oauth_token", body)
	}
	vals, perr := url.ParseQuery(b)
	if perr != nil {
		return nil, unexpected(ep, "no oauth_token in the reply", body)
	}
	for _, k := range []string{"oauth_token", "oauth_token_secret"} {
		vs := vals[k]
		if len(vs) != 1 || vs[0] == "" || len(vs[0]) > maxOAuth1Field || !printableASCII(vs[0]) {
			return nil, unexpected(ep, "no single valid "+k+" in the reply", body)
		}
	}
	if vs, ok := vals["openid"]; ok && (len(vs) != 1 || !validID(vs[0])) {
		return nil, unexpected(ep, "malformed openid in the reply", body)
	}
	return vals, nil
}

// oauth1Error reports error_code (with error_msg), then error/ret like the
// OAuth 2.0 parsers.
func oauth1Error(ep string, m map[string]any) error {
	desc := sanitizeText(firstNonEmpty(getString(m, "error_msg"), getString(m, "error_description"), getString(m, "msg")), 200)
	if v, present := m["error_code"]; present && !isZero(v) {
		code, ok := toInt(v)
		if !ok || code < -1<<31 || code > 1<<31-1 {
			if s, isStr := v.(string); isStr && desc == "" {
				desc = sanitizeText(s, 200)
			}
			code = 0
		}
		return &Error{Code: int(code), Description: desc, Endpoint: ep, Kind: kindOf(int(code)), fromQQ: true}
	}
	err := qqError(ep, m, false)
	if qe, ok := errAs(err); ok && qe.Description == "" {
		qe.Description = desc
	}
	return err
}
