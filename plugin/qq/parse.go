package qq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is the result of the code exchange. Its String/Format/LogValue hide
// both tokens so a stray log line cannot leak them.
type Token struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int64  // seconds; 0 when QQ sent no usable value
	OpenID       string // only with need_openid=1; normally empty
}

// Me is the /oauth2.0/me answer. OpenID is the identity key (per appid);
// UnionID is optional and must never be used as a key on its own.
type Me struct {
	ClientID, OpenID, UnionID string
	// UnionIDUnavailable: unionid was asked for but the app lacks the
	// permission (100048/100049) or QQ sent none; OpenID is still valid.
	UnionIDUnavailable bool
}

// UserInfo is the part of get_user_info a forum uses. The demographic
// fields are placeholders since QQ's privacy overhaul, so only Raw has them.
type UserInfo struct {
	Nickname  string // HTML tags stripped, entities decoded, control chars removed
	AvatarURL string // figureurl_qq_2, else figureurl_qq_1, else figureurl_qq; http(s) only
	Raw       map[string]any
}

// maxExcerpt bounds how much of an unexpected body ends up in an error.
const maxExcerpt = 100

// ParseTokenResponse decodes a /oauth2.0/token body in any shape QQ sends:
// JSON (with expires_in as a number or a string), JSONP error bodies, and
// the default form encoding. Success requires a non-empty access_token.
func ParseTokenResponse(body []byte) (*Token, error) {
	const ep = "token"
	m, err := decodeAny(ep, body, true)
	if err != nil {
		return nil, err
	}
	if err := qqError(ep, m, false); err != nil {
		return nil, err
	}
	at := strings.TrimSpace(getString(m, "access_token"))
	if at == "" || len(at) > 512 || !printableASCII(at) {
		return nil, unexpected(ep, "no access_token in the reply", body)
	}
	t := &Token{AccessToken: at, RefreshToken: strings.TrimSpace(getString(m, "refresh_token"))}
	if len(t.RefreshToken) > 512 || !printableASCII(t.RefreshToken) {
		t.RefreshToken = ""
	}
	if n, ok := getInt(m, "expires_in"); ok && n > 0 {
		t.ExpiresIn = n
	}
	if id := strings.TrimSpace(getString(m, "openid")); validID(id) {
		t.OpenID = id
	}
	return t, nil
}

// ParseMeResponse decodes a /oauth2.0/me body: JSON, the default JSONP
// `callback( {...} );` and the legacy WAP form `client_id=…&openid=…`.
// Success requires a well-formed openid; checking client_id against the
// AppID is the caller's job (Client.Me does it).
func ParseMeResponse(body []byte) (*Me, error) {
	const ep = "me"
	m, err := decodeAny(ep, body, true)
	if err != nil {
		return nil, err
	}
	if err := qqError(ep, m, false); err != nil {
		return nil, err
	}
	me := &Me{
		ClientID: strings.TrimSpace(getString(m, "client_id")),
		OpenID:   strings.TrimSpace(getString(m, "openid")),
		UnionID:  strings.TrimSpace(getString(m, "unionid")),
	}
	if !validID(me.OpenID) {
		return nil, unexpected(ep, "no valid openid in the reply", body)
	}
	if me.UnionID != "" && !validID(me.UnionID) {
		return nil, unexpected(ep, "malformed unionid in the reply", body)
	}
	if len(me.ClientID) > 64 || !printableASCII(me.ClientID) {
		return nil, unexpected(ep, "malformed client_id in the reply", body)
	}
	return me, nil
}

// ParseUserInfoResponse decodes /user/get_user_info. Success requires
// ret == 0 exactly: ret 1002 ("请先登录") is positive and is still a failure.
func ParseUserInfoResponse(body []byte) (*UserInfo, error) {
	const ep = "get_user_info"
	m, err := decodeAny(ep, body, false)
	if err != nil {
		return nil, err
	}
	if err := qqError(ep, m, true); err != nil {
		return nil, err
	}
	u := &UserInfo{Nickname: cleanNickname(getString(m, "nickname")), Raw: m}
	for _, k := range []string{"figureurl_qq_2", "figureurl_qq_1", "figureurl_qq"} {
		if s := strings.TrimSpace(getString(m, k)); validAvatar(s) {
			u.AvatarURL = s
			break
		}
	}
	return u, nil
}

// decodeAny turns any of QQ's body shapes into one map. JSON and JSONP are
// recognised before form decoding because url.ParseQuery rejects the JSONP
// error body ("invalid semicolon separator") and would hide QQ's code.
func decodeAny(ep string, body []byte, allowForm bool) (map[string]any, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	switch {
	case len(b) == 0:
		return nil, unexpected(ep, "empty body", body)
	case b[0] == '{':
		return decodeJSON(ep, b, body)
	case b[0] == '<':
		return nil, unexpected(ep, "HTML or XML instead of a QQ reply", body)
	}
	if open := bytes.IndexByte(b, '('); open > 0 && isIdent(bytes.TrimSpace(b[:open])) {
		// JSONP: the text between the FIRST '(' and the LAST ')'; only
		// whitespace and ';' may follow. No fixed offsets, no Trim sets.
		end := bytes.LastIndexByte(b, ')')
		if end < open || len(bytes.Trim(b[end+1:], " \t\r\n;")) != 0 {
			return nil, unexpected(ep, "truncated JSONP", body)
		}
		inner := bytes.TrimSpace(b[open+1 : end])
		if len(inner) == 0 || inner[0] != '{' {
			return nil, unexpected(ep, "JSONP without a JSON object", body)
		}
		return decodeJSON(ep, inner, body)
	}
	if !allowForm || bytes.IndexByte(b, '=') < 0 {
		return nil, unexpected(ep, "neither JSON, JSONP nor form data", body)
	}
	vals, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, unexpected(ep, "malformed form data", body)
	}
	m := make(map[string]any, len(vals))
	for k, v := range vals {
		if len(v) > 0 {
			m[k] = v[0]
		}
	}
	return m, nil
}

