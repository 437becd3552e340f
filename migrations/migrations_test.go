package migrations_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	_ "github.com/glebarez/go-sqlite"

	"qqconnect/internal/testdb"
	"qqconnect/migrations"
)

var ownTables = []string{"meta", "migrations", "identity", "oauth_state", "pending", "login_attempt", "audit", "admin_session", "claim"}

func openSQLite(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "t.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// applyTwice checks the idempotency contract: the first run applies every
// migration, the second none, and nothing is pending afterwards.
func applyTwice(t *testing.T, db *sql.DB, dialect, prefix string) {
	t.Helper()
	ctx := context.Background()
	pending, err := migrations.Pending(ctx, db, dialect, prefix)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	if len(pending) == 0 || pending[0] != 1 {
		t.Fatalf("Pending on empty db = %v, want [1 ...]", pending)
	}
	got, err := migrations.Apply(ctx, db, dialect, prefix)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !reflect.DeepEqual(got, pending) {
		t.Errorf("Apply = %v, want %v", got, pending)
	}
	got, err = migrations.Apply(ctx, db, dialect, prefix)
	if err != nil || len(got) != 0 {
		t.Errorf("second Apply = %v, %v; want nothing", got, err)
	}
	if p, err := migrations.Pending(ctx, db, dialect, prefix); err != nil || len(p) != 0 {
		t.Errorf("Pending after Apply = %v, %v", p, err)
	}
}

func TestApplySQLite(t *testing.T) {
	for _, prefix := range []string{"pre_", "bbs_x_"} {
		t.Run(prefix, func(t *testing.T) {
			db := openSQLite(t)
			applyTwice(t, db, migrations.SQLite, prefix)
			for _, table := range ownTables {
				var n int
				if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=?`, prefix+"qqconnect_"+table).Scan(&n); err != nil || n != 1 {
					t.Errorf("table %sqqconnect_%s: n=%d err=%v", prefix, table, n, err)
				}
			}
			identity := prefix + "qqconnect_identity"
			ins := `INSERT INTO ` + identity + ` (uid, appid, openid) VALUES (?, ?, ?)`
			if _, err := db.Exec(ins, 1, "app", "OPENID"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ins, 2, "app", "OPENID"); err == nil {
				t.Error("UNIQUE(appid, openid) not enforced")
			}
			if _, err := db.Exec(ins, 2, "other", "OPENID"); err != nil {
				t.Errorf("same openid under another appid refused: %v", err)
			}
		})
	}
}

func TestArgsValidated(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	tests := []struct{ dialect, prefix string }{
		{"postgres", "pre_"},
		{migrations.SQLite, "pre_; DROP TABLE x; --"},
		{migrations.MySQL, "pre-"},
	}
	for _, tt := range tests {
		if _, err := migrations.Apply(ctx, db, tt.dialect, tt.prefix); err == nil {
			t.Errorf("Apply(%q, %q) accepted", tt.dialect, tt.prefix)
		}
		if _, err := migrations.Pending(ctx, db, tt.dialect, tt.prefix); err == nil {
			t.Errorf("Pending(%q, %q) accepted", tt.dialect, tt.prefix)
		}
	}
	if err := migrations.DemoForum(ctx, db, "pre_", "pre_ucenter_`"); err == nil {
		t.Error("DemoForum accepted a bad UC prefix")
	}
}

func showCreate(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	var name, create string
	if err := db.QueryRow("SHOW CREATE TABLE `"+table+"`").Scan(&name, &create); err != nil {
		t.Fatalf("SHOW CREATE TABLE %s: %v", table, err)
	}
	return create
}

func TestApplyMariaDB(t *testing.T) {
	for _, v := range []string{testdb.X34, testdb.X35} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			d := testdb.New(t, v)
			discuz := []string{"pre_common_member", "pre_common_member_connect", "pre_common_setting", "pre_ucenter_members"}
			before := map[string]string{}
			for _, table := range discuz {
				before[table] = showCreate(t, d.SQL, table)
			}
			var tablesBefore int
			if err := d.SQL.QueryRow(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA=DATABASE()`).Scan(&tablesBefore); err != nil {
				t.Fatal(err)
			}

			applyTwice(t, d.SQL, migrations.MySQL, "pre_")

			for _, table := range discuz {
				if after := showCreate(t, d.SQL, table); after != before[table] {
					t.Errorf("%s changed:\nbefore %s\nafter  %s", table, before[table], after)
				}
			}
			var tablesAfter int
			if err := d.SQL.QueryRow(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA=DATABASE()`).Scan(&tablesAfter); err != nil {
				t.Fatal(err)
			}
			if tablesAfter != tablesBefore+len(ownTables) {
				t.Errorf("tables %d -> %d, want +%d", tablesBefore, tablesAfter, len(ownTables))
			}
			for _, table := range ownTables {
				create := showCreate(t, d.SQL, "pre_qqconnect_"+table)
				if !strings.Contains(create, "ENGINE=InnoDB") || !strings.Contains(create, "utf8mb4") {
					t.Errorf("pre_qqconnect_%s: %s", table, create)
				}
			}
			if c := showCreate(t, d.SQL, "pre_qqconnect_identity"); !strings.Contains(c, "UNIQUE KEY `appid_openid` (`appid`,`openid`)") {
				t.Errorf("identity lacks UNIQUE(appid, openid): %s", c)
			}
		})
	}
}

// DemoForum must refuse a MySQL database: it would create Discuz tables there.
func TestDemoForumRefusesMySQL(t *testing.T) {
	t.Parallel()
	d := testdb.New(t, testdb.X35)
	if err := migrations.DemoForum(context.Background(), d.SQL, "zz_", "zz_uc_"); err == nil {
		t.Fatal("DemoForum ran on MariaDB")
	}
	var n int
	if err := d.SQL.QueryRow(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA=DATABASE() AND TABLE_NAME LIKE 'zz\_%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("tables created: %d, %v", n, err)
	}
}

// x35Columns reads a table's column names, in order, from the X3.5 SQL file.
func x35Columns(t *testing.T, file, table string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testdb.SharedDir(t), "discuz", "x3.5", file))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)CREATE TABLE ` + regexp.QuoteMeta(table) + ` \((.*?)\n\)`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s not in %s", table, file)
	}
	var cols []string
	for _, line := range strings.Split(string(m[1]), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || regexp.MustCompile(`^(PRIMARY|UNIQUE|KEY|INDEX)\b`).MatchString(f[0]) {
			continue
		}
		cols = append(cols, strings.Trim(f[0], "`"))
	}
	return cols
}

