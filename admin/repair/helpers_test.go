package repair_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"qqconnect/admin/repair"
	"qqconnect/discuz"
	"qqconnect/internal/testdb"
	"qqconnect/migrations"
	"qqconnect/models"
)

var tables = models.Tables{Pre: "pre_", UC: "pre_ucenter_"}

const testAuthkey = "0123456789abcdef-test-authkey"

// fixture returns the path of a setting-cache fixture ("on", "off", "fresh").
func fixture(t testing.TB, state string) string {
	t.Helper()
	return filepath.Join(testdb.SharedDir(t), "discuz", "x3.5", "fixtures", "x35-qqconnect-"+state+"-syscache.sql")
}

var settingRowRe = regexp.MustCompile(`\('setting', 1, \d+, X'([0-9A-Fa-f]+)'\)`)

// fixtureSetting returns the raw setting blob of a fixture.
func fixtureSetting(t testing.TB, state string) []byte {
	t.Helper()
	path := fixture(t, state)
	if state == "fresh" {
		path = filepath.Join(filepath.Dir(path), "x35-fresh-syscache.sql")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := settingRowRe.FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no setting row", path)
	}
	raw, err := hex.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustArray(t testing.TB, raw []byte) *discuz.Array {
	t.Helper()
	a, err := discuz.UnserializeArray(raw)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// site is one real Discuz database with qqconnect installed and enabled.
type site struct {
	t     *testing.T
	D     *testdb.DB
	S     *models.Store
	Cache *countingCache
	R     *repair.Repairer
}

// newSite builds a Discuz database in the "QQ on" state: X3.5 from the
// x35-qqconnect-on fixture (no QQ guest group), X3.4 with the plugin rows of
// testdb.InstallQQConnect and the setting cache of the same fixture (which
// X3.4 would build nearly identically).
func newSite(t *testing.T, version string) *site {
	t.Helper()
	d := testdb.New(t, version)
	if version == testdb.X35 {
		d.LoadFile(t, fixture(t, "on"))
	} else {
		d.InstallQQConnect(t, "101234567", "FIXTURE")
		d.Exec(t, "REPLACE INTO pre_common_syscache (cname, ctype, dateline, data) VALUES ('setting', 1, 1700000000, ?)", fixtureSetting(t, "on"))
	}
	return openSite(t, d, "")
}

// newSiteCharset is newSite on X3.4 converted to gbk or big5 tables: the
// setting cache is the "on" fixture in the site's bytes.
func newSiteCharset(t *testing.T, charset string) *site {
	t.Helper()
	d := testdb.NewCharset(t, testdb.X34, charset)
	d.InstallQQConnect(t, "101234567", "FIXTURE")
	blob, err := testdb.SiteSerialized(fixtureSetting(t, "on"), charset)
	if err != nil {
		t.Fatal(err)
	}
	d.Exec(t, "REPLACE INTO pre_common_syscache (cname, ctype, dateline, data) VALUES ('setting', 1, 1700000000, ?)", blob)
	return openSite(t, d, charset)
}

func openSite(t *testing.T, d *testdb.DB, charset string) *site {
	t.Helper()
	ctx := context.Background()
	if _, err := migrations.Apply(ctx, d.SQL, migrations.MySQL, tables.Pre); err != nil {
		t.Fatal(err)
	}
	s, err := models.Open(ctx, models.DriverMySQL, d.DSN, tables, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := models.CheckCompat(ctx, s); err != nil {
		t.Fatal(err)
	}
	c := &countingCache{}
	now := time.Unix(1750000000, 0)
	r := &repair.Repairer{Store: s, Authkey: testAuthkey, Cache: c, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler), Charset: charset}
	return &site{t: t, D: d, S: s, Cache: c, R: r}
}

// countingCache records invalidations.
type countingCache struct {
	n    atomic.Int64
	fail atomic.Bool
}

func (c *countingCache) InvalidateSetting(context.Context) error {
	c.n.Add(1)
	if c.fail.Load() {
		return errors.New("cache down")
	}
	return nil
}
func (c *countingCache) Describe() string { return "counting" }

// blob is the raw setting cache row.
func (s *site) blob() []byte {
	s.t.Helper()
	var b []byte
	if err := s.D.SQL.QueryRow("SELECT data FROM pre_common_syscache WHERE cname='setting'").Scan(&b); err != nil {
		s.t.Fatal(err)
	}
	return b
}

func (s *site) setBlob(b []byte) {
	s.t.Helper()
	s.D.Exec(s.t, "UPDATE pre_common_syscache SET data = ? WHERE cname = 'setting'", b)
}

// patchCache changes the cached array in place.
func (s *site) patchCache(fn func(a *discuz.Array)) {
	s.t.Helper()
	a := mustArray(s.t, s.blob())
	fn(a)
	s.setBlob(discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: a}))
}

