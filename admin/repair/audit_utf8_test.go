package repair_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"qqconnect/admin/repair"
	"qqconnect/internal/testdb"
)

// TestAuditHostileActorText: a User-Agent (or name) that is long, multi-byte
// at the 255-character boundary, or not UTF-8 at all must not fail a repair
// on strict MariaDB, and must be stored as valid UTF-8 that fits the column.
func TestAuditHostileActorText(t *testing.T) {
	a254 := strings.Repeat("a", 254)
	tests := []struct {
		name             string
		ua, actorName    string
		wantUA, wantName string
	}{
		{"long ASCII", strings.Repeat("a", 300), "admin", strings.Repeat("a", 255), "admin"},
		{"CJK at the boundary", a254 + "浏览器 Safari/537.36", "管理员", a254 + "浏", "管理员"},
		{"emoji at the boundary", a254 + "😀😀", "admin", a254 + "😀", "admin"},
		{"short invalid UTF-8", "Mozilla/5.0 \xff\xfe\xfd (X11)", "admin", "Mozilla/5.0 \uFFFD (X11)", "admin"},
		{"invalid UTF-8 near the boundary", strings.Repeat("a", 250) + "\xe6\xb5" + strings.Repeat("b", 10), "admin",
			strings.Repeat("a", 250) + "\uFFFDbbbb", "admin"},
		{"invalid UTF-8 in the name", "test", "adm\xc0in", "test", "adm\uFFFDin"},
	}
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newSite(t, version)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					// toggle the plugin so that every apply has something to change
					action := repair.PluginDisable
					if s.available() == 0 {
						action = repair.PluginEnable
					}
					actor := repair.Actor{UID: 1, Name: tt.actorName, IP: "127.0.0.1", UserAgent: tt.ua, Source: "web"}
					entry, _, err := s.R.Apply(ctx, action, repair.Args{}, actor)
					if err != nil {
						t.Fatalf("apply %s: %v", action, err)
					}
					if entry == nil {
						t.Fatalf("apply %s wrote no audit entry", action)
					}
					var ua, name string
					if err := s.D.SQL.QueryRow("SELECT user_agent, actor_name FROM pre_qqconnect_audit WHERE id = ?", entry.ID).Scan(&ua, &name); err != nil {
						t.Fatal(err)
					}
					if !utf8.ValidString(ua) || utf8.RuneCountInString(ua) > 255 {
						t.Errorf("stored user_agent %q: not valid UTF-8 of at most 255 characters", ua)
					}
					if ua != tt.wantUA {
						t.Errorf("stored user_agent %q, want %q", ua, tt.wantUA)
					}
					if name != tt.wantName {
						t.Errorf("stored actor_name %q, want %q", name, tt.wantName)
					}
				})
			}
		})
	}
}
