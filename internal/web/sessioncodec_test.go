package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
)

// TestSessionCodec: values survive the round trip (rare CJK, emoji, empty
// strings, long values); a cookie that was changed, renamed, sealed with
// another key or too old does not open.
func TestSessionCodec(t *testing.T) {
	key := derive("authkey-of-the-site", "qqconnect session aead")
	c, err := newSessionCodec(key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1800000000, 0)
	c.now = func() time.Time { return now }
	values := map[any]any{"bid": RandomToken(32), "csrf": "", "flash": "𠮷 QQ绑定成功 🐧", "states": strings.Repeat(`[{"h":"x"}]`, 300)}
	sealed, err := c.Encode(SessionName, values)
	if err != nil {
		t.Fatal(err)
	}
	var got map[any]any
	if err := c.Decode(SessionName, sealed, &got); err != nil || len(got) != len(values) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for k, v := range values {
		if got[k] != v {
			t.Errorf("%v: %q, want %q", k, got[k], v)
		}
	}
	if again, _ := c.Encode(SessionName, values); again == sealed {
		t.Error("two seals of the same values are equal: the nonce is not random")
	}

	other, _ := newSessionCodec(derive("another-site", "qqconnect session aead"), time.Hour)
	flip := []byte(sealed)
	flip[len(flip)/2] ^= 1
	cases := []struct {
		name, cookie, value string
		codec               *sessionCodec
		age                 time.Duration
	}{
		{"one character changed", SessionName, string(flip), c, 0},
		{"another cookie's name", "qqc_admin", sealed, c, 0},
		{"another site's key", SessionName, sealed, other, 0},
		{"older than maxAge", SessionName, sealed, c, time.Hour + time.Second},
		{"cut short", SessionName, sealed[:20], c, 0},
		{"not base64", SessionName, "!!!" + sealed, c, 0},
		{"empty", SessionName, "", c, 0},
	}
	for _, tc := range cases {
		tc.codec.now = func() time.Time { return now.Add(tc.age) }
		var m map[any]any
		if err := tc.codec.Decode(tc.cookie, tc.value, &m); err == nil || m != nil {
			t.Errorf("%s: opened (%v), want refused", tc.name, m)
		}
	}
	if _, err := c.Encode(SessionName, map[any]any{"n": 1}); err == nil {
		t.Error("a non-string value was encoded")
	}
}

// TestSessionStoreReadsLegacyCookies: a session sealed by an earlier
// release (gorilla's securecookie with the same derived keys) still opens,
// and is written back in the new format.
func TestSessionStoreReadsLegacyCookies(t *testing.T) {
	const authkey = "authkey-of-the-site"
	legacy := securecookie.New(derive(authkey, "qqconnect session hmac"), derive(authkey, "qqconnect session aes"))
	old, err := legacy.Encode(SessionName, map[any]any{"bid": "browser-1"})
	if err != nil {
		t.Fatal(err)
	}
	st := NewSessionStore(authkey, "/", false)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: SessionName, Value: old})
	s, err := st.Get(req, SessionName)
	if err != nil || s.Values["bid"] != "browser-1" {
		t.Fatalf("legacy cookie: %v %v", s.Values, err)
	}
	rec := httptest.NewRecorder()
	if err := s.Save(req, rec); err != nil {
		t.Fatal(err)
	}
	ck := rec.Result().Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("saved cookie: %+v", ck)
	}
	var m map[any]any
	if err := legacy.Decode(SessionName, ck[0].Value, &m); err == nil {
		t.Error("the session was written back in the old format")
	}
	req2 := httptest.NewRequest(http.MethodGet, "/", nil)
	req2.AddCookie(ck[0])
	if s2, err := NewSessionStore(authkey, "/", false).Get(req2, SessionName); err != nil || s2.Values["bid"] != "browser-1" {
		t.Fatalf("new cookie: %v %v", s2.Values, err)
	}
}
