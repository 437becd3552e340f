package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"qqconnect/migrations"
	"qqconnect/models"
)

// qqServer is a loopback stand-in for graph.qq.com: /oauth2.0/me answers
// like QQ does without a token. date, when set, replaces the Date header.
func qqServer(t *testing.T, date func() string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/oauth2.0/me" {
			http.NotFound(w, r)
			return
		}
		if date != nil {
			if d := date(); d == "" {
				w.Header()["Date"] = nil // suppress the automatic header
			} else {
				w.Header().Set("Date", d)
			}
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `callback( {"error":100016,"error_description":"access token check failed"} );`+"\n")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// onlineEnv is an Env whose QQ is the loopback test server.
func onlineEnv(srv *httptest.Server) *Env {
	e := offlineEnv()
	e.QQAPIBase = srv.URL
	e.QQHost = "graph.qq.com"
	e.HTTP = srv.Client()
	return e
}

func ids(rep Report) []string {
	var out []string
	for _, c := range rep.Checks {
		out = append(out, c.ID)
	}
	return out
}

func TestRunWithoutDatabase(t *testing.T) {
	t.Parallel()
	srv, _ := qqServer(t, nil)
	env := onlineEnv(srv)
	env.DBErr = errors.New("open mysql root@tcp(127.0.0.1:3306)/discuz: connection refused")
	// The DNS answer comes last, so completion order differs from report order.
	env.Resolver = &fakeResolver{addrs: map[string][]string{"graph.qq.com": {"203.0.113.7"}}, delay: 150 * time.Millisecond}

	rep := Run(context.Background(), env)

	var wantIDs []string
	for _, c := range Checks() {
		wantIDs = append(wantIDs, c.ID)
	}
	if got := ids(rep); !slices.Equal(got, wantIDs) {
		t.Fatalf("order %v, want %v", got, wantIDs)
	}
	if len(wantIDs) != 25 {
		t.Errorf("%d checks, want 25", len(wantIDs))
	}
	by := map[string]Result{}
	for _, c := range rep.Checks {
		by[c.ID] = c
		if !strings.Contains(c.Title, " / ") {
			t.Errorf("%s: title %q is not zh / en", c.ID, c.Title)
		}
	}
	want{status: Fail, contains: []string{"cannot open the database", "connection refused"}}.check(t, by["database"])
	for _, id := range []string{"plugin_row", "connect_setting", "regconnect", "app_credentials", "setting_cache",
		"cloud_status", "guest_group", "site_closed", "bindings", "avatar_import"} {
		want{status: Skip, contains: []string{"database unavailable"}}.check(t, by[id])
	}
	want{status: Warn, contains: []string{"version unknown"}}.check(t, by["discuz_version"])
	want{status: OK, contains: []string{"no database"}}.check(t, by["retired_hosts"])
	want{status: OK, contains: []string{"graph.qq.com → 203.0.113.7"}}.check(t, by["qq_dns"])
	want{status: OK, contains: []string{"error 100016"}}.check(t, by["qq_https"])
	want{status: OK}.check(t, by["clock_skew"])
	want{status: OK, contains: []string{"https://bbs.example.com/connect/qq/callback"}}.check(t, by["redirect_uri"])
	if by["qq_dns"].MS < 150 {
		t.Errorf("qq_dns took %d ms, want ≥ 150", by["qq_dns"].MS)
	}
	if rep.OK || rep.ExitCode() != 1 {
		t.Errorf("OK=%v exit=%d, want false/1", rep.OK, rep.ExitCode())
	}
}

