package discuz

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCookieName(t *testing.T) {
	// Hash parts computed with PHP 8.2: substr(md5($path.'|'.$domain), 0, 4).
	tests := []struct {
		pre, path, domain, name, want string
	}{
		{"OqGo_", "/", "", "auth", "OqGo_2132_auth"},
		{"OqGo_", "", "", "saltkey", "OqGo_2132_saltkey"}, // "" becomes "/"
		{"x_", "/bbs/", ".example.com", "auth", "x_7a3a_auth"},
		{"x_", "bbs", "example.com", "auth", "x_5ab3_auth"}, // "bbs" becomes "/bbs"
	}
	for _, tt := range tests {
		if got := CookieName(tt.pre, tt.path, tt.domain, tt.name); got != tt.want {
			t.Errorf("CookieName(%q, %q, %q, %q) = %q, want %q", tt.pre, tt.path, tt.domain, tt.name, got, tt.want)
		}
	}
}

func TestNewSaltkey(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		s, err := NewSaltkey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 8 || strings.Trim(s, alnum) != "" {
			t.Fatalf("saltkey %q: want 8 chars of [0-9a-zA-Z]", s)
		}
		seen[s] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct saltkeys out of 50", len(seen))
	}
	// Bytes >= 248 are rejected to avoid modulo bias; 0..61 map straight on.
	s, err := NewSaltkey(bytes.NewReader(append([]byte{255, 0, 1, 61, 10, 36, 248, 2, 3, 4}, make([]byte, 20)...)))
	if err != nil || s != "01ZaA234" {
		t.Errorf("NewSaltkey(fixed) = %q, %v; want 01ZaA234", s, err)
	}
	if _, err := NewSaltkey(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Error("short random source accepted")
	}
}

const (
	testAuthkey  = "AuthKeyFromConfig"
	testSaltkey  = "Ab3dEf9H"
	testMemberPW = "5f4dcc3b5aa765d61d8327deb882cf99"
	// phpAuthCookie is PHP authcode("<pw>\t1", 'ENCODE', md5(authkey.saltkey))
	// with keyc fixed to "7a7a".
	phpAuthCookie = "7a7avDwOw1I6c9yZMt/XLPj3xbGz7fZPpW3sYKEMNQIBA4Px/54c0lQ+MBr50uKOARIGRkvCNrgyScNUjGDi"
)

func TestAuthCookieMatchesPHP(t *testing.T) {
	got, err := AuthCookie(testMemberPW, 1, testAuthkey, testSaltkey, keycReader(t, "7a7a"))
	if err != nil {
		t.Fatal(err)
	}
	if got != phpAuthCookie {
		t.Errorf("AuthCookie = %q, PHP gave %q", got, phpAuthCookie)
	}
	if _, err := AuthCookie(testMemberPW, 1, "", testSaltkey, rand.Reader); err == nil {
		t.Error("empty authkey accepted")
	}
}

func TestParseAuthCookie(t *testing.T) {
	urlEncoded := strings.NewReplacer("+", "%2B", "/", "%2F").Replace(phpAuthCookie)
	lowerEncoded := strings.NewReplacer("+", "%2b", "/", "%2f").Replace(phpAuthCookie)
	for name, v := range map[string]string{"raw": phpAuthCookie, "url-encoded": urlEncoded, "lower-case escapes": lowerEncoded} {
		pw, uid, err := ParseAuthCookie(v, testAuthkey, testSaltkey, testNow)
		if err != nil || pw != testMemberPW || uid != 1 {
			t.Errorf("%s: ParseAuthCookie = %q, %d, %v", name, pw, uid, err)
		}
	}
	if _, _, err := ParseAuthCookie(phpAuthCookie, testAuthkey, "otherSalt", testNow); !errors.Is(err, ErrAuthcodeChecksum) {
		t.Errorf("other saltkey: err = %v, want ErrAuthcodeChecksum", err)
	}
	if _, _, err := ParseAuthCookie(strings.ReplaceAll(phpAuthCookie, "+", " "), testAuthkey, testSaltkey, testNow); err == nil {
		t.Error("'+' turned into a space still decoded; the test value should contain '+'")
	}
	if _, _, err := ParseAuthCookie(phpAuthCookie, "", testSaltkey, testNow); err == nil {
		t.Error("empty authkey accepted")
	}
}

