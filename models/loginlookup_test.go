package models_test

import (
	"context"
	"testing"
	"time"

	"qqconnect/internal/testdb"
	"qqconnect/models"
)

// bothStores opens a store on MariaDB (X3.5) and on the standalone SQLite.
var bothStores = map[string]func(t *testing.T) *models.Store{
	"mysql":  func(t *testing.T) *models.Store { s, _ := newMySQLStore(t, testdb.X35); return s },
	"sqlite": newSQLiteStore,
}

// LoginLookup must read the same rows as the single-row lookups, on both
// databases, for every case a callback meets.
func TestLoginLookup(t *testing.T) {
	for name, open := range bothStores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			mustExec(t, s, "INSERT INTO pre_common_member (uid, username, password, email, groupid, regdate, credits, conisbind, adminid) VALUES (9001, '企鹅🐧', 'pw9001', 'a@example.com', 10, 1700000000, 42, 1, 0)")
			mustExec(t, s, "INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conisregister, conuintoken) VALUES (9001, '', '', 'AAAA1111', 1, 1, 'tok')")
			mustExec(t, s, "INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conuintoken) VALUES (9002, '', '', 'BBBB2222', 1, '')")
			mustExec(t, s, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES ('CCCC3333', 0, 1700000000)")

			f, err := s.LoginLookup(ctx, "101234567", "aaaa1111")
			if err != nil {
				t.Fatal(err)
			}
			wantConn, _ := s.ConnectByOpenID(ctx, "AAAA1111")
			wantMember, _ := s.MemberByUID(ctx, 9001)
			if f.Blacklisted || f.Connect == nil || *f.Connect != *wantConn || f.Member == nil || *f.Member != *wantMember {
				t.Fatalf("bound: %+v %+v %+v, want %+v %+v", f.Blacklisted, f.Connect, f.Member, wantConn, wantMember)
			}
			if f.Member.Password != "pw9001" || f.Member.Credits != 42 || f.Connect.ConIsRegister != 1 || f.IdentityID != 0 {
				t.Fatalf("fields not read: %+v %+v identity %d", f.Member, f.Connect, f.IdentityID)
			}
			if err := s.UpsertIdentity(ctx, nil, models.Identity{UID: 9001, AppID: "101234567", OpenID: "AAAA1111", Nickname: "企鹅"}); err != nil {
				t.Fatal(err)
			}
			want, _ := s.IdentityByUID(ctx, 9001)
			if f, err = s.LoginLookup(ctx, "101234567", "AAAA1111"); err != nil || want == nil || f.IdentityID != want.ID {
				t.Fatalf("identity: lookup %+v %v, want id of %+v", f, err, want)
			}
			if f, err = s.LoginLookup(ctx, "other-app", "AAAA1111"); err != nil || f.IdentityID != 0 {
				t.Fatalf("identity of another AppID: %+v %v", f, err)
			}
			f, err = s.LoginLookup(ctx, "101234567", "BBBB2222") // a binding whose member is gone
			if err != nil || f.Connect == nil || f.Connect.UID != 9002 || f.Member != nil {
				t.Fatalf("orphan binding: %+v %v", f, err)
			}
			f, err = s.LoginLookup(ctx, "101234567", "CCCC3333")
			if err != nil || !f.Blacklisted || f.Connect != nil || f.Member != nil {
				t.Fatalf("blacklisted: %+v %v", f, err)
			}
			mustExec(t, s, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES ('AAAA1111', 9001, 1700000000)")
			if f, err = s.LoginLookup(ctx, "101234567", "AAAA1111"); err != nil || !f.Blacklisted || f.Connect == nil || f.Member == nil {
				t.Fatalf("bound and blacklisted: %+v %v", f, err)
			}
			f, err = s.LoginLookup(ctx, "101234567", "DDDD4444")
			if err != nil || f.Blacklisted || f.Connect != nil || f.Member != nil {
				t.Fatalf("unknown: %+v %v", f, err)
			}
		})
	}
}