// TestJSONShape: `doctor --json` prints exactly CONTRACT §1's object.
func TestJSONShape(t *testing.T) {
	t.Parallel()
	srv, _ := qqServer(t, nil)
	env := onlineEnv(srv)
	rep := Run(context.Background(), env)
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	if len(top) != 2 || top["ok"] == nil || top["checks"] == nil {
		t.Fatalf("top-level keys: %s", raw)
	}
	var okv bool
	if err := json.Unmarshal(top["ok"], &okv); err != nil {
		t.Fatalf("ok is not a bool: %s", top["ok"])
	}
	var checks []map[string]any
	if err := json.Unmarshal(top["checks"], &checks); err != nil {
		t.Fatal(err)
	}
	if len(checks) != len(Checks()) {
		t.Fatalf("%d checks", len(checks))
	}
	sawRepair := false
	for _, c := range checks {
		for _, k := range []string{"id", "title", "status", "detail", "fix"} {
			if _, isStr := c[k].(string); !isStr {
				t.Errorf("check %v: %q is not a string", c["id"], k)
			}
		}
		if _, isNum := c["ms"].(float64); !isNum {
			t.Errorf("check %v: ms is not a number", c["id"])
		}
		switch c["status"] {
		case "ok", "warn", "fail", "skip":
		default:
			t.Errorf("check %v: status %v", c["id"], c["status"])
		}
		for k := range c {
			switch k {
			case "id", "title", "status", "detail", "fix", "ms":
			case "repair":
				sawRepair = true
				if s, _ := c[k].(string); s == "" {
					t.Errorf("check %v: empty repair not omitted", c["id"])
				}
			default:
				t.Errorf("check %v: unexpected key %q", c["id"], k)
			}
		}
	}
	if sawRepair {
		t.Errorf("no check offers a repair without a database, yet one did: %s", raw)
	}
	// The repair field appears when set.
	b, _ := json.Marshal(Result{ID: "x", Status: Fail, Repair: RepairPluginEnable})
	if !strings.Contains(string(b), `"repair":"plugin-enable"`) {
		t.Errorf("repair missing from %s", b)
	}
	if okv != rep.OK {
		t.Errorf("json ok %v, report %v", okv, rep.OK)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		statuses []Status
		want     int
	}{
		{nil, 0},
		{[]Status{OK, OK}, 0},
		{[]Status{OK, Warn, Skip}, 0},
		{[]Status{OK, Fail, Warn}, 1},
		{[]Status{Fail}, 1},
	} {
		var rep Report
		for _, s := range tc.statuses {
			rep.Checks = append(rep.Checks, Result{Status: s})
		}
		if got := rep.ExitCode(); got != tc.want {
			t.Errorf("%v: exit %d, want %d", tc.statuses, got, tc.want)
		}
	}
}

// TestTimeout: a check stuck in a call that ignores its context fails with
// "timed out after …" at its deadline, and the others are unaffected.
func TestTimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	env := offlineEnv()
	env.Resolver = &fakeResolver{block: block}
	env.CheckTimeout = 100 * time.Millisecond
	start := time.Now()
	rep := runChecks(context.Background(), env, []string{"qq_dns", "redirect_uri", "memory_cache"})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %s despite a 100ms per-check timeout", took)
	}
	want{status: Fail, contains: []string{"timed out after 100ms"}}.check(t, rep.Checks[0])
	if rep.Checks[0].MS < 100 {
		t.Errorf("ms %d < 100", rep.Checks[0].MS)
	}
	want{status: OK}.check(t, rep.Checks[1])
	want{status: OK}.check(t, rep.Checks[2])
	if rep.OK {
		t.Error("a timed-out check must make the report fail")
	}
}

// TestRunDeadline: a deadline on the whole run (the doctor command's)
// stops a stuck check at that deadline, and says how long it had.
func TestRunDeadline(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	env := offlineEnv()
	env.Resolver = &fakeResolver{block: block}
	env.CheckTimeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := runChecks(ctx, env, []string{"qq_dns"}).Checks[0]
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %s despite a 300ms deadline", took)
	}
	want{status: Fail, contains: []string{"timed out after 300ms"}}.check(t, res)
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	env := offlineEnv()
	env.Resolver = &fakeResolver{block: block}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	res := runChecks(ctx, env, []string{"qq_dns"}).Checks[0]
	want{status: Fail, contains: []string{"cancelled"}}.check(t, res)
}