func TestParseAuthCookieRejectsBadPlaintext(t *testing.T) {
	key := sessionKey(testAuthkey, testSaltkey)
	for _, plain := range []string{"nouid", "pw\t0", "pw\t-1", "pw\tx", "pw\t1\t2", "pw\t+1", "pw\t", "pw\t99999999999999999999"} {
		v, err := AuthcodeEncode(plain, key, 0, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ParseAuthCookie(v, testAuthkey, testSaltkey, testNow); !errors.Is(err, ErrAuthCookieMalformed) {
			t.Errorf("plaintext %q: err = %v, want ErrAuthCookieMalformed", plain, err)
		}
	}
	// A future expiry is honoured and an empty password is still well-formed.
	v, err := AuthcodeEncode("\t7", key, testNow.Unix()+10, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if pw, uid, err := ParseAuthCookie(v, testAuthkey, testSaltkey, testNow); err != nil || pw != "" || uid != 7 {
		t.Errorf("ParseAuthCookie = %q, %d, %v", pw, uid, err)
	}
	if _, _, err := ParseAuthCookie(v, testAuthkey, testSaltkey, testNow.Add(10*time.Second)); !errors.Is(err, ErrAuthcodeExpired) {
		t.Errorf("expired: err = %v", err)
	}
}

func TestAuthCookieRoundTrip(t *testing.T) {
	salt, err := NewSaltkey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v, err := AuthCookie("abc", 123456, testAuthkey, salt, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if pw, uid, err := ParseAuthCookie(v, testAuthkey, salt, testNow); err != nil || pw != "abc" || uid != 123456 {
		t.Errorf("round trip = %q, %d, %v", pw, uid, err)
	}
}

func TestRawURLDecode(t *testing.T) {
	tests := map[string]string{
		"a%2Bb%2fc": "a+b/c", "a+b": "a+b", "%zz": "%zz", "%2": "%2", "%": "%", "100%25": "100%", "%41%": "A%",
	}
	for in, want := range tests {
		if got := rawURLDecode(in); got != want {
			t.Errorf("rawURLDecode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormhash(t *testing.T) {
	// Expected values from PHP 8.2:
	// substr(md5(substr($t, 0, -7).$username.$uid.md5($authkey.$saltkey)), 8, 8)
	tests := []struct {
		t        int64
		username string
		uid      int64
		want     string
	}{
		{1700000000, "", 0, "422f73cb"},
		{1700000000, "admin", 1, "30a706c7"},
		{1234567, "x", 5, "43c6c1e3"}, // fewer than 8 digits: T is ""
		{1799999999, "中文名", 42, "c56ab4a6"},
	}
	for _, tt := range tests {
		if got := Formhash(time.Unix(tt.t, 0), tt.username, tt.uid, testAuthkey, testSaltkey); got != tt.want {
			t.Errorf("Formhash(%d, %q, %d) = %q, want %q", tt.t, tt.username, tt.uid, got, tt.want)
		}
	}
	// QQ's state for the guest case, also from PHP.
	if got := md5hex(Formhash(time.Unix(1700000000, 0), "", 0, testAuthkey, testSaltkey)); got != "439ea31bd9760aa0ad5eed6bdc93acb5" {
		t.Errorf("state = %q", got)
	}
	// Same bucket, same hash; next bucket, another one.
	a := Formhash(time.Unix(1700000000, 0), "", 0, testAuthkey, testSaltkey)
	if b := Formhash(time.Unix(1709999999, 0), "", 0, testAuthkey, testSaltkey); a != b {
		t.Error("formhash changed inside one 10^7 s bucket")
	}
	if b := Formhash(time.Unix(1710000000, 0), "", 0, testAuthkey, testSaltkey); a == b {
		t.Error("formhash did not change across buckets")
	}
}

func TestCookiePrefix(t *testing.T) {
	tests := []struct{ pre, path, domain, want string }{
		{"OqGo_", "/", "", "OqGo_2132_"},
		{"", "/", "", "2132_"},
		{"x_", "/bbs/", ".example.com", "x_7a3a_"},
	}
	for _, tt := range tests {
		if got := CookiePrefix(tt.pre, tt.path, tt.domain); got != tt.want {
			t.Errorf("CookiePrefix(%q, %q, %q) = %q, want %q", tt.pre, tt.path, tt.domain, got, tt.want)
		}
		if got, want := CookieName(tt.pre, tt.path, tt.domain, "auth"), tt.want+"auth"; got != want {
			t.Errorf("CookieName(..., auth) = %q, want %q", got, want)
		}
	}
}

// TestQQHelperCookies: the values and lifetimes of connect_login.php
// (connect_login() and branch A), member_connect_logging.php and
// member_connect_register.php; a password login sets none.
func TestQQHelperCookies(t *testing.T) {
	const openid = "0123456789ABCDEF0123456789ABCDEF"
	tests := []struct {
		name string
		kind QQLoginKind
		want []HelperCookie
	}{
		{"password", NotQQ, nil},
		{"unknown kind", QQLoginKind(99), nil},
		{"QQ sign-in", QQSignIn, []HelperCookie{
			{"connect_login", "1", 1296000}, {"connect_is_bind", "1", 31536000}, {"connect_uin", openid, 31536000}}},
		{"bind or register", QQBind, []HelperCookie{
			{"connect_login", "1", 31536000}, {"connect_is_bind", "1", 31536000}, {"connect_uin", openid, 31536000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := QQHelperCookies(tt.kind, openid)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("cookie %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestClearedAtLogout(t *testing.T) {
	tests := []struct {
		name   string
		unbind bool
		want   bool
	}{
		{"auth", false, true},
		{"connect_uin", false, true},
		{"widthauto", false, false}, // clearcookies() keeps the page width
		{"widthauto", true, true},   // connect_config.php's unbind does not
	}
	for _, tt := range tests {
		if got := ClearedAtLogout(tt.name, tt.unbind); got != tt.want {
			t.Errorf("ClearedAtLogout(%q, %v) = %v, want %v", tt.name, tt.unbind, got, tt.want)
		}
	}
}