// RecordLogin writes the same rows whether the identity row was known
// (MariaDB: one UPDATE over the three tables) or not (a transaction), and
// a member without a status row still gets the rest.
func TestRecordLogin(t *testing.T) {
	cases := []struct {
		name          string
		knownIdentity bool
		statusRow     bool
	}{
		{"identity known", true, true},
		{"identity new", false, true},
		{"identity known, no status row", true, false},
	}
	for name, open := range bothStores {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				s := open(t)
				ctx := context.Background()
				mustExec(t, s, "INSERT INTO pre_common_member (uid, username, password, email, groupid, regdate, conisbind) VALUES (9001, 'm9001', 'pw', 'a@example.com', 10, 1700000000, 1)")
				mustExec(t, s, "INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conuintoken) VALUES (9001, '', '', 'AAAA1111', 0, 'old-token')")
				if tc.statusRow {
					mustExec(t, s, "INSERT INTO pre_common_member_status (uid, regip, lastip, lastvisit, lastactivity) VALUES (9001, '10.0.0.1', '10.0.0.1', 1700000000, 1700000000)")
				}
				if tc.knownIdentity {
					if err := s.UpsertIdentity(ctx, nil, models.Identity{UID: 9001, AppID: "101234567", OpenID: "AAAA1111", Nickname: "旧", CreatedAt: 1700000000, UpdatedAt: 1700000000}); err != nil {
						t.Fatal(err)
					}
				}
				f, err := s.LoginLookup(ctx, "101234567", "AAAA1111")
				if err != nil {
					t.Fatal(err)
				}
				now := time.Unix(1800000000, 0)
				union := "UNION-1"
				id := models.Identity{ID: f.IdentityID, UID: 9001, AppID: "101234567", OpenID: "AAAA1111", UnionID: &union,
					Nickname: "𠮷野家🐧", AvatarURL: "https://q.qlogo.cn/x/100", TokenExpiresAt: 1800007776, CreatedAt: now.Unix(), UpdatedAt: now.Unix()}
				if err := s.RecordLogin(ctx, 9001, "aaaa1111", models.QQCred{Token: "new-token"}, "192.0.2.7", id, now); err != nil {
					t.Fatal(err)
				}
				c, err := s.ConnectByOpenID(ctx, "AAAA1111")
				if err != nil || c.ConUinToken != "new-token" || c.ConIsFeed != 1 {
					t.Errorf("binding after login: %+v %v", c, err)
				}
				got, err := s.IdentityByUID(ctx, 9001)
				if err != nil || got.Nickname != id.Nickname || got.AvatarURL != id.AvatarURL || got.UnionID == nil || *got.UnionID != union ||
					got.TokenExpiresAt != id.TokenExpiresAt || got.UpdatedAt != now.Unix() {
					t.Errorf("identity after login: %+v %v", got, err)
				}
				if tc.knownIdentity && got.CreatedAt != 1700000000 {
					t.Errorf("created_at of a known identity changed to %d", got.CreatedAt)
				}
				var ip string
				var visit int64
				err = s.DB.Raw("SELECT lastip, lastvisit FROM pre_common_member_status WHERE uid = 9001").Row().Scan(&ip, &visit)
				if tc.statusRow && (err != nil || ip != "192.0.2.7" || visit != now.Unix()) {
					t.Errorf("status after login: %q %d %v", ip, visit, err)
				}
			})
		}
	}
}

