package testdb

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"qqconnect/discuz"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"simple", "SELECT 1;\nSELECT 2;\n", []string{"SELECT 1", "SELECT 2"}},
		{"comments dropped", "-- hi\n# also\nSELECT 1;\n", []string{"SELECT 1"}},
		{"semicolon at end of line inside quotes", "INSERT INTO t VALUES ('a;\nb');\n", []string{"INSERT INTO t VALUES ('a;\nb')"}},
		{"semicolon mid line", "INSERT INTO t VALUES ('a;b'); \n", []string{"INSERT INTO t VALUES ('a;b')"}},
		{"escaped quote", "INSERT INTO t VALUES ('it\\'s;');\nSELECT 2;\n", []string{"INSERT INTO t VALUES ('it\\'s;')", "SELECT 2"}},
		{"doubled quote", "INSERT INTO t VALUES ('it''s;\n');\n", []string{"INSERT INTO t VALUES ('it''s;\n')"}},
		{"multi-line create", "CREATE TABLE a (\n  x int\n) ENGINE=InnoDB;\n", []string{"CREATE TABLE a (\n  x int\n) ENGINE=InnoDB"}},
		{"no trailing semicolon", "SELECT 1", []string{"SELECT 1"}},
		{"comment-looking text inside a string", "INSERT INTO t VALUES ('\n-- x;\n');\n", []string{"INSERT INTO t VALUES ('\n-- x;\n')"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SplitStatements(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitStatements(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestConvertEngine(t *testing.T) {
	tests := []struct{ version, in, want string }{
		{X34, "CREATE TABLE a (\n x int\n) TYPE=MyISAM;\n", "CREATE TABLE a (\n x int\n) ENGINE=MyISAM DEFAULT CHARSET=utf8;\n"},
		{X34, "CREATE TABLE a (\n x int\n) TYPE=HEAP;\n", "CREATE TABLE a (\n x int\n) ENGINE=HEAP DEFAULT CHARSET=utf8;\n"},
		{X35, "CREATE TABLE a (\n x int\n) ENGINE=InnoDB;\n", "CREATE TABLE a (\n x int\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;\n"},
	}
	for _, tt := range tests {
		if got := convertEngine(tt.version, dbCharset(tt.version), tt.in); got != tt.want {
			t.Errorf("convertEngine(%s, %q) = %q, want %q", tt.version, tt.in, got, tt.want)
		}
	}
}

// Every CREATE TABLE of the shared SQL files must be rewritten, or the
// installer emulation silently leaves a table with the server defaults.
func TestConvertEngineCoversSharedFiles(t *testing.T) {
	for _, v := range []string{X34, X35} {
		for _, f := range []string{"install.sql", "uc.sql"} {
			raw, err := os.ReadFile(filepath.Join(SharedDir(t), "discuz", v, f))
			if err != nil {
				t.Fatal(err)
			}
			creates := len(regexp.MustCompile(`(?i)CREATE TABLE`).FindAllString(string(raw), -1))
			conv := convertEngine(v, dbCharset(v), string(raw))
			n := len(regexp.MustCompile(`DEFAULT CHARSET=utf8`).FindAllString(conv, -1))
			if n != creates || creates == 0 {
				t.Errorf("%s/%s: %d CREATE TABLE, %d rewritten", v, f, creates, n)
			}
		}
	}
}

func TestNewLoadsDiscuz(t *testing.T) {
	tests := []struct {
		version        string
		hasColumn      string
		lacksColumn    string
		engine         string
		collation      string
		minSettingRows int
	}{
		{X34, "videophotostatus", "secmobile", "MyISAM", "utf8_general_ci", 440},
		{X35, "secmobile", "videophotostatus", "InnoDB", "utf8mb4_unicode_ci", 465},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()
			d := New(t, tt.version)
			count := func(q string, args ...any) int {
				t.Helper()
				var n int
				if err := d.SQL.QueryRow(q, args...).Scan(&n); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return n
			}
			col := `SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=DATABASE() AND TABLE_NAME=? AND COLUMN_NAME=?`
			if count(col, "pre_common_member", tt.hasColumn) != 1 {
				t.Errorf("pre_common_member lacks %s", tt.hasColumn)
			}
			if count(col, "pre_common_member", tt.lacksColumn) != 0 {
				t.Errorf("pre_common_member has %s", tt.lacksColumn)
			}
			var engine, collation string
			err := d.SQL.QueryRow(`SELECT ENGINE, TABLE_COLLATION FROM information_schema.TABLES
				WHERE TABLE_SCHEMA=DATABASE() AND TABLE_NAME='pre_common_member'`).Scan(&engine, &collation)
			if err != nil {
				t.Fatal(err)
			}
			// MariaDB >= 10.6 reports utf8 as utf8mb3.
			collation = strings.Replace(collation, "utf8mb3_", "utf8_", 1)
			if engine != tt.engine || collation != tt.collation {
				t.Errorf("pre_common_member engine/collation = %s/%s, want %s/%s", engine, collation, tt.engine, tt.collation)
			}
			for _, table := range []string{"pre_ucenter_members", "pre_ucenter_memberfields", "pre_common_member_connect", "pre_connect_memberbindlog"} {
				if count(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA=DATABASE() AND TABLE_NAME=?`, table) != 1 {
					t.Errorf("table %s missing", table)
				}
			}
			if n := count(`SELECT COUNT(*) FROM pre_common_setting`); n < tt.minSettingRows || n > 500 {
				t.Errorf("pre_common_setting has %d rows", n)
			}
			if n := count(`SELECT COUNT(*) FROM pre_ucenter_settings`); n == 0 {
				t.Errorf("uc.sql data not loaded")
			}
			if n := count(`SELECT COUNT(*) FROM pre_common_usergroup WHERE groupid IN (7,8,10)`); n != 3 {
				t.Errorf("default usergroups: %d of 3", n)
			}
			// Chinese text must arrive intact through the charset handling.
			var title string
			if err := d.SQL.QueryRow(`SELECT grouptitle FROM pre_common_usergroup WHERE groupid=10`).Scan(&title); err != nil || title != "新手上路" {
				t.Errorf("group 10 title = %q, %v", title, err)
			}

			d.InstallQQConnect(t, "101234567", "FIXTURE")
			d.InstallQQConnect(t, "101234567", "FIXTURE") // idempotent
			var avail, gtype string
			if err := d.SQL.QueryRow(`SELECT available FROM pre_common_plugin WHERE identifier='qqconnect'`).Scan(&avail); err != nil || avail != "1" {
				t.Errorf("plugin available = %q, %v", avail, err)
			}
			if err := d.SQL.QueryRow(`SELECT type FROM pre_common_usergroup WHERE groupid=20`).Scan(&gtype); err != nil || gtype != "special" {
				t.Errorf("group 20 type = %q, %v", gtype, err)
			}
			if n := count(`SELECT COUNT(*) FROM pre_common_usergroup_field WHERE groupid=20 AND allowsearch=2 AND readaccess=1`); n != 1 {
				t.Errorf("group 20 field row missing")
			}
		})
	}
}

func TestInstalledConnectMatchesFixture(t *testing.T) {
	t.Parallel()
	d := New(t, X35)
	d.LoadFile(t, filepath.Join(SharedDir(t), "discuz", X35, "fixtures", "x35-qqconnect-on-syscache.sql"))
	var connect, modules, appid string
	if err := d.SQL.QueryRow(`SELECT svalue FROM pre_common_setting WHERE skey='connect'`).Scan(&connect); err != nil {
		t.Fatal(err)
	}
	if connect != ConnectSettingInstalled {
		t.Errorf("fixture connect = %q\nwant %q", connect, ConnectSettingInstalled)
	}
	if err := d.SQL.QueryRow(`SELECT modules FROM pre_common_plugin WHERE identifier='qqconnect'`).Scan(&modules); err != nil {
		t.Fatal(err)
	}
	if modules != QQConnectModules {
		t.Errorf("fixture modules differ from QQConnectModules")
	}
	if err := d.SQL.QueryRow(`SELECT svalue FROM pre_common_setting WHERE skey='connectappid'`).Scan(&appid); err != nil || appid != "101234567" {
		t.Errorf("connectappid = %q, %v", appid, err)
	}
	var rows int
	if err := d.SQL.QueryRow(`SELECT COUNT(*) FROM pre_common_syscache WHERE cname='setting'`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("syscache setting rows = %d, %v", rows, err)
	}
}

func TestDefaultConnectPlusGuestGroup(t *testing.T) {
	// ConnectSettingInstalled must be exactly the install_data.sql default
	// with the two keys appended and the count raised by two.
	raw, err := os.ReadFile(filepath.Join(SharedDir(t), "discuz", X35, "install_data.sql"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`INSERT INTO pre_common_setting VALUES \('connect', '(a:19:\{.*\})'\);`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("default connect row not found")
	}
	def := string(m[1])
	want := "a:21:" + strings.TrimSuffix(strings.TrimPrefix(def, "a:19:"), "}") + `s:13:"guest_groupid";s:2:"20";s:6:"oauth2";i:0;}`
	if want != ConnectSettingInstalled {
		t.Errorf("ConnectSettingInstalled = %q\nwant %q", ConnectSettingInstalled, want)
	}
}

// fakeTB records Fatalf/Skipf instead of stopping the goroutine, so the
// CI-fails/else-skips rule can be tested.
type fakeTB struct {
	testing.TB
	fatal, skip bool
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Fatalf(string, ...any)          { f.fatal = true }
func (f *fakeTB) Skipf(string, ...any)           { f.skip = true }
func (f *fakeTB) Errorf(format string, a ...any) { f.TB.Errorf(format, a...) }

func TestUnreachableFailsInCIOnly(t *testing.T) {
	t.Setenv("QQCONNECT_TEST_MYSQL_DSN", "root:pw@tcp(127.0.0.1:1)/?timeout=1s")
	for _, tt := range []struct {
		ci          string
		fatal, skip bool
	}{{"true", true, false}, {"", false, true}, {"false", false, true}} {
		t.Setenv("CI", tt.ci)
		f := &fakeTB{TB: t}
		if dsn := ServerDSN(f); dsn != "" || f.fatal != tt.fatal || f.skip != tt.skip {
			t.Errorf("CI=%q: dsn=%q fatal=%v skip=%v", tt.ci, dsn, f.fatal, f.skip)
		}
	}
}

// TestConvertedEditionsHoldSiteBytes: on X3.4 converted to gbk and big5,
// every serialized pre_common_setting value and the plugin's modules parse
// with PHP's byte counts in the site charset, as the edition's own
// installer writes them, and some of them hold text (so the counts matter).
func TestConvertedEditionsHoldSiteBytes(t *testing.T) {
	for _, charset := range []string{"gbk", "big5"} {
		t.Run(charset, func(t *testing.T) {
			d := NewCharset(t, X34, charset)
			d.InstallQQConnect(t, "101234567", "KEY")
			rows, err := d.SQL.Query(`SELECT skey, CAST(svalue AS BINARY) FROM pre_common_setting WHERE svalue LIKE 'a:%'
				UNION ALL SELECT identifier, CAST(modules AS BINARY) FROM pre_common_plugin WHERE identifier = 'qqconnect'`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var n, withText int
			for rows.Next() {
				var k string
				var raw []byte
				if err := rows.Scan(&k, &raw); err != nil {
					t.Fatal(err)
				}
				if _, err := discuz.Unserialize(raw); err != nil {
					// install_data.sql's own group_userperm says a:21 with 20
					// entries: broken in the UTF-8 edition too, left alone.
					text, _ := discuz.FromCharset(string(raw), charset)
					if _, err8 := discuz.Unserialize([]byte(text)); err8 == nil {
						t.Errorf("%s does not unserialize in %s bytes: %v", k, charset, err)
					}
					continue
				}
				n++
				if !utf8.Valid(raw) {
					withText++
				}
			}
			if n < 10 || withText == 0 {
				t.Fatalf("%d serialized values, %d with %s text", n, withText, charset)
			}
		})
	}
}

var update = flag.Bool("update", false, "write the carried Discuz test data again from ../shared")

// TestCarriedDataMatchesShared: the project's own Discuz test data
// (testdata/discuz) is exactly what CarryDiscuzData cuts from ../shared,
// whenever ../shared is there (always in CI). With -update it is written.
func TestCarriedDataMatchesShared(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(filepath.Dir(root), "shared")
	if _, err := os.Stat(filepath.Join(shared, "discuz")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("../shared is part of CI: %v", err)
		}
		t.Skip("no ../shared to compare the carried data with")
	}
	files, err := CarryDiscuzData(shared)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		path := filepath.Join("testdata", "discuz", name)
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from what ../shared gives (%v): run go test ./internal/testdb -run TestCarriedDataMatchesShared -update", path, err)
		}
	}
	// Every table the code names is carried, and exists in both versions.
	for _, v := range []string{X34, X35} {
		for _, tb := range CarriedTables {
			if !bytes.Contains(files[v+"/install.sql"], []byte("CREATE TABLE pre_"+tb+" (")) {
				t.Errorf("%s: pre_%s is not defined", v, tb)
			}
		}
	}
}
