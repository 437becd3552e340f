package discuz

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestGuestAuthHash(t *testing.T) {
	const openid = "A1B2C3D4E5F60718293A4B5C6D7E8F90"
	now := time.Unix(1700000000, 0)
	fixed := func() *bytes.Reader { return bytes.NewReader([]byte{0x7a, 0x7a}) }
	v, err := GuestAuthHash(openid, testAuthkey, testSaltkey, fixed())
	if err != nil {
		t.Fatal(err)
	}
	// The same key material as the auth cookie (whose PHP vector
	// TestAuthCookie checks): authcode's default key is $_G['authkey'].
	want, _ := AuthcodeEncode(openid, md5hex(testAuthkey+testSaltkey), 0, fixed())
	if v != want || v[:4] != "7a7a" {
		t.Fatalf("con_auth_hash = %q, want %q", v, want)
	}
	for _, tc := range []struct {
		name, value, salt string
		want              string
		fails             bool
	}{
		{"raw", v, testSaltkey, openid, false},
		{"as the browser sends it", "7a7a" + escapePlusSlash(v[4:]), testSaltkey, openid, false},
		{"another browser's saltkey", v, "Zz9yXw8V", "", true},
		{"no saltkey", v, "", "", true},
		{"tampered", v[:len(v)-2] + "AA", testSaltkey, "", true},
	} {
		got, err := ParseGuestAuthHash(tc.value, testAuthkey, tc.salt, now)
		if (err != nil) != tc.fails || got != tc.want {
			t.Errorf("%s: ParseGuestAuthHash = %q, %v; want %q (fails %v)", tc.name, got, err, tc.want, tc.fails)
		}
	}
	if _, err := GuestAuthHash(openid, "", testSaltkey, fixed()); err == nil {
		t.Error("empty authkey accepted")
	}
	if _, err := ParseGuestAuthHash(v, testAuthkey, testSaltkey, now); errors.Is(err, ErrAuthcodeExpired) {
		t.Error("con_auth_hash carries an expiry; Discuz writes none (the cookie's life is the limit)")
	}
}

func escapePlusSlash(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '+':
			b = append(b, "%2B"...)
		case '/':
			b = append(b, "%2F"...)
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}

func TestGuestUsername(t *testing.T) {
	for in, want := range map[string]string{
		"A1B2C3D4E5F60718293A4B5C6D7E8F90": "QQ_7E8F90",
		"ABC":                              "QQ_ABC",
	} {
		if got := GuestUsername(in); got != want {
			t.Errorf("GuestUsername(%q) = %q, want %q", in, got, want)
		}
	}
}
