package admin

import (
	"reflect"
	"testing"
	"time"

	"qqconnect/admin/repair"
	"qqconnect/models"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/admin/doctor":        "/admin/doctor",
		"/admin/audit/3":       "/admin/audit/3",
		"//evil.example":       "/admin/",
		"https://evil.example": "/admin/",
		"/connect/qq/bind":     "/admin/",
		"/admin\\@evil":        "/admin/",
		"":                     "/admin/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSealedArgs: set-app-key's arguments survive the round trip only for
// the same admin session and only within the re-auth window.
func TestSealedArgs(t *testing.T) {
	now := time.Unix(1767225600, 0)
	a := &Admin{Now: func() time.Time { return now }}
	s := &models.AdminSession{IDHash: "a", CSRF: "token-a"}
	for _, args := range []repair.Args{
		{Connect: map[string]string{"allow": "1", "register_groupid": "20", "newbiespan": ""}},
		{AppID: "101234567", AppKey: "0123456789abcdef0123456789abcdef"},
	} {
		sealed, err := a.seal(s, args)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := a.unseal(s, sealed); err != nil || !reflect.DeepEqual(got, args) {
			t.Fatalf("unseal: %v %+v", err, got)
		}
	}
	args := repair.Args{AppID: "101234567", AppKey: "0123456789abcdef0123456789abcdef"}
	sealed, err := a.seal(s, args)
	if err != nil {
		t.Fatal(err)
	}
	other := &models.AdminSession{IDHash: "b", CSRF: "token-b"}
	if _, err := a.unseal(other, sealed); err == nil {
		t.Fatal("another admin session opened the sealed AppKey")
	}
	now = now.Add(ReauthWindow + time.Second)
	if _, err := a.unseal(s, sealed); err == nil {
		t.Fatal("an expired seal was accepted")
	}
	if _, err := a.unseal(s, sealed[:len(sealed)-2]+"xx"); err == nil {
		t.Fatal("a tampered seal was accepted")
	}
}
