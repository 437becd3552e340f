package cmd

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"qqconnect/admin/repair"
	"qqconnect/internal/app"
	"qqconnect/internal/config"
	"qqconnect/internal/testdb"
)

const cliAppKey = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

// repairTestApp is qqconnect opened on a real X3.5 forum in the "QQ on"
// state of the measured fixture.
func repairTestApp(t *testing.T) (*app.App, *testdb.DB) {
	t.Helper()
	d := testdb.New(t, testdb.X35)
	d.LoadFile(t, filepath.Join(testdb.SharedDir(t), "discuz", "x3.5", "fixtures", "x35-qqconnect-on-syscache.sql"))
	vars := map[string]string{"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": d.DSN, "QQCONNECT_AUTHKEY": "cli-test-authkey"}
	cfg, _, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.DiscardHandler), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a, d
}

func cliRow(t *testing.T, d *testdb.DB, key string) string {
	t.Helper()
	var v string
	err := d.SQL.QueryRow("SELECT svalue FROM pre_common_setting WHERE skey = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "(no row)"
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func cliAudits(t *testing.T, d *testdb.DB) int {
	t.Helper()
	var n int
	if err := d.SQL.QueryRow("SELECT COUNT(*) FROM pre_qqconnect_audit").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRunRepair drives `qqconnect repair` through runRepair: exit codes,
// the --yes rule, the confirmation prompt, the AppKey from stdin only, and
// masked output.
func TestRunRepair(t *testing.T) {
	a, d := repairTestApp(t)
	ctx := context.Background()
	type step struct {
		name   string
		args   []string
		stdin  string
		tty    bool
		code   int
		out    []string // substrings of stdout+stderr
		appid  string   // connectappid afterwards
		audits int      // audit rows afterwards
	}
	steps := []step{
		{name: "no action", args: nil, code: 2, out: []string{"missing ACTION"}, appid: "101234567"},
		{name: "unknown action", args: []string{"frobnicate", "--yes"}, code: 2, out: []string{"unknown action"}, appid: "101234567"},
		{name: "appkey on the command line", args: []string{"set-app-key", "--appid", "102345678", "--appkey", cliAppKey, "--yes"}, code: 2, out: []string{"read from stdin"}, appid: "101234567"},
		{name: "set-app-key without appid", args: []string{"set-app-key", "--yes"}, stdin: cliAppKey + "\n", code: 2, out: []string{"--appid"}, appid: "101234567"},
		{name: "appid on another action", args: []string{"clear-app-key", "--appid", "1", "--yes"}, code: 2, appid: "101234567"},
		{name: "not a terminal, no --yes", args: []string{"clear-app-key"}, code: 2, out: []string{"--yes"}, appid: "101234567"},
		{name: "dry run needs no --yes", args: []string{"clear-app-key", "--dry-run"}, code: 0,
			out: []string{"connectappid: '101234567' → ''", "connectappkey: 'FI****RE' → ''", "dry run"}, appid: "101234567"},
		{name: "bad appid", args: []string{"set-app-key", "--appid", "12ab", "--yes"}, stdin: cliAppKey + "\n", code: 2, out: []string{"6 to 12 digits"}, appid: "101234567"},
		{name: "bad appkey", args: []string{"set-app-key", "--appid", "102345678", "--yes"}, stdin: "not-hex\n", code: 2, out: []string{"32 hexadecimal"}, appid: "101234567"},
		{name: "empty stdin", args: []string{"set-app-key", "--appid", "102345678", "--yes"}, stdin: "", code: 2, out: []string{"AppKey"}, appid: "101234567"},
		{name: "terminal, answered no", args: []string{"clear-app-key"}, stdin: "n\n", tty: true, code: 1, out: []string{"确认执行? [y/N]", "not confirmed"}, appid: "101234567"},
		{name: "set-app-key from stdin", args: []string{"set-app-key", "--appid", "102345678", "--yes"}, stdin: cliAppKey + "\n", code: 0,
			out: []string{"connectappkey: 'FI****RE' → '0a****f9'", "done: audit entry #1"}, appid: "102345678", audits: 1},
		{name: "terminal, appkey then yes", args: []string{"set-app-key", "--appid", "103456789"}, stdin: "ffffffffffffffffffffffffffffff00\ny\n", tty: true, code: 0,
			out: []string{"'0a****f9' → 'ff****00'", "done: audit entry #2"}, appid: "103456789", audits: 2},
		{name: "nothing to change", args: []string{"set-app-key", "--appid", "103456789", "--yes"}, stdin: "ffffffffffffffffffffffffffffff00\n", code: 0,
			out: []string{"nothing to change"}, appid: "103456789", audits: 2},
		{name: "clear with --yes", args: []string{"clear-app-key", "--yes"}, code: 0, out: []string{"connectappid: '103456789' → ''"}, appid: "", audits: 3},
	}
	for _, st := range steps {
		var out, errb strings.Builder
		code := runRepair(ctx, a, st.args, strings.NewReader(st.stdin), st.tty, &out, &errb)
		all := out.String() + errb.String()
		if code != st.code {
			t.Errorf("%s: exit %d, want %d\n%s", st.name, code, st.code, all)
		}
		for _, s := range st.out {
			if !strings.Contains(all, s) {
				t.Errorf("%s: output lacks %q:\n%s", st.name, s, all)
			}
		}
		for _, secret := range []string{cliAppKey, "ffffffffffffffffffffffffffffff00", "FIXTURE"} {
			if strings.Contains(all, secret) {
				t.Errorf("%s: output shows a secret:\n%s", st.name, all)
			}
		}
		if got := cliRow(t, d, "connectappid"); got != st.appid {
			t.Errorf("%s: connectappid = %q, want %q", st.name, got, st.appid)
		}
		if n := cliAudits(t, d); n != st.audits {
			t.Errorf("%s: %d audit rows, want %d", st.name, n, st.audits)
		}
	}
	if got := cliRow(t, d, "connectappkey"); got != "" {
		t.Errorf("connectappkey = %q after clear-app-key", got)
	}

	// a failure that changes nothing is exit 1
	d.Exec(t, "DELETE FROM pre_common_plugin WHERE identifier = 'qqconnect'")
	var out, errb strings.Builder
	if code := runRepair(ctx, a, []string{"plugin-enable", "--yes"}, strings.NewReader(""), false, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "not installed") {
		t.Errorf("plugin-enable without plugin: exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// TestRepairCommandUsage: bad usage is refused before any database is opened.
func TestRepairCommandUsage(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{
		{"repair"},
		{"repair", "frobnicate"},
		{"repair", "set-app-key", "--appkey=" + cliAppKey},
		{"repair", "clear-app-key", "extra"},
	} {
		var out, errb strings.Builder
		// the default sqlite DSN would be created by openApp: refusing early means no file
		dsn := filepath.Join(t.TempDir(), "never.db")
		if code := Run(append(args, "--db-dsn", dsn), env, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errb.String())
		}
		if strings.Contains(errb.String(), cliAppKey) {
			t.Errorf("%v: the AppKey was echoed", args)
		}
	}
}

func TestSplitRepairArgs(t *testing.T) {
	o, rest, err := splitRepairArgs([]string{"--db-dsn", "x", "set-app-key", "--no-migrate", "--appid=123456", "--dry-run", "--authkey", "k", "-y"})
	if err != nil || o.action != "set-app-key" || o.appID != "123456" || !o.dryRun || !o.yes ||
		strings.Join(rest, " ") != "--db-dsn x --no-migrate --authkey k" {
		t.Fatalf("%+v %q %v", o, rest, err)
	}
	if _, _, err := splitRepairArgs([]string{"a", "b"}); err == nil {
		t.Error("two actions accepted")
	}
}

func TestNewRepairerCache(t *testing.T) {
	a := &app.App{Cfg: &config.Config{MemoryRedis: "127.0.0.1:6379", MemoryPrefix: "abc_"}}
	if _, ok := app.NewRepairer(a).Cache.(*repair.RedisInvalidator); !ok {
		t.Error("redis configured but no Redis invalidator")
	}
	a.Cfg = &config.Config{MemoryOther: []string{"memcache"}}
	m, ok := app.NewRepairer(a).Cache.(*repair.ManualInvalidator)
	if !ok || !strings.Contains(m.Warning(), "memcache") {
		t.Error("memcache not explained")
	}
}

// TestRunRepairConnectSettings: connect-settings takes its values as
// repeated --set KEY=VALUE; a bad value is bad usage (exit 2) and changes
// nothing; a good one prints every connect key before → after.
func TestRunRepairConnectSettings(t *testing.T) {
	a, d := repairTestApp(t)
	ctx := context.Background()
	original := cliRow(t, d, "connect")
	for _, st := range []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"without --set", []string{"connect-settings", "--yes"}, 2, []string{"needs --set KEY=VALUE", "register_groupid"}},
		{"--set elsewhere", []string{"clear-app-key", "--set", "allow=1", "--yes"}, 2, []string{"--set is only for connect-settings"}},
		{"no =", []string{"connect-settings", "--set", "allow", "--yes"}, 2, []string{"KEY=VALUE"}},
		{"twice", []string{"connect-settings", "--set", "allow=1", "--set=allow=0", "--yes"}, 2, []string{"given twice"}},
		{"unknown key", []string{"connect-settings", "--set", "like_qq=1", "--yes"}, 2, []string{"unknown setting"}},
		{"bad group", []string{"connect-settings", "--set", "register_groupid=99", "--yes"}, 2, []string{"usergroup 99 does not exist"}},
		{"dry run", []string{"connect-settings", "--set", "newbiespan=30", "--set=register_uinlimit=2", "--dry-run"}, 0,
			[]string{"pre_common_setting  connect[register_uinlimit]: '' → '2'", "connect[newbiespan]: '' → '30'", "dry run"}},
	} {
		var out, errb strings.Builder
		code := runRepair(ctx, a, st.args, strings.NewReader(""), false, &out, &errb)
		all := out.String() + errb.String()
		if code != st.code {
			t.Errorf("%s: exit %d, want %d\n%s", st.name, code, st.code, all)
		}
		for _, s := range st.out {
			if !strings.Contains(all, s) {
				t.Errorf("%s: output lacks %q:\n%s", st.name, s, all)
			}
		}
		if cliRow(t, d, "connect") != original || cliAudits(t, d) != 0 {
			t.Fatalf("%s changed something", st.name)
		}
	}
	var out, errb strings.Builder
	if code := runRepair(ctx, a, []string{"connect-settings", "--set", "register_uinlimit=2", "--yes"}, strings.NewReader(""), false, &out, &errb); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if got, want := cliRow(t, d, "connect"), strings.Replace(original, `s:17:"register_uinlimit";s:0:"";`, `s:17:"register_uinlimit";s:1:"2";`, 1); got != want || cliAudits(t, d) != 1 {
		t.Errorf("connect = %s, want %s", got, want)
	}
	o, _, err := splitRepairArgs([]string{"connect-settings", "--set", "allow=1", "--set=newbiespan="})
	if err != nil || len(o.set) != 2 || o.set[1] != [2]string{"newbiespan", ""} ||
		strings.Join(repairArgsOf(o), " ") != "connect-settings --set=allow=1 --set=newbiespan=" {
		t.Errorf("split --set: %+v %v", o, err)
	}
}
