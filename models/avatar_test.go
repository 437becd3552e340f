package models_test

import (
	"context"
	"testing"

	"qqconnect/models"
)

// The avatar switch rides in the login's settings statement, on both
// databases, and reads exactly "1" as on; SetAvatarStatus changes only a
// member whose avatarstatus is 0.
func TestAvatarSwitchAndStatus(t *testing.T) {
	for name, open := range bothStores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			plain, err := s.LoadQQSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				value string // "" = no row
				on    bool
			}{{"", false}, {"1", true}, {"0", false}, {"yes", false}, {"1", true}} {
				if c.value == "" {
					mustExec(t, s, "DELETE FROM pre_qqconnect_meta WHERE k = ?", models.MetaAvatarImport)
				} else if err := s.SetMeta(ctx, models.MetaAvatarImport, c.value); err != nil {
					t.Fatal(err)
				}
				q, err := s.LoadLoginSettings(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if q.AvatarImport != c.on {
					t.Errorf("meta %q: AvatarImport = %v, want %v", c.value, q.AvatarImport, c.on)
				}
				// The rest is what LoadQQSettings reads.
				if q.AppID != plain.AppID || q.PluginInstalled != plain.PluginInstalled || q.PluginAvailable != plain.PluginAvailable || q.PluginVersion != plain.PluginVersion {
					t.Errorf("meta %q: settings differ: %+v vs %+v", c.value, q, plain)
				}
			}
			if q, _ := s.LoadQQSettings(ctx); q.AvatarImport {
				t.Error("LoadQQSettings read the switch (it must not touch qqconnect's tables)")
			}

			mustExec(t, s, "INSERT INTO pre_common_member (uid, username, password, email, groupid, regdate, avatarstatus) VALUES (9101, 'a9101', 'x', 'a@example.com', 10, 1700000000, 0)")
			mustExec(t, s, "INSERT INTO pre_common_member (uid, username, password, email, groupid, regdate, avatarstatus) VALUES (9102, 'a9102', 'x', 'b@example.com', 10, 1700000000, 1)")
			for _, c := range []struct {
				uid     int64
				changed bool
			}{{9101, true}, {9101, false}, {9102, false}, {9199, false}} {
				changed, err := s.SetAvatarStatus(ctx, c.uid)
				if err != nil || changed != c.changed {
					t.Errorf("SetAvatarStatus(%d) = %v %v, want %v", c.uid, changed, err, c.changed)
				}
			}
			m, _ := s.MemberByUID(ctx, 9101)
			if m.AvatarStatus != 1 {
				t.Errorf("avatarstatus %d, want 1", m.AvatarStatus)
			}
		})
	}
}
