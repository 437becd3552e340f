package qq

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// OAuth 1.0 signing (RFC 5849 §3.4 and §3.6) as the retired Qzone flow
// used it (qq-api.md §1.10). QQ's SDK differs from the RFC in two places
// that give identical bytes for every value QQ's flow carries:
//   - it joins the raw (unencoded) name=value pairs and percent-encodes the
//     joined string once, where the RFC encodes each name and value first;
//     the two agree whenever names and values are unreserved characters
//     (tokens, digits, "HMAC-SHA1", "1.0", "json");
//   - its HMAC key is appkey+"&"+secret without encoding them; App Keys and
//     token secrets are hex, so encoding changes nothing.
// The functions below follow the RFC, which is the stricter reading.

const upperHex = "0123456789ABCDEF"

// PercentEncode is RFC 5849 §3.6 (= QQ's QQConnect_urlencode): bytes in
// [A-Za-z0-9-._~] stay, every other byte becomes %XX with upper-case hex.
// A space is %20 (never "+"); multi-byte UTF-8 is encoded byte by byte.
func PercentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// SignatureBaseString builds RFC 5849 §3.4.1:
// METHOD & enc(base string URI) & enc(normalized parameters).
//
// The base string URI (§3.4.1.2) is baseURL with scheme and host in lower
// case, the default port (80 for http, 443 for https) removed, and query and
// fragment dropped; parameters found in baseURL's query are signed along
// with params (§3.4.1.3.1). oauth_signature is never part of the signed set.
// params holds decoded values; repeated names are all signed.
func SignatureBaseString(method, baseURL string, params url.Values) string {
	uri, all := baseStringURI(baseURL)
	for k, vs := range params {
		all[k] = append(all[k], vs...)
	}
	return strings.ToUpper(method) + "&" + PercentEncode(uri) + "&" + PercentEncode(normalizedParams(all))
}

func baseStringURI(raw string) (string, url.Values) {
	all := url.Values{}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return raw, all
	}
	if u.RawQuery != "" {
		if q, err := url.ParseQuery(u.RawQuery); err == nil {
			all = q
		}
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if port := u.Port(); (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, all
}

// normalizedParams is RFC 5849 §3.4.1.3.2: encode every name and value,
// sort by encoded name then encoded value (byte order), join name=value
// with "&". oauth_signature is excluded.
func normalizedParams(params url.Values) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(params))
	for k, vs := range params {
		if k == "oauth_signature" {
			continue
		}
		ek := PercentEncode(k)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, PercentEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// HMACSHA1Signature is RFC 5849 §3.4.2: base64(HMAC-SHA1(key, base)) with
// key = enc(consumerSecret) & enc(tokenSecret). For QQ the consumer secret
// is the App Key; the token secret is empty for request_token, the request
// token secret for access_token and the access token secret afterwards.
func HMACSHA1Signature(base, consumerSecret, tokenSecret string) string {
	return hmacSHA1Base64(PercentEncode(consumerSecret)+"&"+PercentEncode(tokenSecret), base)
}

func hmacSHA1Base64(key, msg string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyCallbackSignature is QQ's openid check on the OAuth 1.0 callback:
// oauth_signature must be base64(HMAC-SHA1(key = appKey, openid+timestamp)).
// The key is the bare App Key (no "&"), as in the SDK's is_valid_openid.
// The comparison is on the decoded MAC and constant-time. A signature whose
// "+" became a space (an unencoded "+" in the callback query) or that lost
// its "=" padding is still recognised: neither can occur in a valid
// signature otherwise, so this accepts no additional MAC.
func VerifyCallbackSignature(appKey, openid, timestamp, signature string) bool {
	if appKey == "" || openid == "" || timestamp == "" || signature == "" || len(signature) > 64 {
		return false
	}
	got, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(strings.ReplaceAll(signature, " ", "+"), "="))
	if err != nil || len(got) != sha1.Size {
		return false
	}
	m := hmac.New(sha1.New, []byte(appKey))
	m.Write([]byte(openid + timestamp))
	return hmac.Equal(got, m.Sum(nil))
}
