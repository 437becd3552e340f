package models

// An internal test: the undo of recordRegIP is reachable only through the
// unexported unit of work (write), which X3.4's MyISAM tables depend on.

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"qqconnect/internal/testdb"
	"qqconnect/migrations"
)

var regTables = Tables{Pre: "pre_", UC: "pre_ucenter_"}

// regStore is a real Discuz database of the given version with the plugin
// installed and the start-up schema inspected, as in production.
func regStore(t *testing.T, version string) (*Store, *testdb.DB) {
	t.Helper()
	ctx := context.Background()
	d := testdb.New(t, version)
	d.InstallQQConnect(t, "101234567", "FIXTURE")
	s, err := Open(ctx, DriverMySQL, d.DSN, regTables, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := CheckCompat(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s, d
}

func regExec(t *testing.T, s *Store, q string, args ...any) {
	t.Helper()
	if err := s.DB.Exec(q, args...).Error; err != nil {
		t.Fatalf("exec %.80s: %v", q, err)
	}
}

func regRows(t *testing.T, s *Store) []RegIPRow {
	t.Helper()
	var rows []RegIPRow
	if err := s.DB.Table("pre_common_regip").Order("ip, dateline, count").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestRegRuleSettingsDefaults: what a fresh install holds, read from the
// right tables (UCenter's doublee is '0' in uc.sql while pre_common_setting's
// unused copy is '1').
func TestRegRuleSettingsDefaults(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		version string
		maxLen  int
	}{{testdb.X34, 32}, {testdb.X35, 255}} {
		t.Run(c.version, func(t *testing.T) {
			s, _ := regStore(t, c.version)
			rs, err := s.LoadRegRuleSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := RegRuleSettings{BBClosed: "", RegCtrl: "0", RegFloodCtrl: "0", IPRegCtrl: "", IPRegCtrlTime: "72",
				UCDoubleE: "0", EmailMaxLen: c.maxLen}
			if *rs != want {
				t.Fatalf("defaults:\n got %+v\nwant %+v", *rs, want)
			}
			regExec(t, s, "UPDATE pre_ucenter_settings SET v = ? WHERE k = 'censoremail'", "spam.com\r\nbad.org")
			regExec(t, s, "UPDATE pre_ucenter_settings SET v = '1' WHERE k = 'doublee'")
			regExec(t, s, "UPDATE pre_common_setting SET svalue = '1' WHERE skey = 'bbclosed'")
			regExec(t, s, "REPLACE INTO pre_common_setting (skey, svalue) VALUES ('regmaildomain', '2'), ('maildomainlist', 'spam.com')")
			if rs, err = s.LoadRegRuleSettings(ctx); err != nil {
				t.Fatal(err)
			}
			if rs.UCCensorEmail != "spam.com\r\nbad.org" || rs.UCDoubleE != "1" || rs.BBClosed != "1" ||
				rs.RegMailDomain != "2" || rs.MailDomainList != "spam.com" {
				t.Fatalf("after changes: %+v", *rs)
			}
			if m, err := s.UCSettings(ctx, "nosuchkey"); err != nil || m["nosuchkey"] != "" {
				t.Fatalf("missing key: %q %v", m, err)
			}
		})
	}
}

// TestUCEmailExists: UCenter's check_emailexists compares with the table's
// collation (case-insensitive on both versions).
func TestUCEmailExists(t *testing.T) {
	ctx := context.Background()
	for _, v := range []string{testdb.X34, testdb.X35} {
		t.Run(v, func(t *testing.T) {
			s, _ := regStore(t, v)
			regExec(t, s, `INSERT INTO pre_ucenter_members (username, password, email, regip, regdate, salt)
				VALUES ('alice', 'x', 'taken@qq.com', '1.2.3.4', 1700000000, '')`)
			cases := []struct {
				email string
				want  bool
			}{{"taken@qq.com", true}, {"TAKEN@qq.COM", true}, {"free@qq.com", false}, {"taken@qq.co", false}}
			for _, c := range cases {
				got, err := s.UCEmailExists(ctx, c.email)
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("UCEmailExists(%q) = %v, want %v", c.email, got, c.want)
				}
			}
		})
	}
}

// TestRegIPChecksAndWrites: the regctrl/regfloodctrl reads and the rows
// written after a registration, on both versions.
func TestRegIPChecksAndWrites(t *testing.T) {
	ctx := context.Background()
	const now = int64(1_700_000_000)
	cases := []struct {
		name         string
		settings     RegRuleSettings
		ip           string
		before       []RegIPRow
		ctrlHit      bool
		floodCount   int64
		floodFound   bool
		after        []RegIPRow
		checkPattern string // "" = the IP itself
	}{
		{name: "rules off: nothing read or written", settings: RegRuleSettings{RegCtrl: "0", RegFloodCtrl: "0"}, ip: "1.2.3.4",
			before: []RegIPRow{{"1.2.3.4", now - 10, -1}}, ctrlHit: false,
			after: []RegIPRow{{"1.2.3.4", now - 10, -1}}},
		{name: "regctrl: recent registration hits, row written", settings: RegRuleSettings{RegCtrl: "24"}, ip: "1.2.3.4",
			before:  []RegIPRow{{"1.2.3.4", now - 3600, -1}, {"5.6.7.8", now - 100*3600, -1}},
			ctrlHit: true,
			after:   []RegIPRow{{"1.2.3.4", now - 3600, -1}, {"1.2.3.4", now, -1}}},
		{name: "regctrl: outside the window", settings: RegRuleSettings{RegCtrl: "24"}, ip: "1.2.3.4",
			before:  []RegIPRow{{"1.2.3.4", now - 24*3600, -1}, {"1.2.3.4", now - 3600, 2}},
			ctrlHit: false,
			after:   []RegIPRow{{"1.2.3.4", now - 24*3600, -1}, {"1.2.3.4", now - 3600, 2}, {"1.2.3.4", now, -1}}},
		{name: "ipregctrl range shares one window", settings: RegRuleSettings{RegCtrl: "0", IPRegCtrl: "10.0.", IPRegCtrlTime: "48"},
			ip: "10.0.9.9", before: []RegIPRow{{"10.0.1.1", now - 47*3600, -1}}, ctrlHit: true, checkPattern: "10.0.%",
			after: []RegIPRow{{"10.0.1.1", now - 47*3600, -1}, {"10.0.9.9", now, -1}}},
		{name: "regfloodctrl: first registration starts the counter", settings: RegRuleSettings{RegFloodCtrl: "3"}, ip: "1.2.3.4",
			before: []RegIPRow{{"1.2.3.4", now - 86400, 5}}, // a day old: outside the window, left alone
			after:  []RegIPRow{{"1.2.3.4", now - 86400, 5}, {"1.2.3.4", now, 1}}},
		{name: "regfloodctrl: the counter update reaches older rows too", settings: RegRuleSettings{RegFloodCtrl: "3"}, ip: "1.2.3.4",
			before:     []RegIPRow{{"1.2.3.4", now - 86400, 5}, {"1.2.3.4", now - 60, 1}},
			floodCount: 1, floodFound: true, // update_count_by_ip has no dateline condition
			after: []RegIPRow{{"1.2.3.4", now - 86400, 6}, {"1.2.3.4", now - 60, 2}}},
		{name: "regfloodctrl: counter goes up", settings: RegRuleSettings{RegFloodCtrl: "3"}, ip: "1.2.3.4",
			before:     []RegIPRow{{"1.2.3.4", now - 3600, 2}, {"9.9.9.9", now - 3600, 2}},
			floodCount: 2, floodFound: true,
			after: []RegIPRow{{"1.2.3.4", now - 3600, 3}, {"9.9.9.9", now - 3600, 2}}},
		{name: "both: prune after 72 hours, count and mark", settings: RegRuleSettings{RegCtrl: "1", RegFloodCtrl: "5"}, ip: "1.2.3.4",
			before:     []RegIPRow{{"1.2.3.4", now - 72*3600, -1}, {"8.8.8.8", now - 72*3600 + 1, 1}, {"1.2.3.4", now - 7200, 1}},
			floodCount: 1, floodFound: true,
			after: []RegIPRow{{"1.2.3.4", now - 7200, 2}, {"1.2.3.4", now, -1}, {"8.8.8.8", now - 72*3600 + 1, 1}}},
		{name: "regctrl beyond 72 hours prunes later", settings: RegRuleSettings{RegCtrl: "100"}, ip: "1.2.3.4",
			before:  []RegIPRow{{"1.2.3.4", now - 99*3600, -1}, {"2.2.2.2", now - 100*3600, -1}},
			ctrlHit: true,
			after:   []RegIPRow{{"1.2.3.4", now - 99*3600, -1}, {"1.2.3.4", now, -1}}},
	}
	for _, v := range []string{testdb.X34, testdb.X35} {
		t.Run(v, func(t *testing.T) {
			s, _ := regStore(t, v)
			for _, c := range cases {
				regExec(t, s, "DELETE FROM pre_common_regip")
				for _, r := range c.before {
					regExec(t, s, "INSERT INTO pre_common_regip (ip, dateline, count) VALUES (?, ?, ?)", r.IP, r.Dateline, r.Count)
				}
				rs := c.settings
				ctrl := rs.CtrlFor(c.ip)
				if want := c.checkPattern; want != "" && ctrl.Pattern != want {
					t.Fatalf("%s: pattern %q, want %q", c.name, ctrl.Pattern, want)
				}
				if ctrl.On {
					hit, err := s.RegCtrlHit(ctx, ctrl.Pattern, ctrl.Since(now))
					if err != nil {
						t.Fatal(err)
					}
					if hit != c.ctrlHit {
						t.Errorf("%s: regctrl hit %v, want %v", c.name, hit, c.ctrlHit)
					}
				}
				if rs.Flood().On {
					n, found, err := s.RegFloodCount(ctx, c.ip, now-86400)
					if err != nil {
						t.Fatal(err)
					}
					if n != c.floodCount || found != c.floodFound {
						t.Errorf("%s: flood count %d/%v, want %d/%v", c.name, n, found, c.floodCount, c.floodFound)
					}
				}
				if err := s.RecordRegIP(ctx, nil, &rs, c.ip, time.Unix(now, 0)); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				want := slices.Clone(c.after)
				slices.SortFunc(want, cmpRegIP)
				if got := regRows(t, s); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: rows\n got %v\nwant %v", c.name, got, want)
				}
			}
		})
	}
}

