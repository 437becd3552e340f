package main

import (
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"qqconnect/admin/doctor"
	"qqconnect/internal/testdb"
	"qqconnect/plugin/sandbox"
)

// ucenterElsewhere moves the site's UCenter tables into a database of their
// own on the same server, as a site whose UCenter serves several
// applications has them (UC_DBTABLEPRE "`ucdb`.pre_ucenter_"), and points
// qqconnect there the way config_ucenter.php would.
func ucenterElsewhere(t *testing.T) func(db *testdb.DB) map[string]string {
	return func(db *testdb.DB) map[string]string {
		ucdb := db.Name + "_uc"
		admin, err := sql.Open("mysql", testdb.ServerDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS `" + ucdb + "`")
			admin.Close()
		})
		if _, err := admin.Exec("CREATE DATABASE `" + ucdb + "`"); err != nil {
			t.Fatal(err)
		}
		rows, err := db.SQL.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'pre\\_ucenter\\_%'")
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			tables = append(tables, n)
		}
		rows.Close()
		if len(tables) < 10 {
			t.Fatalf("only %d UCenter tables to move", len(tables))
		}
		for _, tb := range tables {
			db.Exec(t, "RENAME TABLE `"+tb+"` TO `"+ucdb+"`.`"+tb+"`")
		}
		return map[string]string{"QQCONNECT_UC_TABLE_PREFIX": "`" + ucdb + "`.pre_ucenter_"}
	}
}

// TestUCenterInItsOwnDatabase (issue 10 part 3): with UCenter in another
// database on the forum's server, register, bind, unbind (with a new
// password) and the admin sign-in work and write UCenter's rows there; a
// failed registration leaves nothing in either database.
func TestUCenterInItsOwnDatabase(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSiteWith(t, v, nil, ucenterElsewhere(t))
			if !strings.Contains(s.uc("members"), ".") {
				t.Fatalf("UCenter table name %q is not qualified", s.uc("members"))
			}
			if n := s.count("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'pre_ucenter_members'"); n != 0 {
				t.Fatal("the forum database still has UCenter's members table")
			}
			// The doctor says where UCenter is and that it is readable.
			rep := doctor.Run(t.Context(), doctorEnv(s.Cfg, s.App, nil))
			var found bool
			for _, c := range rep.Checks {
				if c.ID == "ucenter" {
					found = true
					if c.Status != doctor.OK || !strings.Contains(c.Detail, s.DB.Name+"_uc") {
						t.Errorf("doctor ucenter check: %+v", c)
					}
				}
			}
			if !found {
				t.Error("no ucenter check in the doctor's report")
			}
			// Register through QQ: UCenter's rows land in UCenter's database.
			b := s.browser()
			b.qqLogin("98001", "/")
			resp, body := b.post(bindPath, "/connect/qq/register", url.Values{"username": {"ucelse"}, "email": {"ucelse@example.com"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("register: %d %.400s", resp.StatusCode, body)
			}
			uid := b.discuzLogin()
			if n := s.count("SELECT count(*) FROM "+s.uc("members")+" u JOIN "+s.uc("memberfields")+" f USING (uid) JOIN pre_common_member m USING (uid) WHERE u.uid=? AND u.username='ucelse' AND m.conisbind=1", uid); n != 1 {
				t.Fatal("UCenter rows not written in UCenter's database with the member's uid")
			}
			// Duplicate email (UCenter's doublee, read from its own settings table there).
			b2 := s.browser()
			b2.qqLogin("98002", "/")
			before := s.checksum()
			if resp, body := b2.post(bindPath, "/connect/qq/register", url.Values{"username": {"ucelse2"}, "email": {"ucelse@example.com"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "已被注册") {
				t.Fatalf("duplicate email: %d %.300s", resp.StatusCode, body)
			}
			if s.checksum() != before {
				t.Fatal("refused register wrote rows")
			}
			// Bind an existing account: its password is checked in UCenter's database.
			s.addMember("oldhand", "oldhand-pw-1", 10)
			if resp, body := b2.post(bindPath, bindPath, url.Values{"username": {"oldhand"}, "password": {"oldhand-pw-1"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("bind: %d %.300s", resp.StatusCode, body)
			}
			// Unbind the QQ-made account: the new password goes to UCenter's database.
			if resp, body := b.post("/connect/qq/unbind", "/connect/qq/unbind", url.Values{"newpassword1": {"new-pw-123"}, "newpassword2": {"new-pw-123"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("unbind: %d %.300s", resp.StatusCode, body)
			}
			if n := s.count("SELECT count(*) FROM pre_common_member_connect WHERE conopenid=?", sandbox.OpenID(s.AppID, "98001")); n != 0 {
				t.Fatal("binding not removed")
			}
			// The new password works (the admin sign-in reads the same table).
			s.DB.Exec(t, "UPDATE pre_common_member SET adminid=1 WHERE uid=?", uid)
			if resp, body := s.browser().adminLogin("ucelse", "new-pw-123"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("admin sign-in with the password set at unbind: %d %.300s", resp.StatusCode, body)
			}
		})
	}
}
