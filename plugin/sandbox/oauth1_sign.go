package sandbox

// OAuth 1.0 request signing and verification as the Qzone SDK did it
// (RFC 5849 HMAC-SHA1, the base URIs QQ accepted).

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
