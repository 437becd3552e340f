package sandbox

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDerivedIDs(t *testing.T) {
	if got := OpenID(appID, "10001"); got != openid10001 {
		t.Errorf("OpenID = %s, want %s", got, openid10001)
	}
	if got := UnionID("10001"); got != unionid10001 {
		t.Errorf("UnionID = %s, want %s", got, unionid10001)
	}
	if OpenID(appID, "10001") == OpenID(app2ID, "10001") {
		t.Error("openid must differ per app")
	}
	if OpenID(appID, "10001") == OpenID(appID, "10002") {
		t.Error("openid must differ per user")
	}
	id := Identity{QQ: "10001"}
	if id.OpenID(appID) != openid10001 || id.UnionID() != unionid10001 {
		t.Error("Identity methods disagree with the functions")
	}
}

func TestSeedIdentities(t *testing.T) {
	e := newEnv(t)
	got := e.sb.Identities()
	if len(got) != 2 || got[0].QQ != "10001" || got[0].Nickname != "沙箱企鹅" || got[1].QQ != "10002" || got[1].Nickname != "小企鹅 🐧" {
		t.Errorf("seeds = %+v", got)
	}
}

func TestAddIdentity(t *testing.T) {
	tests := []struct {
		qq, nick string
		err      error
	}{
		{"12345", "ok", nil},
		{"12345678901", "ok", nil},
		{"1234", "short", ErrBadQQ},
		{"123456789012", "long", ErrBadQQ},
		{"01234", "zero", ErrBadQQ},
		{"1234５", "fullwidth digit", ErrBadQQ},
		{"", "empty", ErrBadQQ},
		{"12345", "", ErrBadNickname},
		{"12345", "   ", ErrBadNickname},
		{"12345", "a\nb", ErrBadNickname},
		{"12345", "\xff", ErrBadNickname},
		{"12345", strings.Repeat("🐧", 41), ErrBadNickname},
		{"12345", strings.Repeat("🐧", 40), nil},
		{"12345", "<b>企鹅</b>", nil},
	}
	for _, tc := range tests {
		t.Run(tc.qq+"/"+tc.nick, func(t *testing.T) {
			e := newEnv(t)
			id, err := e.sb.AddIdentity(tc.qq, tc.nick)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && (id.QQ != tc.qq || id.Nickname != strings.TrimSpace(tc.nick) || id.Color == "") {
				t.Errorf("identity = %+v", id)
			}
		})
	}
}

func TestAddIdentityRenames(t *testing.T) {
	e := newEnv(t)
	before := e.sb.Identities()[0]
	id, err := e.sb.AddIdentity("10001", "新名字")
	if err != nil || id.Nickname != "新名字" || id.Color != before.Color {
		t.Fatalf("rename = %+v, %v", id, err)
	}
	if n := len(e.sb.Identities()); n != 2 {
		t.Errorf("rename added an identity: %d", n)
	}
}

func TestIdentityCap(t *testing.T) {
	e := newEnv(t)
	var err error
	for i := 0; err == nil && i < maxIdentities+5; i++ {
		_, err = e.sb.AddIdentity(fmt.Sprintf("2%05d", i), "x")
	}
	if !errors.Is(err, ErrTooMany) || len(e.sb.Identities()) != maxIdentities {
		t.Errorf("err = %v, identities = %d", err, len(e.sb.Identities()))
	}
}

func TestAvatar(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sb.AddIdentity("30001", "<b>企鹅</b>"); err != nil {
		t.Fatal(err)
	}
	openid := OpenID(appID, "30001")
	tests := []struct {
		path   string
		status int
	}{
		{"/avatar/" + openid10001 + "/40", 200},
		{"/avatar/" + openid10001 + "/100", 200},
		{"/avatar/" + openid10001 + "/30", 200},
		{"/avatar/" + openid10001 + "/50", 200},
		{"/avatar/" + openid10001 + "/64", 404},
		{"/avatar/" + strings.ToLower(openid10001) + "/40", 404},
		{"/avatar/" + strings.Repeat("A", 32) + "/40", 404},
		{"/avatar/" + OpenID("nope", "10001") + "/40", 404},
		{"/avatar/" + openid + "/40", 200},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := e.get(tc.path, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if tc.status != 200 {
				return
			}
			if r.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("headers %v", r.header)
			}
			if !strings.HasPrefix(r.body, "<svg ") || !strings.HasSuffix(r.body, "</svg>") {
				t.Errorf("not an SVG: %q", r.body)
			}
		})
	}
	if r := e.get("/avatar/"+openid+"/40", nil); !strings.Contains(r.body, ">&lt;</text>") || strings.Contains(r.body, "<b>") {
		t.Errorf("initial not escaped: %q", r.body)
	}
	if r := e.get("/avatar/"+openid10001+"/100", nil); !strings.Contains(r.body, `width="100"`) || !strings.Contains(r.body, ">沙</text>") || !strings.Contains(r.body, "#12B7F5") {
		t.Errorf("seed avatar: %q", r.body)
	}
}

// TestAvatarAfterRestart: a fresh sandbox still serves the avatar URLs a
// previous one handed out for seeded identities, since openids are derived.
func TestAvatarAfterRestart(t *testing.T) {
	apps := &appList{apps: defaultApps()}
	sb := New(Options{Apps: apps.get, Prefix: prefix, Logger: slog.New(slog.DiscardHandler)})
	rec := httptest.NewRecorder()
	sb.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, prefix+"/avatar/"+OpenID(app2ID, "10002")+"/40", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), ">小</text>") {
		t.Errorf("status %d body %q", rec.Code, rec.Body.String())
	}
}

func TestNewPanicsOnMisuse(t *testing.T) {
	apps := (&appList{}).get
	for name, o := range map[string]Options{
		"nil Apps":        {},
		"relative prefix": {Apps: apps, Prefix: "sandbox"},
		"pattern prefix":  {Apps: apps, Prefix: "/{x}"},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			New(o)
		})
	}
	// A trailing slash is tolerated and trimmed.
	sb := New(Options{Apps: apps, Prefix: "/qq/", Logger: slog.New(slog.DiscardHandler)})
	rec := httptest.NewRecorder()
	sb.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/qq/oauth2.0/me?fmt=json", nil))
	if rec.Body.String() != `{"error":100007,"error_description":"param access token is wrong or lost "}` {
		t.Errorf("prefix /qq/: %d %q", rec.Code, rec.Body.String())
	}
}
