package cmd

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"qqconnect/internal/app"
	"qqconnect/internal/testdb"

	_ "github.com/glebarez/go-sqlite"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

func TestCommandsAndExitCodes(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		args []string
		env  map[string]string
		code int
		out  string
	}{
		{[]string{"version"}, nil, 0, "qqconnect " + app.Version},
		{[]string{"frobnicate"}, nil, 2, "unknown command"},
		{[]string{"serve", "--public-url", "ftp://x"}, nil, 2, "QQCONNECT_PUBLIC_URL"},
		{[]string{"migrate"}, map[string]string{"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": "x"}, 2, "QQCONNECT_AUTHKEY"},
		{[]string{"migrate", "--db-dsn", filepath.Join(t.TempDir(), "q.db")}, nil, 0, "migrations applied"},
	}
	for _, c := range cases {
		var out, errb strings.Builder
		code := Run(c.args, env(c.env), &out, &errb)
		if code != c.code || !strings.Contains(out.String()+errb.String(), c.out) {
			t.Errorf("%v: exit %d (want %d), output %q lacks %q", c.args, code, c.code, out.String()+errb.String(), c.out)
		}
	}
}

// TestDoctorCommand: `qqconnect doctor --json` prints CONTRACT §1's object and
// exits 0 when nothing fails, 1 when a check fails, 2 on bad configuration.
func TestDoctorCommand(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "q.db")
	env := func(k string) string { return map[string]string{"QQCONNECT_DB_DSN": dsn}[k] }
	var out, errb strings.Builder
	code := Run([]string{"doctor", "--json"}, env, &out, &errb)
	var rep struct {
		OK     bool `json:"ok"`
		Checks []struct {
			ID, Title, Status, Detail, Fix string
			MS                             *float64 `json:"ms"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("doctor --json is not one JSON object: %v\n%s", err, out.String())
	}
	if code != 0 || !rep.OK || len(rep.Checks) < 15 {
		t.Fatalf("standalone doctor: exit %d ok=%v %d checks\n%s", code, rep.OK, len(rep.Checks), out.String())
	}
	for _, c := range rep.Checks {
		if c.ID == "" || c.Title == "" || c.MS == nil || !strings.Contains("ok warn fail skip", c.Status) {
			t.Errorf("check not in CONTRACT §1 shape: %+v", c)
		}
	}
	// A failing check makes the exit status 1: QQ login switched off.
	sqlDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec("UPDATE pre_common_plugin SET available=0 WHERE identifier='qqconnect'"); err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	out.Reset()
	if code := Run([]string{"doctor"}, env, &out, &errb); code != 1 || !strings.Contains(out.String(), "plugin-enable") {
		t.Fatalf("doctor with the plugin off: exit %d\n%s", code, out.String())
	}
	if code := Run([]string{"doctor", "--qq-protocol", "oauth3"}, env, &out, &errb); code != 2 {
		t.Fatalf("doctor with bad configuration: exit %d", code)
	}
}

// TestDoctorBeforeFirstStart (issue 11 #7): on a Discuz database where
// qqconnect never ran (none of its own tables), the doctor runs every check
// that needs none of them, fails `database` with "run qqconnect migrate",
// skips only the checks that read qqconnect's tables, and creates nothing.
func TestDoctorBeforeFirstStart(t *testing.T) {
	db := testdb.New(t, testdb.X35)
	db.InstallQQConnect(t, "101234567", "0123456789abcdef0123456789abcdef")
	root := db.DiscuzRoot(t, "utf8mb4", "define('UC_CONNECT', 'mysql');\n")
	env := func(k string) string {
		return map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_PUBLIC_URL": "http://127.0.0.1:1",
			"QQCONNECT_QQ_API_BASE": "http://127.0.0.1:1"}[k]
	}
	var out, errb strings.Builder
	code := Run([]string{"doctor", "--json"}, env, &out, &errb)
	var rep struct {
		Checks []struct{ ID, Status, Detail, Fix string } `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s%s", err, out.String(), errb.String())
	}
	byID := map[string]string{}
	for _, c := range rep.Checks {
		byID[c.ID] = c.Status
		switch {
		case c.ID == "database":
			if c.Status != "fail" || !strings.Contains(c.Fix, "qqconnect migrate") {
				t.Errorf("database check: %+v", c)
			}
		case strings.Contains(c.Detail, "database unavailable"):
			t.Errorf("%s skipped as if there were no database: %+v", c.ID, c)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for id, want := range map[string]string{"plugin_row": "ok", "connect_setting": "ok", "app_credentials": "ok", "unionid": "skip"} {
		if byID[id] != want {
			t.Errorf("check %s: %q, want %q\n%s", id, byID[id], want, out.String())
		}
	}
	var n int
	if err := db.SQL.QueryRow("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'pre\\_qqconnect\\_%'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the doctor created %d qqconnect tables (%v)", n, err)
	}
}

// TestAuditAndUndoCommands (issue 11 #8): the audit log and its undo on the
// command line, by the page's rules: an entry is undone once, an unknown one
// is refused, and without a terminal --yes is required.
func TestAuditAndUndoCommands(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "q.db")
	env := func(k string) string { return map[string]string{"QQCONNECT_DB_DSN": dsn}[k] }
	sh := func(args ...string) (int, string) {
		var out, errb strings.Builder
		code := Run(args, env, &out, &errb)
		return code, out.String() + errb.String()
	}
	available := func() int {
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v int
		if err := db.QueryRow("SELECT available FROM pre_common_plugin WHERE identifier='qqconnect'").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if code, out := sh("migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, out)
	}
	if code, out := sh("audit"); code != 0 || !strings.Contains(out, "no audit entries") {
		t.Fatalf("empty audit: %d %s", code, out)
	}
	if code, out := sh("repair", "plugin-disable", "--yes"); code != 0 || available() != 0 {
		t.Fatalf("repair: %d %s", code, out)
	}
	code, out := sh("audit")
	if code != 0 || !strings.Contains(out, "#1") || !strings.Contains(out, "plugin-disable") || !strings.Contains(out, "cli") {
		t.Fatalf("audit: %d %s", code, out)
	}
	if code, out := sh("audit", "--id", "1"); code != 0 || !strings.Contains(out, "available: 1 → 0") {
		t.Fatalf("audit --id 1: %d %s", code, out)
	}
	if code, out := sh("undo", "1"); code != 2 || !strings.Contains(out, "--yes") || available() != 0 {
		t.Fatalf("undo without a terminal or --yes: %d %s", code, out)
	}
	if code, out := sh("undo", "1", "--yes"); code != 0 || available() != 1 || !strings.Contains(out, "#2") {
		t.Fatalf("undo: %d %s (available %d)", code, out, available())
	}
	if code, out := sh("undo", "1", "--yes"); code != 1 || !strings.Contains(out, "already undone") {
		t.Fatalf("undo twice: %d %s", code, out)
	}
	if code, out := sh("undo", "99", "--yes"); code != 1 || !strings.Contains(out, "no audit entry #99") {
		t.Fatalf("undo of an unknown entry: %d %s", code, out)
	}
	if code, out := sh("audit"); code != 0 || !strings.Contains(out, "undone by #2") || !strings.Contains(out, "undo of #1") {
		t.Fatalf("audit after the undo: %d %s", code, out)
	}
	if code, out := sh("frobnicate"); code != 2 || !strings.Contains(out, "audit, undo") {
		t.Fatalf("unknown command: %d %s", code, out)
	}
}