func decodeJSON(ep string, b, body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, unexpected(ep, "truncated or invalid JSON", body)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, unexpected(ep, "trailing data after the JSON object", body)
	}
	return m, nil
}

// qqError reports a QQ-level failure carried in a 2xx body: `error` (token,
// me) or `ret` (OpenAPIs). With requireRet (get_user_info) success needs
// ret == 0 exactly; a missing or non-numeric ret is not success.
func qqError(ep string, m map[string]any, requireRet bool) error {
	desc := sanitizeText(firstNonEmpty(getString(m, "error_description"), getString(m, "msg")), 200)
	for _, key := range []string{"error", "ret"} {
		v, present := m[key]
		if !present || isZero(v) {
			continue
		}
		code, ok := toInt(v)
		if !ok || code < math.MinInt32 || code > math.MaxInt32 {
			// A non-numeric error ("invalid_request") is still an error.
			if s, isStr := v.(string); isStr && desc == "" {
				desc = sanitizeText(s, 200)
			}
			code = 0
		}
		return &Error{Code: int(code), Description: desc, Endpoint: ep, Kind: kindOf(int(code)), fromQQ: true}
	}
	if requireRet {
		if n, ok := toInt(m["ret"]); !ok || n != 0 {
			return &Error{Endpoint: ep, Kind: KindUnexpected, Detail: "reply without a numeric ret"}
		}
	}
	return nil
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return true
		}
		n, ok := toInt(s)
		return ok && n == 0
	case json.Number:
		n, ok := toInt(x)
		return ok && n == 0
	}
	return false
}

func getString(m map[string]any, k string) string {
	switch x := m[k].(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// getInt accepts 7776000, "5184000" and 5184000.0: QQ has sent all of them.
func getInt(m map[string]any, k string) (int64, bool) { return toInt(m[k]) }

func toInt(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f), true
	}
	return 0, false
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}

func isIdent(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for _, c := range b {
		if !(c == '_' || c == '$' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// validID accepts openid/unionid values that fit the identity table
// (varchar(64)) and cannot smuggle anything into a URL, log or SQL.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// validAvatar keeps only absolute http(s) URLs: the avatar is fetched
// server-side, so file:, javascript: or relative values must not pass.
func validAvatar(s string) bool {
	if s == "" || len(s) > 512 || !printableASCII(s) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// cleanNickname decodes entities first and strips tags afterwards, so an
// encoded "&lt;script&gt;" cannot turn into a tag after stripping.
func cleanNickname(s string) string {
	s = html.UnescapeString(strings.ToValidUTF8(s, "\uFFFD"))
	for {
		open := strings.IndexByte(s, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(s[open:], '>')
		if end < 0 {
			break
		}
		s = s[:open] + s[open+end+1:]
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// unexpected builds the error for a body we cannot use. It carries at most
// maxExcerpt bytes of the body, with token-like runs redacted, because a
// truncated token reply would otherwise put the access token in a log.
func unexpected(ep, what string, body []byte) *Error {
	return &Error{Endpoint: ep, Kind: KindUnexpected, Detail: what + describe(body)}
}

func describe(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	ex := excerpt(body)
	if len(body) > maxExcerpt {
		return fmt.Sprintf(" (%d bytes): %q…", len(body), ex)
	}
	return fmt.Sprintf(" (%d bytes): %q", len(body), ex)
}

// excerpt returns the first ≤maxExcerpt bytes of the body as printable
// text. Token-like runs are redacted over the whole body before cutting, so
// the cut cannot leave a short, unredacted prefix of a token behind.
func excerpt(body []byte) string {
	return sanitizeText(string(body), maxExcerpt)
}

// sanitizeText makes QQ- or network-supplied text safe for logs and admin
// pages: valid UTF-8, no control characters, bounded length, and every run
// of 16+ letters/digits containing a digit (tokens, keys, codes) redacted.
func sanitizeText(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = redactRuns(s)
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.TrimSpace(s)
}

func redactRuns(s string) string {
	var b strings.Builder
	i := 0
	for i < len(s) {
		j := i
		digit := false
		for j < len(s) && isAlnum(s[j]) {
			if s[j] >= '0' && s[j] <= '9' {
				digit = true
			}
			j++
		}
		if j > i {
			if j-i >= 16 && digit {
				b.WriteString("***")
			} else {
				b.WriteString(s[i:j])
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// errAs is errors.As for our own type, kept short for internal use.
func errAs(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
