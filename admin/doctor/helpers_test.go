package doctor

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"qqconnect/internal/testdb"
	"qqconnect/migrations"
	"qqconnect/models"
)

var tables = models.Tables{Pre: "pre_", UC: "pre_ucenter_"}

// validKey is a well-formed 32-hex appkey (made up).
const validKey = "0123456789abcdef0123456789abcdef"

// fakeResolver answers from a map; it never touches the network.
type fakeResolver struct {
	addrs map[string][]string
	err   error
	delay time.Duration
	block chan struct{} // when set, LookupHost waits for it, ignoring ctx
	panic bool

	mu    sync.Mutex
	asked []string
}

func (f *fakeResolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	f.mu.Lock()
	f.asked = append(f.asked, host)
	f.mu.Unlock()
	if f.panic {
		panic("resolver exploded")
	}
	if f.block != nil {
		<-f.block
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if f.err != nil {
		return nil, f.err
	}
	if a, ok := f.addrs[host]; ok {
		return a, nil
	}
	return nil, errors.New("lookup " + host + ": no such host")
}

// noNetwork is an http.RoundTripper that fails every request: tests that do
// not mean to reach a test server use it so nothing leaves the machine.
type noNetwork struct{}

func (noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, errors.New("test: network disabled (" + r.URL.Host + ")")
}

// offlineEnv is an Env whose network parts cannot leave the machine.
func offlineEnv() *Env {
	return &Env{
		PublicURL:    "https://bbs.example.com",
		CallbackPath: "/connect/qq/callback",
		QQAPIBase:    "https://graph.qq.com",
		Resolver:     &fakeResolver{addrs: map[string][]string{"graph.qq.com": {"203.0.113.7"}}},
		HTTP:         &http.Client{Transport: noNetwork{}},
	}
}

// one runs a single check and returns its result.
func one(t *testing.T, env *Env, id string) Result {
	t.Helper()
	rep := runChecks(context.Background(), env, []string{id})
	if len(rep.Checks) != 1 || rep.Checks[0].ID != id {
		t.Fatalf("runChecks(%s) gave %+v", id, rep.Checks)
	}
	return rep.Checks[0]
}

// want describes an expected result.
type want struct {
	status   Status
	repair   string   // expected Repair ("" = none)
	contains []string // substrings of Detail
	absent   []string // substrings that must NOT be in Detail or Fix (secrets)
	fix      string   // substring of Fix
}

func (w want) check(t *testing.T, res Result) {
	t.Helper()
	if res.Status != w.status {
		t.Errorf("%s: status %s, want %s (detail %q, fix %q)", res.ID, res.Status, w.status, res.Detail, res.Fix)
	}
	if res.Repair != w.repair {
		t.Errorf("%s: repair %q, want %q", res.ID, res.Repair, w.repair)
	}
	for _, s := range w.contains {
		if !strings.Contains(res.Detail, s) {
			t.Errorf("%s: detail %q lacks %q", res.ID, res.Detail, s)
		}
	}
	for _, s := range w.absent {
		if strings.Contains(res.Detail, s) || strings.Contains(res.Fix, s) {
			t.Errorf("%s: %q leaked into detail/fix: %q / %q", res.ID, s, res.Detail, res.Fix)
		}
	}
	if w.fix != "" && !strings.Contains(res.Fix, w.fix) {
		t.Errorf("%s: fix %q lacks %q", res.ID, res.Fix, w.fix)
	}
	if res.Status != OK && res.Status != Skip && res.Fix == "" {
		t.Errorf("%s: %s without a fix", res.ID, res.Status)
	}
	if strings.Contains(res.Detail, "\n") {
		t.Errorf("%s: detail is not one line: %q", res.ID, res.Detail)
	}
}

// forum is one MariaDB Discuz database with qqconnect's own tables and a Store.
type forum struct {
	d     *testdb.DB
	store *models.Store
}

func newForum(t *testing.T, version string) *forum {
	t.Helper()
	ctx := context.Background()
	d := testdb.New(t, version)
	if _, err := migrations.Apply(ctx, d.SQL, migrations.MySQL, tables.Pre); err != nil {
		t.Fatal(err)
	}
	s, err := models.Open(ctx, models.DriverMySQL, d.DSN, tables, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &forum{d: d, store: s}
}

func (f *forum) env() *Env {
	e := offlineEnv()
	e.Store = f.store
	return e
}

func (f *forum) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		f.d.Exec(t, s)
	}
}

func fixturePath(t *testing.T, name string) string {
	return filepath.Join(testdb.SharedDir(t), "discuz", "x3.5", "fixtures", name)
}

// Fixture states (docs/discuz-cache.md §8).
const (
	fxOn    = "x35-qqconnect-on-syscache.sql"
	fxOff   = "x35-qqconnect-off-syscache.sql"
	fxFresh = "x35-fresh-syscache.sql"
)

// reset puts the X3.5 database into a fixture state: the fixture's settings,
// plugin rows and syscache rows exactly, no bindings, the QQ游客 group 20,
// and (for on/off) a well-formed appkey in both the settings row and the
// cached setting array, so every check starts consistent.
func (f *forum) reset(t *testing.T, fixture string) {
	t.Helper()
	f.exec(t,
		"DELETE FROM pre_common_plugin",
		"DELETE FROM pre_common_setting",
		"DELETE FROM pre_common_syscache WHERE cname IN ('setting', 'plugin')",
		"DELETE FROM pre_common_member_connect",
		"DELETE FROM pre_common_member",
		`REPLACE INTO pre_common_usergroup (groupid, type, grouptitle, allowvisit, color, stars)
			VALUES (20, 'special', 'QQ游客', 1, '', 0)`,
	)
	f.d.LoadFile(t, fixturePath(t, fixture))
	// Re-record qqconnect's own migrations (a case may have removed them).
	if _, err := migrations.Apply(context.Background(), f.d.SQL, migrations.MySQL, tables.Pre); err != nil {
		t.Fatal(err)
	}
	if fixture != fxFresh {
		f.setCachedString(t, "connectappkey", "FIXTURE", validKey)
		f.exec(t, "UPDATE pre_common_setting SET svalue = '"+validKey+"' WHERE skey = 'connectappkey'")
	}
}

// setCachedString rewrites the top-level string key of the cached setting
// array from old to new by byte replacement of its serialized form.
func (f *forum) setCachedString(t *testing.T, key, old, new string) {
	t.Helper()
	from := phpStr(key) + phpStr(old)
	to := phpStr(key) + phpStr(new)
	res, err := f.d.SQL.Exec("UPDATE pre_common_syscache SET data = REPLACE(data, ?, ?) WHERE cname = 'setting'", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("setCachedString %s: %q not found in the cached setting", key, old)
	}
}

func phpStr(s string) string {
	return "s:" + strconv.Itoa(len(s)) + `:"` + s + `";`
}