func (s *site) setRow(key string, value *string) {
	s.t.Helper()
	if value == nil {
		s.D.Exec(s.t, "DELETE FROM pre_common_setting WHERE skey = ?", key)
		return
	}
	s.D.Exec(s.t, "REPLACE INTO pre_common_setting (skey, svalue) VALUES (?, ?)", key, *value)
}

// row returns a pre_common_setting value, nil when there is no row.
func (s *site) row(key string) *string {
	s.t.Helper()
	var v string
	err := s.D.SQL.QueryRow("SELECT svalue FROM pre_common_setting WHERE skey = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return &v
}

// rawRow is a pre_common_setting value as stored, in the column's charset.
func (s *site) rawRow(key string) []byte {
	s.t.Helper()
	var v []byte
	if err := s.D.SQL.QueryRow("SELECT CAST(svalue AS BINARY) FROM pre_common_setting WHERE skey = ?", key).Scan(&v); err != nil {
		s.t.Fatal(err)
	}
	return v
}

func (s *site) available() int {
	s.t.Helper()
	var v int
	if err := s.D.SQL.QueryRow("SELECT available FROM pre_common_plugin WHERE identifier='qqconnect'").Scan(&v); err != nil {
		s.t.Fatal(err)
	}
	return v
}

func (s *site) auditCount() int {
	s.t.Helper()
	var n int
	if err := s.D.SQL.QueryRow("SELECT COUNT(*) FROM pre_qqconnect_audit").Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// dump is every value a repair may touch, as text, so two states compare
// exactly: all pre_common_setting rows, the plugin rows, the usergroups and
// their field rows, qqconnect's meta rows and the setting cache blob (hex;
// its dateline is left out).
func (s *site) dump() string {
	s.t.Helper()
	var b strings.Builder
	q := func(title, query string) {
		rows, err := s.D.SQL.Query(query)
		if err != nil {
			s.t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				s.t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if v == nil {
					parts[i] = "NULL"
				} else {
					parts[i] = fmt.Sprintf("%q", string(v))
				}
			}
			lines = append(lines, strings.Join(parts, "|"))
		}
		if err := rows.Err(); err != nil {
			s.t.Fatal(err)
		}
		sort.Strings(lines)
		fmt.Fprintf(&b, "== %s (%d)\n%s\n", title, len(lines), strings.Join(lines, "\n"))
	}
	q("setting", "SELECT skey, svalue FROM pre_common_setting")
	q("plugin", "SELECT * FROM pre_common_plugin")
	q("usergroup", "SELECT * FROM pre_common_usergroup")
	q("usergroup_field", "SELECT * FROM pre_common_usergroup_field")
	q("meta", "SELECT k, v FROM pre_qqconnect_meta")
	q("syscache", "SELECT cname, ctype, HEX(data) FROM pre_common_syscache WHERE cname='setting'")
	return b.String()
}

// firstDiff shows where two dumps differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  %.300s\n  %.300s", i, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d lines", len(al), len(bl))
}

func sp(s string) *string { return &s }

var cli = repair.Actor{UID: 1, Name: "admin", IP: "127.0.0.1", UserAgent: "test", Source: "cli"}