type colInfo struct {
	name    string
	notNull bool
	dflt    sql.NullString
}

func sqliteColumns(t *testing.T, db *sql.DB, table string) []colInfo {
	t.Helper()
	rows, err := db.Query(`SELECT name, "notnull", dflt_value FROM pragma_table_info(?)`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []colInfo
	for rows.Next() {
		var c colInfo
		if err := rows.Scan(&c.name, &c.notNull, &c.dflt); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestDemoForum(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	for i := range 2 { // IF NOT EXISTS: the second call is a no-op
		if err := migrations.DemoForum(ctx, db, "pre_", "pre_ucenter_"); err != nil {
			t.Fatalf("DemoForum #%d: %v", i+1, err)
		}
	}
	tables := []struct{ file, src, dst string }{
		{"install.sql", "pre_common_member", "pre_common_member"},
		{"install.sql", "pre_common_member_status", "pre_common_member_status"},
		{"install.sql", "pre_common_member_count", "pre_common_member_count"},
		{"install.sql", "pre_common_member_profile", "pre_common_member_profile"},
		{"install.sql", "pre_common_member_field_forum", "pre_common_member_field_forum"},
		{"install.sql", "pre_common_member_field_home", "pre_common_member_field_home"},
		{"install.sql", "pre_common_member_connect", "pre_common_member_connect"},
		{"install.sql", "pre_common_connect_guest", "pre_common_connect_guest"},
		{"install.sql", "pre_connect_memberbindlog", "pre_connect_memberbindlog"},
		{"install.sql", "pre_common_uin_black", "pre_common_uin_black"},
		{"install.sql", "pre_common_setting", "pre_common_setting"},
		{"install.sql", "pre_common_syscache", "pre_common_syscache"},
		{"install.sql", "pre_common_plugin", "pre_common_plugin"},
		{"install.sql", "pre_common_usergroup", "pre_common_usergroup"},
		{"install.sql", "pre_common_usergroup_field", "pre_common_usergroup_field"},
		{"uc.sql", "uc_members", "pre_ucenter_members"},
		{"uc.sql", "uc_memberfields", "pre_ucenter_memberfields"},
	}
	for _, tt := range tables {
		t.Run(tt.dst, func(t *testing.T) {
			want := x35Columns(t, tt.file, tt.src)
			got := sqliteColumns(t, db, tt.dst)
			var names []string
			for _, c := range got {
				names = append(names, c.name)
			}
			if !reflect.DeepEqual(names, want) {
				t.Errorf("columns\n got %v\nwant %v", names, want)
			}
		})
	}

	// NOT NULL/DEFAULT semantics: defaults fill in, text columns without a
	// default must be given, and usernames are unique case-insensitively.
	if _, err := db.Exec(`INSERT INTO pre_common_member (username, email) VALUES ('alice', 'a@example.com')`); err != nil {
		t.Fatalf("insert with defaults: %v", err)
	}
	var groupid int
	var timeoffset string
	if err := db.QueryRow(`SELECT groupid, timeoffset FROM pre_common_member WHERE username='ALICE'`).Scan(&groupid, &timeoffset); err != nil || groupid != 0 || timeoffset != "" {
		t.Errorf("defaults: groupid=%d timeoffset=%q err=%v", groupid, timeoffset, err)
	}
	if _, err := db.Exec(`INSERT INTO pre_common_member (username) VALUES ('Alice')`); err == nil {
		t.Error("UNIQUE(username) not case-insensitive")
	}
	if _, err := db.Exec(`INSERT INTO pre_common_member_profile (uid) VALUES (1)`); err == nil {
		t.Error("profile text columns have no default in Discuz, but the insert passed")
	}
	if _, err := db.Exec(`INSERT INTO pre_common_usergroup (groupid, type) VALUES (99, 'bogus')`); err == nil {
		t.Error("usergroup.type enum not enforced")
	}
	cols := sqliteColumns(t, db, "pre_common_member_field_home")
	for _, c := range cols {
		if c.name == "allowasfriend" && (!c.notNull || c.dflt.String != "'1'") {
			t.Errorf("allowasfriend: notnull=%v default=%v", c.notNull, c.dflt)
		}
	}
}