// TestPanic: a panicking check is a fail, and Run goes on.
func TestPanic(t *testing.T) {
	t.Parallel()
	env := offlineEnv()
	env.Resolver = &fakeResolver{panic: true}
	rep := runChecks(context.Background(), env, []string{"qq_dns", "memory_cache"})
	want{status: Fail, contains: []string{"internal error", "resolver exploded"}}.check(t, rep.Checks[0])
	want{status: OK}.check(t, rep.Checks[1])
}

// TestClosedStore: a Store whose database no longer answers fails the
// database check and skips the others.
func TestClosedStore(t *testing.T) {
	t.Parallel()
	s, err := models.Open(context.Background(), models.DriverSQLite, filepath.Join(t.TempDir(), "qq.db"), tables, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	env := offlineEnv()
	env.Store = s
	rep := runChecks(context.Background(), env, []string{"database", "plugin_row", "setting_cache", "bindings"})
	want{status: Fail, contains: []string{"does not answer"}}.check(t, rep.Checks[0])
	for _, c := range rep.Checks[1:] {
		want{status: Skip}.check(t, c)
	}
}

// TestSharedProbe: qq_https and clock_skew read one answer from QQ.
func TestSharedProbe(t *testing.T) {
	t.Parallel()
	srv, hits := qqServer(t, nil)
	rep := runChecks(context.Background(), onlineEnv(srv), []string{"qq_https", "clock_skew"})
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests to QQ, want 1", n)
	}
	for _, c := range rep.Checks {
		want{status: OK}.check(t, c)
	}
}

// TestEnvDefaults: zero fields get their defaults; the caller's Env is not changed.
func TestEnvDefaults(t *testing.T) {
	t.Parallel()
	in := &Env{QQAPIBase: "https://graph.qq.com/"}
	e := withDefaults(in)
	if e.QQHost != "graph.qq.com" || e.QQAPIBase != "https://graph.qq.com" || e.CheckTimeout != 5*time.Second ||
		e.Resolver == nil || e.HTTP == nil || e.HTTP.Timeout != 5*time.Second || e.Now == nil {
		t.Errorf("defaults: %+v", e)
	}
	if in.QQHost != "" || in.HTTP != nil {
		t.Error("withDefaults changed the caller's Env")
	}
	if e := withDefaults(nil); e.QQAPIBase != defaultQQAPIBase {
		t.Errorf("nil env: %+v", e)
	}
}

// TestStandaloneDemo: the sqlite demo forum with the sandbox (what `go run .`
// starts) shows no fail; the DB checks read the seeded rows.
func TestStandaloneDemo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := models.Open(ctx, models.DriverSQLite, filepath.Join(t.TempDir(), "qq.db"), tables, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sqlDB, _ := s.DB.DB()
	if err := migrations.DemoForum(ctx, sqlDB, tables.Pre, tables.UC); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Apply(ctx, sqlDB, migrations.SQLite, tables.Pre); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SeedDemo(ctx, s, models.DemoOptions{AppID: "100000001", AppKey: validKey}); err != nil {
		t.Fatal(err)
	}
	srv, _ := qqServer(t, nil)
	env := onlineEnv(srv)
	env.Store = s
	env.Sandbox = true
	env.PublicURL = "http://127.0.0.1:8080"
	env.Resolver = &fakeResolver{panic: true} // sandbox on loopback: never asked
	rep := Run(ctx, env)
	by := map[string]Result{}
	for _, c := range rep.Checks {
		by[c.ID] = c
		if c.Status == Fail {
			t.Errorf("%s: fail %q", c.ID, c.Detail)
		}
	}
	want{status: Skip, contains: []string{"standalone"}}.check(t, by["setting_cache"])
	want{status: Skip, contains: []string{"sandbox"}}.check(t, by["qq_dns"])
	want{status: OK, contains: []string{"X3.5", "guessed"}}.check(t, by["discuz_version"])
	want{status: OK, contains: []string{"enabled"}}.check(t, by["plugin_row"])
	want{status: OK, contains: []string{"100000001", "01****ef"}}.check(t, by["app_credentials"])
	want{status: OK, contains: []string{"guest_groupid 20 exists"}}.check(t, by["guest_group"])
	if !rep.OK {
		t.Error("demo report not OK")
	}
}
