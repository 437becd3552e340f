package app

import (
	"database/sql"
	"fmt"
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
			rep := doctor.Run(t.Context(), DoctorEnv(s.Cfg, s.App, nil))
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

// ucChecksum fingerprints UCenter's two member tables on its own server.
func ucChecksum(t *testing.T, uc *testdb.RemoteUCenter) string {
	t.Helper()
	var out strings.Builder
	for _, tb := range []string{"pre_ucenter_members", "pre_ucenter_memberfields"} {
		var name string
		var sum sql.NullInt64
		if err := uc.SQL.QueryRow("CHECKSUM TABLE "+tb).Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s=%d;", tb, sum.Int64)
	}
	return out.String()
}

// forumChecksum is testSite.checksum without UCenter's tables, which are
// not on the forum's server here.
func forumChecksum(t *testing.T, s *testSite) string {
	t.Helper()
	var out strings.Builder
	for _, tb := range []string{"pre_common_member", "pre_common_member_connect", "pre_connect_memberbindlog",
		"pre_common_member_status", "pre_common_member_count", "pre_common_member_profile",
		"pre_common_member_field_forum", "pre_common_member_field_home", "pre_qqconnect_identity"} {
		var name string
		var sum sql.NullInt64
		if err := s.DB.SQL.QueryRow("CHECKSUM TABLE "+tb).Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s=%d;", tb, sum.Int64)
	}
	return out.String()
}

// TestUCenterOnAnotherServer (issue 10 part 3): UCenter's tables live on a
// second MySQL server (UC_DBHOST differs), reached with config_ucenter.php's
// own account; the forum's server has none of them, so a statement sent to
// the wrong server fails. Register, bind, unbind with a new password and the
// admin sign-in work; a failure on either server during a register or an
// unbind leaves both servers as they were (UCenter's rows are written first
// and undone when the forum's side fails, as there is no transaction across
// servers); the doctor says where UCenter is.
func TestUCenterOnAnotherServer(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			db := testdb.New(t, v)
			uc := db.MoveUCenter(t)
			defines := fmt.Sprintf("define('UC_CONNECT', 'mysql');\ndefine('UC_DBHOST', '%s');\ndefine('UC_DBUSER', '%s');\ndefine('UC_DBPW', '%s');\n"+
				"define('UC_DBNAME', '%s');\ndefine('UC_DBCHARSET', '%s');\ndefine('UC_DBTABLEPRE', '`%s`.pre_ucenter_');\n",
				uc.Host, uc.User, uc.Pass, uc.DB, db.Charset, uc.DB)
			host := uc.Host
			root := db.DiscuzRoot(t, db.Charset, defines)
			s := newTestSiteOn(t, db, map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_DB_DSN": ""}, nil)
			if !s.App.Store.UCRemote() || s.Cfg.UCHost != host {
				t.Fatalf("UCenter not on its own server: remote=%v host=%q", s.App.Store.UCRemote(), s.Cfg.UCHost)
			}
			for _, c := range doctor.Run(t.Context(), DoctorEnv(s.Cfg, s.App, nil)).Checks {
				if c.ID == "ucenter" && (c.Status != doctor.OK || !strings.Contains(c.Detail, "another MySQL server") || !strings.Contains(c.Detail, host)) {
					t.Errorf("doctor ucenter check: %+v", c)
				}
			}

			// Register through QQ: UCenter's rows on its server, the forum's here, one uid.
			b := s.browser()
			b.qqLogin("97001", "/")
			resp, body := b.post(bindPath, "/connect/qq/register", url.Values{"username": {"remote1"}, "email": {"remote1@example.com"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("register: %d %.400s", resp.StatusCode, body)
			}
			uid := b.discuzLogin()
			var ucName string
			if err := uc.SQL.QueryRow("SELECT u.username FROM pre_ucenter_members u JOIN pre_ucenter_memberfields f USING (uid) WHERE u.uid = ?", uid).Scan(&ucName); err != nil || ucName != "remote1" {
				t.Fatalf("UCenter row of uid %d: %q %v", uid, ucName, err)
			}
			if n := s.count("SELECT count(*) FROM pre_common_member WHERE uid = ? AND username = 'remote1' AND conisbind = 1", uid); n != 1 {
				t.Fatal("forum member row not written with UCenter's uid")
			}
			// Duplicate email: UCenter's doublee and its members, read there.
			b2 := s.browser()
			b2.qqLogin("97002", "/")
			if resp, body := b2.post(bindPath, "/connect/qq/register", url.Values{"username": {"remote2"}, "email": {"remote1@example.com"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "已被注册") {
				t.Fatalf("duplicate email: %d %.300s", resp.StatusCode, body)
			}

			// A failure on the forum's server after UCenter's rows were written.
			s.DB.Exec(t, `CREATE TRIGGER qqc_fail_bindlog BEFORE INSERT ON pre_connect_memberbindlog
				FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'`)
			forum, ucSum := forumChecksum(t, s), ucChecksum(t, uc)
			if resp, body := b2.post(bindPath, "/connect/qq/register", url.Values{"username": {"remote2"}, "email": {"remote2@example.com"}}); resp.StatusCode != http.StatusInternalServerError || strings.Contains(body, "injected") {
				t.Fatalf("register with a failing forum write: %d %.300s", resp.StatusCode, body)
			}
			if forumChecksum(t, s) != forum || ucChecksum(t, uc) != ucSum {
				t.Fatal("a register that failed on the forum's server left rows on one of the servers")
			}
			// Unbind with a new password fails on the forum's side: UCenter's password is put back.
			var pw string
			uc.SQL.QueryRow("SELECT password FROM pre_ucenter_members WHERE uid = ?", uid).Scan(&pw)
			if resp, _ := b.post("/connect/qq/unbind", "/connect/qq/unbind", url.Values{"newpassword1": {"new-pw-123"}, "newpassword2": {"new-pw-123"}}); resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("unbind with a failing forum write: %d", resp.StatusCode)
			}
			if forumChecksum(t, s) != forum || ucChecksum(t, uc) != ucSum {
				t.Fatal("an unbind that failed on the forum's server changed a row (UCenter's password not restored?)")
			}
			s.DB.Exec(t, "DROP TRIGGER qqc_fail_bindlog")

			// A failure on UCenter's server part-way (its memberfields row).
			if _, err := uc.SQL.Exec(`CREATE TRIGGER qqc_fail_ucf BEFORE INSERT ON pre_ucenter_memberfields
				FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'`); err != nil {
				t.Fatal(err)
			}
			if resp, _ := b2.post(bindPath, "/connect/qq/register", url.Values{"username": {"remote2"}, "email": {"remote2@example.com"}}); resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("register with a failing UCenter write: %d", resp.StatusCode)
			}
			if forumChecksum(t, s) != forum || ucChecksum(t, uc) != ucSum {
				t.Fatal("a register that failed on UCenter's server left rows behind")
			}
			if _, err := uc.SQL.Exec("DROP TRIGGER qqc_fail_ucf"); err != nil {
				t.Fatal(err)
			}
			// With both faults gone the same pending identity registers.
			if resp, body := b2.post(bindPath, "/connect/qq/register", url.Values{"username": {"remote2"}, "email": {"remote2@example.com"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("register after the faults: %d %.300s", resp.StatusCode, body)
			}

			// Unbind the QQ-made account: the new password goes to UCenter's server.
			if resp, body := b.post("/connect/qq/unbind", "/connect/qq/unbind", url.Values{"newpassword1": {"new-pw-123"}, "newpassword2": {"new-pw-123"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("unbind: %d %.300s", resp.StatusCode, body)
			}
			var newPW string
			uc.SQL.QueryRow("SELECT password FROM pre_ucenter_members WHERE uid = ?", uid).Scan(&newPW)
			if newPW == pw || newPW == "" {
				t.Fatal("UCenter's password not changed at unbind")
			}
			// The new password works: the admin sign-in checks it there.
			s.DB.Exec(t, "UPDATE pre_common_member SET adminid = 1 WHERE uid = ?", uid)
			if resp, body := s.browser().adminLogin("remote1", "new-pw-123"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("admin sign-in with the password set at unbind: %d %.300s", resp.StatusCode, body)
			}
			// Bind an existing account: its password is checked on UCenter's server.
			b3 := s.browser()
			b3.qqLogin("97003", "/")
			if resp, body := b3.post(bindPath, bindPath, url.Values{"username": {"remote1"}, "password": {"new-pw-123"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("bind: %d %.300s", resp.StatusCode, body)
			}
		})
	}
}
