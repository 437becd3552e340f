package discuz

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ErrAuthCookieMalformed: the auth cookie decrypted but is not
// "<password>\t<uid>" with a positive uid.
var ErrAuthCookieMalformed = errors.New("auth cookie: malformed plaintext")

// alnum is the alphabet of Discuz's random(): [0-9a-zA-Z].
const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// CookieName returns the full name of a Discuz cookie such as "auth" or
// "saltkey". The config's cookiepre does NOT include the 4-hex hash part:
// Discuz appends substr(md5(path."|".domain), 0, 4)."_" at runtime, after
// giving a path that lacks one a leading "/" (discuz_application::_init_config).
func CookieName(cookiepre, cookiepath, cookiedomain, name string) string {
	return CookiePrefix(cookiepre, cookiepath, cookiedomain) + name
}

// CookiePrefix is the runtime prefix of every Discuz cookie (COOKIE_PRE):
// Discuz reads exactly the cookies that start with it into $_G['cookie'],
// and its logout deletes all of them.
func CookiePrefix(cookiepre, cookiepath, cookiedomain string) string {
	if !strings.HasPrefix(cookiepath, "/") {
		cookiepath = "/" + cookiepath
	}
	return cookiepre + md5hex(cookiepath + "|" + cookiedomain)[:4] + "_"
}

// Lifetimes, in seconds, that Discuz passes to dsetcookie (which sends
// time()+life; 0 would be a browser-session cookie).
const (
	LifeQQLogin = 1296000  // connect_login(): setloginstatus and connect_login, 15 days
	LifeYear    = 31536000 // connect_is_bind, connect_uin, and connect_login after a bind
	LifeSaltkey = 2592000  // the saltkey, 30 days
)

// QQLoginKind is which of Discuz's QQ paths a login stands for: Discuz
// writes its QQ helper cookies on these and never on a password login.
type QQLoginKind int

const (
	// NotQQ is a password login (logging_ctl::on_login): no helper cookie.
	NotQQ QQLoginKind = iota
	// QQSignIn is a bound QQ logging in (connect_login.php, connect_login()).
	QQSignIn
	// QQBind is a QQ bound or registered just now: the callback while
	// logged in, member_connect_logging.php or member_connect_register.php.
	QQBind
)

// HelperCookie is one cookie Discuz sets besides the login pair. Discuz
// sets these with dsetcookie's default httponly=false.
type HelperCookie struct {
	Name, Value string // Name without the prefix
	Life        int    // seconds
}

// QQHelperNames are the QQ helper cookies qqconnect writes, in Discuz's
// order. Of the other cookies Discuz's QQ login sets (connect_js_name,
// connect_js_params, stats_qc_*, client_created, client_token) X3.4 and
// X3.5 read none, so they are left out.
func QQHelperNames() []string { return []string{"connect_login", "connect_is_bind", "connect_uin"} }

// QQHelperCookies are the helper cookies Discuz writes after a QQ login of
// the given kind; openid is the binding's conopenid (not a secret: Discuz
// stores it in plain text). A password login gets none.
func QQHelperCookies(kind QQLoginKind, openid string) []HelperCookie {
	var loginLife int
	switch kind {
	case QQSignIn:
		loginLife = LifeQQLogin // connect_login() reuses the login's $cookietime
	case QQBind:
		loginLife = LifeYear
	default:
		return nil
	}
	n := QQHelperNames()
	return []HelperCookie{
		{Name: n[0], Value: "1", Life: loginLife},
		{Name: n[1], Value: "1", Life: LifeYear},
		{Name: n[2], Value: openid, Life: LifeYear},
	}
}

// ClearedAtLogout says whether Discuz's logout (clearcookies()) deletes
// the cookie name (without the prefix): every one but the page-width
// preference. Unbinding deletes even that one (connect_config.php).
func ClearedAtLogout(name string, unbind bool) bool {
	return unbind || name != "widthauto"
}

// randomString draws n characters uniformly from alphabet (len ≤ 256),
// rejecting biased bytes.
func randomString(rnd io.Reader, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+8)
	for len(out) < n {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return "", fmt.Errorf("read random: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// NewSaltkey returns a fresh value for the saltkey cookie: 8 characters of
// [0-9a-zA-Z], like Discuz's random(8). The auth cookie must be encrypted
// with the saltkey the browser will send back.
func NewSaltkey(rnd io.Reader) (string, error) {
	s, err := randomString(rnd, alnum, 8)
	if err != nil {
		return "", fmt.Errorf("new saltkey: %w", err)
	}
	return s, nil
}

// sessionKey is Discuz's $_G['authkey'] = md5($_config['security']['authkey'] . saltkey).
func sessionKey(authkey, saltkey string) string {
	return md5hex(authkey + saltkey)
}

// AuthCookie builds the value of the "auth" cookie that logs uid in:
// authcode("<common_member.password>\t<uid>", 'ENCODE', md5(authkey.saltkey))
// with expiry 0, as Discuz's setloginstatus() writes it. The result is raw
// base64; URL-encode it when setting the cookie, as Discuz does.
func AuthCookie(memberPassword string, uid int64, authkey, saltkey string, rnd io.Reader) (string, error) {
	if authkey == "" {
		return "", errors.New("auth cookie: empty authkey")
	}
	v, err := AuthcodeEncode(memberPassword+"\t"+strconv.FormatInt(uid, 10), sessionKey(authkey, saltkey), 0, rnd)
	if err != nil {
		return "", fmt.Errorf("auth cookie uid %d: %w", uid, err)
	}
	return v, nil
}

// ParseAuthCookie decrypts an "auth" cookie value, URL-encoded (%2B, %2F)
// or raw. Like PHP's cookie parsing it does not turn '+' into a space. The
// caller must still compare memberPassword with common_member.password of uid.
func ParseAuthCookie(value, authkey, saltkey string, now time.Time) (memberPassword string, uid int64, err error) {
	if authkey == "" {
		return "", 0, errors.New("auth cookie: empty authkey")
	}
	plain, err := AuthcodeDecode(rawURLDecode(value), sessionKey(authkey, saltkey), now)
	if err != nil {
		return "", 0, fmt.Errorf("auth cookie: %w", err)
	}
	pw, uidText, ok := strings.Cut(plain, "\t")
	if !ok || strings.Contains(uidText, "\t") {
		return "", 0, ErrAuthCookieMalformed
	}
	uid, err = strconv.ParseInt(uidText, 10, 64)
	if err != nil || uid <= 0 || uidText[0] == '+' {
		return "", 0, ErrAuthCookieMalformed
	}
	return pw, uid, nil
}

// rawURLDecode is PHP's rawurldecode, which PHP applies to cookie values:
// %XX becomes a byte, a '%' without two hex digits stays, '+' stays.
func rawURLDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Formhash is Discuz's formhash(): substr(md5(T . username . uid .
// md5(authkey.saltkey)), 8, 8), T being the Unix time without its last 7
// digits (a ~115-day bucket). For a guest pass username "" and uid 0. QQ
// login's OAuth state is md5(formhash). Outside the admin panel only.
func Formhash(now time.Time, username string, uid int64, authkey, saltkey string) string {
	t := strconv.FormatInt(now.Unix(), 10)
	if len(t) > 7 {
		t = t[:len(t)-7]
	} else {
		t = ""
	}
	return md5hex(t + username + strconv.FormatInt(uid, 10) + sessionKey(authkey, saltkey))[8:16]
}
