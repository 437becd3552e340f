package models_test

import (
	"context"
	"testing"

	"qqconnect/internal/testdb"
	"qqconnect/models"
)

// LoginLookup must read the same rows as the single-row lookups, on both
// databases, for every case a callback meets.
func TestLoginLookup(t *testing.T) {
	stores := map[string]func(t *testing.T) *models.Store{
		"mysql":  func(t *testing.T) *models.Store { s, _ := newMySQLStore(t, testdb.X35); return s },
		"sqlite": newSQLiteStore,
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			mustExec(t, s, "INSERT INTO pre_common_member (uid, username, password, email, groupid, regdate, credits, conisbind, adminid) VALUES (9001, '企鹅🐧', 'pw9001', 'a@example.com', 10, 1700000000, 42, 1, 0)")
			mustExec(t, s, "INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conisregister, conuintoken) VALUES (9001, '', '', 'AAAA1111', 1, 1, 'tok')")
			mustExec(t, s, "INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conuintoken) VALUES (9002, '', '', 'BBBB2222', 1, '')")
			mustExec(t, s, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES ('CCCC3333', 0, 1700000000)")

			f, err := s.LoginLookup(ctx, "aaaa1111")
			if err != nil {
				t.Fatal(err)
			}
			wantConn, _ := s.ConnectByOpenID(ctx, "AAAA1111")
			wantMember, _ := s.MemberByUID(ctx, 9001)
			if f.Blacklisted || f.Connect == nil || *f.Connect != *wantConn || f.Member == nil || *f.Member != *wantMember {
				t.Fatalf("bound: %+v %+v %+v, want %+v %+v", f.Blacklisted, f.Connect, f.Member, wantConn, wantMember)
			}
			if f.Member.Password != "pw9001" || f.Member.Credits != 42 || f.Connect.ConIsRegister != 1 {
				t.Fatalf("fields not read: %+v %+v", f.Member, f.Connect)
			}
			f, err = s.LoginLookup(ctx, "BBBB2222") // a binding whose member is gone
			if err != nil || f.Connect == nil || f.Connect.UID != 9002 || f.Member != nil {
				t.Fatalf("orphan binding: %+v %v", f, err)
			}
			f, err = s.LoginLookup(ctx, "CCCC3333")
			if err != nil || !f.Blacklisted || f.Connect != nil || f.Member != nil {
				t.Fatalf("blacklisted: %+v %v", f, err)
			}
			f, err = s.LoginLookup(ctx, "DDDD4444")
			if err != nil || f.Blacklisted || f.Connect != nil || f.Member != nil {
				t.Fatalf("unknown: %+v %v", f, err)
			}
		})
	}
}