// ListBindings pages newest uid first, tells whether more follow, and
// filters the accounts created through QQ, on both databases.
func TestListBindings(t *testing.T) {
	for name, open := range bothStores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			for i, reg := range []int{0, 1, 0} {
				uid := 9101 + i
				mustExec(t, s, "INSERT INTO pre_common_member (uid, username, password, email, groupid, regdate, conisbind) VALUES (?, ?, 'pw', 'a@example.com', 10, 1700000000, 1)", uid, "m"+string(rune('a'+i)))
				mustExec(t, s, "INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conisregister, conuintoken) VALUES (?, '', '', ?, 1, ?, '')", uid, "OPENID"+string(rune('A'+i)), reg)
			}
			mustExec(t, s, "INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conuintoken) VALUES (9200, 'LEGACY', 's', '', 1, '')") // no openid: not listed
			page, more, err := s.ListBindings(ctx, false, 2, 0)
			if err != nil || !more || len(page) != 2 || page[0].UID != 9103 || page[1].UID != 9102 || page[0].Username != "mc" {
				t.Fatalf("first page: %+v more %v %v", page, more, err)
			}
			page, more, err = s.ListBindings(ctx, false, 2, 2)
			if err != nil || more || len(page) != 1 || page[0].UID != 9101 {
				t.Fatalf("second page: %+v more %v %v", page, more, err)
			}
			page, more, err = s.ListBindings(ctx, true, 50, 0)
			if err != nil || more || len(page) != 1 || page[0].UID != 9102 || page[0].ConIsRegister != 1 || page[0].ConOpenID != "OPENIDB" {
				t.Fatalf("registered only: %+v more %v %v", page, more, err)
			}
		})
	}
}

// LoginAccount finds the account as Discuz's userlogin does, on X3.4's
// UCenter 1.6 (no phone numbers) and X3.5's 1.7.
func TestLoginAccount(t *testing.T) {
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			s, _ := newMySQLStore(t, version)
			ctx := context.Background()
			if err := models.CheckCompat(ctx, s); err != nil { // reads the schema: UCenter 1.6 or 1.7
				t.Fatal(err)
			}
			mustExec(t, s, "INSERT INTO pre_ucenter_members (uid, username, password, email, salt) VALUES (501, 'zhang', 'x', 'z@example.com', ''), (502, '12345', 'x', 'n@example.com', ''), (503, 'li', 'x', 'z@example.com', '')")
			if version == testdb.X35 {
				mustExec(t, s, "UPDATE pre_ucenter_members SET secmobicc = 86, secmobile = '13800138000' WHERE uid = 503")
			}
			setting := func(k, v string) {
				mustExec(t, s, "REPLACE INTO pre_common_setting (skey, svalue) VALUES (?, ?)", k, v)
			}
			setting("smsdefaultcc", "86")
			cases := []struct {
				uidlogin, mobilelogin string
				field, typed          string
				want                  int64 // 0: none
			}{
				{"0", "0", models.LoginByUsername, "zhang", 501},
				{"0", "0", models.LoginByUsername, "z@example.com", 0},
				{"0", "0", models.LoginByEmail, "z@example.com", 501}, // two accounts share it: the lowest uid, as fetch_first
				{"0", "0", models.LoginByEmail, "zhang", 0},
				{"0", "0", models.LoginByUID, "501", 0}, // without uidlogin the UID field is a username
				{"0", "0", models.LoginByUID, "12345", 502},
				{"1", "0", models.LoginByUID, "501", 501},
				{"1", "0", models.LoginAuto, "501", 501},
				{"1", "0", models.LoginAuto, "12345", 502}, // no uid 12345: the username
				{"0", "0", models.LoginAuto, "z@example.com", 501},
				{"0", "1", models.LoginBySecmobile, "13800138000", map[string]int64{testdb.X34: 0, testdb.X35: 503}[version]},
				{"0", "1", models.LoginBySecmobile, "86-13800138000", map[string]int64{testdb.X34: 0, testdb.X35: 503}[version]},
				{"0", "0", models.LoginBySecmobile, "13800138000", 0}, // secmobilelogin off: a username
				{"0", "1", models.LoginAuto, "13800138000", map[string]int64{testdb.X34: 0, testdb.X35: 503}[version]},
			}
			for _, c := range cases {
				setting("uidlogin", c.uidlogin)
				setting("secmobilelogin", c.mobilelogin)
				m, err := s.LoginAccount(ctx, c.typed, c.field)
				var got int64
				if m != nil {
					got = m.UID
				}
				if err != nil || got != c.want {
					t.Errorf("uidlogin=%s secmobilelogin=%s %s %q: uid %d (%v), want %d", c.uidlogin, c.mobilelogin, c.field, c.typed, got, err, c.want)
				}
			}
		})
	}
}