func cmpRegIP(a, b RegIPRow) int {
	switch {
	case a.IP != b.IP:
		if a.IP < b.IP {
			return -1
		}
		return 1
	case a.Dateline != b.Dateline:
		return int(a.Dateline - b.Dateline)
	}
	return int(a.Count - b.Count)
}

// TestRecordRegIPUndo: a registration that fails after the regip writes
// leaves the table as it was — by the undo steps on X3.4's MyISAM (and on
// any table the start-up schema cannot vouch for), by rollback in an InnoDB
// transaction on X3.5.
func TestRecordRegIPUndo(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	rs := RegRuleSettings{RegCtrl: "24", RegFloodCtrl: "5"}
	before := []RegIPRow{
		{"1.2.3.4", now.Unix() - 3600, 2},     // counter: +1, then undone
		{"1.2.3.4", now.Unix() - 80*3600, -1}, // pruned, then restored
		{"7.7.7.7", now.Unix() - 100*3600, 3}, // pruned, then restored
		{"7.7.7.7", now.Unix() - 10*3600, -1}, // untouched
		{"1.2.3.4", now.Unix() - 30*3600, -1}, // untouched
	}
	boom := errors.New("boom")
	for _, v := range []string{testdb.X34, testdb.X35} {
		t.Run(v, func(t *testing.T) {
			s, _ := regStore(t, v)
			for _, r := range before {
				regExec(t, s, "INSERT INTO pre_common_regip (ip, dateline, count) VALUES (?, ?, ?)", r.IP, r.Dateline, r.Count)
			}
			want := regRows(t, s)

			err := s.write(ctx, []string{"pre_common_regip"}, func(w *writer) error {
				if err := s.recordRegIP(ctx, w, &rs, "1.2.3.4", now); err != nil {
					return err
				}
				var n int64 // read inside the unit: on X3.5 it is a transaction
				if err := w.tx.Table("pre_common_regip").Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				if n != 4 { // 5 - 2 pruned + 1 mark
					t.Errorf("rows inside the unit: %d, want 4", n)
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("write: %v", err)
			}
			if got := regRows(t, s); !reflect.DeepEqual(got, want) {
				t.Errorf("after undo:\n got %v\nwant %v", got, want)
			}

			if v == testdb.X35 {
				err := s.DB.Transaction(func(tx *gorm.DB) error {
					if err := s.RecordRegIP(ctx, tx, &rs, "1.2.3.4", now); err != nil {
						return err
					}
					return boom
				})
				if !errors.Is(err, boom) {
					t.Fatalf("transaction: %v", err)
				}
				if got := regRows(t, s); !reflect.DeepEqual(got, want) {
					t.Errorf("after rollback:\n got %v\nwant %v", got, want)
				}
			}
		})
	}
}

// TestRecordRegIPLongIP: X3.4's ip column is char(15); a long IPv6 address is
// cut as Discuz's sql_mode=” cuts it instead of failing the registration.
func TestRecordRegIPLongIP(t *testing.T) {
	ctx := context.Background()
	ip := "2001:db8:85a3:8d3:1319:8a2e:370:7348"
	for _, c := range []struct{ version, stored string }{{testdb.X34, ip[:15]}, {testdb.X35, ip}} {
		t.Run(c.version, func(t *testing.T) {
			s, _ := regStore(t, c.version)
			if err := s.RecordRegIP(ctx, nil, &RegRuleSettings{RegCtrl: "24"}, ip, time.Unix(1_700_000_000, 0)); err != nil {
				t.Fatal(err)
			}
			if got := regRows(t, s); len(got) != 1 || got[0].IP != c.stored {
				t.Fatalf("rows %v, want ip %q", got, c.stored)
			}
		})
	}
}

// TestRegRulesStandalone: the sqlite demo forum has neither UCenter settings
// nor pre_common_regip; the rules read stock defaults and write nothing.
func TestRegRulesStandalone(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, DriverSQLite, filepath.Join(t.TempDir(), "qq.db"), regTables, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sqlDB, err := s.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	if err := migrations.DemoForum(ctx, sqlDB, regTables.Pre, regTables.UC); err != nil {
		t.Fatal(err)
	}
	rs, err := s.LoadRegRuleSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rs.UCDoubleE != "" || rs.UCAccessEmail != "" || rs.UCCensorEmail != "" {
		t.Fatalf("UCenter settings on the demo: %+v", *rs)
	}
	if hit, err := s.RegCtrlHit(ctx, "1.2.3.4", 0); err != nil || hit {
		t.Fatalf("RegCtrlHit: %v %v", hit, err)
	}
	if _, found, err := s.RegFloodCount(ctx, "1.2.3.4", 0); err != nil || found {
		t.Fatalf("RegFloodCount: %v %v", found, err)
	}
	if err := s.RecordRegIP(ctx, nil, &RegRuleSettings{RegCtrl: "24", RegFloodCtrl: "3"}, "1.2.3.4", time.Now()); err != nil {
		t.Fatal(err)
	}
	if exists, err := s.UCEmailExists(ctx, "nobody@example.com"); err != nil || exists {
		t.Fatalf("UCEmailExists: %v %v", exists, err)
	}
}
