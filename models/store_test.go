package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"qqconnect/internal/testdb"
	"qqconnect/models"
)

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, driver, dsn string
		mustHave          string
	}{
		{"unknown driver", "postgres", "x", "unknown database driver"},
		{"mysql unreachable", "mysql", "root:s3cretPW@tcp(127.0.0.1:1)/forum?timeout=1s", "127.0.0.1:1"},
		{"mysql bad dsn", "mysql", "root:s3cretPW@nonsense", "mysql"},
		{"sqlite empty", "sqlite", "", "sqlite"},
		{"sqlite unwritable", "sqlite", "/proc/no/such/dir/qq.db", "sqlite /proc/no/such/dir/qq.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := models.Open(ctx, tt.driver, tt.dsn, tables, quietLog())
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), "s3cretPW") {
				t.Errorf("error leaks the password: %v", err)
			}
			if !strings.Contains(err.Error(), tt.mustHave) {
				t.Errorf("error %q does not name %q", err, tt.mustHave)
			}
		})
	}
}

// The GORM logger must never print parameter values: an AppKey or token
// passed as a query argument stays out of the log even at Info level and in
// error reports.
func TestGormLoggerHidesValues(t *testing.T) {
	s := newSQLiteStore(t)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db := s.DB.Session(&gorm.Session{Logger: models.NewGormLogger(log, time.Nanosecond).LogMode(logger.Info)})
	const secret = "APPKEY-9f8e7d6c"
	db.Exec("UPDATE pre_common_setting SET svalue = ? WHERE skey = ?", secret, "connectappkey")
	db.Exec("SELECT * FROM no_such_table WHERE x = ?", secret) // error path
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Fatalf("log contains the secret:\n%s", out)
	}
	for _, want := range []string{"svalue = ?", "sql failed", "no_such_table", "slow sql"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckCompatSQLite(t *testing.T) {
	s := newSQLiteStore(t) // runs CheckCompat
	if s.Schema == nil || !s.Schema.Transactional("pre_common_member") || !s.Schema.Has("pre_common_member", "SECMOBILE") {
		t.Errorf("schema not filled: %+v", s.Schema)
	}
	if !s.Schema.HasTable("pre_qqconnect_identity") {
		t.Error("own tables not inspected")
	}
	if cols := s.Schema.Columns("pre_common_connect_guest"); strings.Join(cols, ",") != "conopenid,conuin,conuinsecret,conqqnick,conuintoken" {
		t.Errorf("Columns = %v", cols)
	}
	if s.Schema.Columns("nope") != nil || s.Schema.Has("nope", "x") || s.Schema.Transactional("nope") {
		t.Error("unknown table reported as present")
	}
}

func TestMariaDB(t *testing.T) {
	for _, v := range []string{testdb.X34, testdb.X35} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			s, d := newMySQLStore(t, v)
			ctx := context.Background()
			t.Run("compat", func(t *testing.T) {
				if err := models.CheckCompat(ctx, s); err != nil {
					t.Fatalf("CheckCompat: %v", err)
				}
				x35 := v == testdb.X35
				checks := []struct {
					what      string
					got, want bool
				}{
					{"member transactional", s.Schema.Transactional("pre_common_member"), x35},
					{"identity transactional", s.Schema.Transactional("pre_qqconnect_identity"), true},
					{"has secmobile", s.Schema.Has("pre_common_member", "secmobile"), x35},
					{"has videophotostatus", s.Schema.Has("pre_common_member", "videophotostatus"), !x35},
					{"has regport", s.Schema.Has("pre_common_member_status", "regport"), x35},
					{"has uc members", s.Schema.HasTable("pre_ucenter_members"), true},
					{"other table not inspected", s.Schema.HasTable("pre_forum_post"), false},
				}
				for _, c := range checks {
					if c.got != c.want {
						t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
					}
				}
				full, err := models.InspectSchema(ctx, s.DB, models.DriverMySQL, nil)
				if err != nil || !full.HasTable("pre_forum_post") {
					t.Errorf("InspectSchema(all) = %v", err)
				}
			})
			t.Run("reads", func(t *testing.T) { testReads(t, s) })
			t.Run("own", func(t *testing.T) { testOwn(t, s) })
			t.Run("compat fails", func(t *testing.T) {
				d.Exec(t, "ALTER TABLE pre_common_member_connect DROP COLUMN conuintoken")
				d.Exec(t, "ALTER TABLE pre_common_member DROP COLUMN conisbind, DROP COLUMN freeze")
				d.Exec(t, "DROP TABLE pre_common_connect_guest")
				err := models.CheckCompat(ctx, s)
				var ce *models.CompatError
				if !errors.As(err, &ce) {
					t.Fatalf("CheckCompat = %v, want *CompatError", err)
				}
				msg := err.Error()
				for _, want := range []string{
					"pre_common_member_connect: missing column conuintoken (upgrade the qqconnect plugin in Discuz first)",
					"pre_common_connect_guest: missing table",
					"pre_common_member: missing columns conisbind, freeze",
				} {
					if !strings.Contains(msg, want) {
						t.Errorf("error lacks %q:\n%s", want, msg)
					}
				}
				if len(ce.Problems) != 3 {
					t.Errorf("problems = %q", ce.Problems)
				}
			})
		})
	}
}

func TestSQLiteQueries(t *testing.T) {
	s := newSQLiteStore(t)
	mustExec(t, s, `INSERT INTO pre_common_plugin (available, adminid, name, identifier, modules, version) VALUES (1, 1, 'QQ互联', 'qqconnect', '', '2.1.7')`)
	mustExec(t, s, `INSERT INTO pre_common_usergroup (groupid, type, grouptitle, allowvisit) VALUES (20, 'special', 'QQ游客', 1)`)
	t.Run("reads", func(t *testing.T) { testReads(t, s) })
	t.Run("own", func(t *testing.T) { testOwn(t, s) })
}

// testReads exercises the Discuz read helpers; the same rows and answers on
// sqlite and on both MariaDB versions.
func testReads(t *testing.T, s *models.Store) {
	ctx := context.Background()
	mustExec(t, s, `INSERT INTO pre_common_member (uid, username, email, password, groupid, regdate, conisbind) VALUES (2, 'alice', 'a@example.com', 'x', 10, 1700000000, 1)`)
	mustExec(t, s, `INSERT INTO pre_ucenter_members (uid, username, password, email, regip, regdate, salt) VALUES (2, 'alice', '$2y$10$abc', 'a@example.com', '1.2.3.4', 1700000000, '')`)
	mustExec(t, s, `INSERT INTO pre_common_member_connect (uid, conopenid, conuintoken, conisregister, conisfeed) VALUES (2, 'ABCDEF0123456789ABCDEF0123456789', 'tok', 1, 1)`)
	mustExec(t, s, `INSERT INTO pre_common_connect_guest (conopenid, conqqnick) VALUES ('FFFF0123456789ABCDEF0123456789FF', '小明')`)
	mustExec(t, s, `INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES ('BADBAD0123456789ABCDEF0123456789', 9, 1)`)
	for _, r := range []struct {
		uid      int
		uin      string
		typ      int
		dateline int
	}{{2, "ABCDEF0123456789ABCDEF0123456789", 1, 30}, {2, "ABCDEF0123456789ABCDEF0123456789", 2, 20}, {2, "ABCDEF0123456789ABCDEF0123456789", 1, 10}, {3, "ABCDEF0123456789ABCDEF0123456789", 1, 40}, {4, "ABCDEF0123456789ABCDEF0123456789", 2, 50}} {
		mustExec(t, s, `INSERT INTO pre_connect_memberbindlog (uid, uin, type, dateline) VALUES (?, ?, ?, ?)`, r.uid, r.uin, r.typ, r.dateline)
	}

	m, err := s.MemberByUID(ctx, 2)
	if err != nil || m.Username != "alice" || m.GroupID != 10 || m.ConIsBind != 1 || m.RegDate != 1700000000 {
		t.Errorf("MemberByUID = %+v, %v", m, err)
	}
	if m, err := s.MemberByUsername(ctx, "ALICE"); err != nil || m.UID != 2 {
		t.Errorf("MemberByUsername(ALICE) = %+v, %v (Discuz's collation is case-insensitive)", m, err)
	}
	if um, err := s.UCMemberByUsername(ctx, "alice"); err != nil || um.UID != 2 || um.Salt != "" || um.RegIP != "1.2.3.4" {
		t.Errorf("UCMemberByUsername = %+v, %v", um, err)
	}
	if um, err := s.UCMemberByUID(ctx, 2); err != nil || um.Password != "$2y$10$abc" {
		t.Errorf("UCMemberByUID = %+v, %v", um, err)
	}
	if c, err := s.ConnectByUID(ctx, 2); err != nil || c.ConUinToken != "tok" || c.ConIsRegister != 1 {
		t.Errorf("ConnectByUID = %+v, %v", c, err)
	}
	if c, err := s.ConnectByOpenID(ctx, "abcdef0123456789abcdef0123456789"); err != nil || c.UID != 2 {
		t.Errorf("ConnectByOpenID(lower) = %+v, %v", c, err)
	}
	if g, err := s.GuestByOpenID(ctx, "ffff0123456789abcdef0123456789ff"); err != nil || g.ConQQNick != "小明" {
		t.Errorf("GuestByOpenID = %+v, %v", g, err)
	}
	logs, err := s.BindLogs(ctx, 2)
	if err != nil || len(logs) != 3 || logs[0].Dateline != 10 || logs[2].Type != 1 {
		t.Errorf("BindLogs = %+v, %v", logs, err)
	}
	if n, err := s.CountBindUIDs(ctx, "abcdef0123456789abcdef0123456789"); err != nil || n != 2 {
		t.Errorf("CountBindUIDs = %d, %v; want 2 (uids 2 and 3 bound, 4 only unbound)", n, err)
	}
	if b, err := s.IsUinBlacklisted(ctx, "badbad0123456789abcdef0123456789"); err != nil || !b {
		t.Errorf("IsUinBlacklisted = %v, %v", b, err)
	}
	if b, err := s.IsUinBlacklisted(ctx, "ABCDEF0123456789ABCDEF0123456789"); err != nil || b {
		t.Errorf("IsUinBlacklisted(clean) = %v, %v", b, err)
	}
	if ok, err := s.UsergroupExists(ctx, 20); err != nil || !ok {
		t.Errorf("UsergroupExists(20) = %v, %v", ok, err)
	}
	if ok, err := s.UsergroupExists(ctx, 9999); err != nil || ok {
		t.Errorf("UsergroupExists(9999) = %v, %v", ok, err)
	}
	if p, err := s.PluginByIdentifier(ctx, "qqconnect"); err != nil || p.Available != 1 || p.Version != "2.1.7" || p.Name != "QQ互联" {
		t.Errorf("PluginByIdentifier = %+v, %v", p, err)
	}

	notFound := []struct {
		name string
		err  error
	}{
		{"MemberByUID", func() error { _, err := s.MemberByUID(ctx, 999); return err }()},
		{"MemberByUsername", func() error { _, err := s.MemberByUsername(ctx, "nobody"); return err }()},
		{"UCMemberByUsername", func() error { _, err := s.UCMemberByUsername(ctx, "nobody"); return err }()},
		{"UCMemberByUID", func() error { _, err := s.UCMemberByUID(ctx, 999); return err }()},
		{"ConnectByUID", func() error { _, err := s.ConnectByUID(ctx, 999); return err }()},
		{"ConnectByOpenID", func() error { _, err := s.ConnectByOpenID(ctx, "NOPE"); return err }()},
		{"GuestByOpenID", func() error { _, err := s.GuestByOpenID(ctx, "NOPE"); return err }()},
		{"PluginByIdentifier", func() error { _, err := s.PluginByIdentifier(ctx, "nope"); return err }()},
	}
	for _, nf := range notFound {
		if !errors.Is(nf.err, models.ErrNotFound) {
			t.Errorf("%s(missing) = %v, want ErrNotFound", nf.name, nf.err)
		}
	}
	if logs, err := s.BindLogs(ctx, 999); err != nil || len(logs) != 0 {
		t.Errorf("BindLogs(999) = %v, %v", logs, err)
	}
}

// testOwn exercises qqconnect's own tables.
func testOwn(t *testing.T, s *models.Store) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)

	t.Run("state", func(t *testing.T) {
		h := strings.Repeat("a", 64)
		if err := s.MarkStateUsed(ctx, h, now, now.Unix()+600); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkStateUsed(ctx, h, now, now.Unix()+600); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("second MarkStateUsed = %v, want ErrNotFound", err)
		}
	})

	t.Run("state race", func(t *testing.T) {
		const racers = 8
		for round := range 5 {
			hash := strings.Repeat(string(rune('d'+round)), 64)
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins := 0
			for range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := s.MarkStateUsed(ctx, hash, now, now.Unix()+600)
					if err == nil {
						mu.Lock()
						wins++
						mu.Unlock()
					} else if !errors.Is(err, models.ErrNotFound) {
						t.Errorf("racer: %v", err)
					}
				}()
			}
			wg.Wait()
			if wins != 1 {
				t.Fatalf("round %d: %d callbacks used the state, want exactly 1", round, wins)
			}
		}
	})

	t.Run("pending", func(t *testing.T) {
		union := "UNION1"
		p := models.Pending{TokenHash: strings.Repeat("1", 64), AppID: "101", OpenID: "abc", UnionID: &union, Nickname: "小明", CreatedAt: now.Unix(), ExpiresAt: now.Unix() + 600}
		if err := s.SavePending(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := s.PendingByToken(ctx, p.TokenHash, now)
		if err != nil || got.OpenID != "ABC" || got.UnionID == nil || *got.UnionID != union || got.Nickname != "小明" {
			t.Fatalf("PendingByToken = %+v, %v", got, err)
		}
		if _, err := s.PendingByToken(ctx, p.TokenHash, now.Add(600*time.Second)); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("expired PendingByToken = %v", err)
		}
		if taken, err := s.TakePending(ctx, p.TokenHash); err != nil || !taken {
			t.Fatalf("TakePending = %v, %v", taken, err)
		}
		if taken, err := s.TakePending(ctx, p.TokenHash); err != nil || taken {
			t.Fatalf("second TakePending = %v, %v; want false: one winner", taken, err)
		}
		if _, err := s.PendingByToken(ctx, p.TokenHash, now); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted PendingByToken = %v", err)
		}
	})

	t.Run("identity", func(t *testing.T) {
		id := models.Identity{UID: 2, AppID: "101", OpenID: "abcd", Nickname: "one", CreatedAt: 100, UpdatedAt: 100}
		if err := s.UpsertIdentity(ctx, nil, id); err != nil {
			t.Fatal(err)
		}
		union := "U2"
		id2 := id
		id2.Nickname, id2.UnionID, id2.CreatedAt, id2.UpdatedAt = "two", &union, 200, 200
		if err := s.UpsertIdentity(ctx, nil, id2); err != nil {
			t.Fatal(err)
		}
		got, err := s.IdentityByUID(ctx, 2)
		if err != nil || got.Nickname != "two" || got.CreatedAt != 100 || got.UpdatedAt != 200 || got.OpenID != "ABCD" || got.UnionID == nil || *got.UnionID != "U2" {
			t.Fatalf("IdentityByUID after upsert = %+v, %v", got, err)
		}
		var n int64
		s.DB.Table("pre_qqconnect_identity").Count(&n)
		if n != 1 {
			t.Errorf("%d identity rows after two upserts of one key", n)
		}

		// Inside a caller's transaction: rolled back with it.
		sentinel := errors.New("roll back")
		err = s.DB.Transaction(func(tx *gorm.DB) error {
			if err := s.UpsertIdentity(ctx, tx, models.Identity{UID: 7, AppID: "101", OpenID: "txonly", CreatedAt: 1, UpdatedAt: 1}); err != nil {
				return err
			}
			if err := s.DeleteIdentity(ctx, tx, "101", "abcd"); err != nil {
				return err
			}
			return sentinel
		})
		if !errors.Is(err, sentinel) {
			t.Fatalf("transaction = %v", err)
		}
		if _, err := s.IdentityByUID(ctx, 7); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("rolled-back upsert visible: %v", err)
		}
		if _, err := s.IdentityByUID(ctx, 2); err != nil {
			t.Errorf("rolled-back delete happened: %v", err)
		}
		if err := s.DeleteIdentity(ctx, nil, "101", "abcd"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.IdentityByUID(ctx, 2); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
	})

	t.Run("attempts", func(t *testing.T) {
		b := models.AttemptBudget{PerIP: 3, PerAccount: 2, Window: time.Minute}
		reserve := func(kind, ip, account string, when time.Time) (int64, error) {
			t.Helper()
			return s.ReserveAttempt(ctx, kind, ip, account, when, b)
		}
		// Two failures on one account use its budget; the third is refused.
		for i := range 2 {
			if _, err := reserve("bind", "1.1.1.1", "u:1", now); err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, err := reserve("bind", "2.2.2.2", "u:1", now); !errors.Is(err, models.ErrThrottled) {
			t.Errorf("third failure on u:1 = %v, want ErrThrottled", err)
		}
		// A success frees its reservation; another kind, account or an old window counts apart.
		id, err := reserve("bind", "1.1.1.1", "u:2", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MarkAttemptOK(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := reserve("admin", "1.1.1.1", "u:1", now); err != nil {
			t.Errorf("other kind refused: %v", err)
		}
		if _, err := reserve("bind", "1.1.1.1", "u:3", now); err != nil {
			t.Errorf("third failure from 1.1.1.1: %v", err)
		}
		if _, err := reserve("bind", "1.1.1.1", "u:4", now); !errors.Is(err, models.ErrThrottled) {
			t.Errorf("fourth failure from 1.1.1.1 = %v, want ErrThrottled (3 per IP)", err)
		}
		if _, err := reserve("bind", "1.1.1.1", "u:4", now.Add(2*time.Minute)); err != nil {
			t.Errorf("after the window: %v", err)
		}
	})

	t.Run("attempts in parallel", func(t *testing.T) {
		// Issue 9 #2: 60 parallel attempts against a budget of 5 must not all pass.
		b := models.AttemptBudget{PerIP: 1000, PerAccount: 5, Window: time.Minute}
		var wg sync.WaitGroup
		var mu sync.Mutex
		passed := 0
		for i := range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.ReserveAttempt(ctx, "race", fmt.Sprintf("10.0.0.%d", i), "u:77", now, b)
				if err == nil {
					mu.Lock()
					passed++
					mu.Unlock()
				} else if !errors.Is(err, models.ErrThrottled) {
					t.Errorf("reserve: %v", err)
				}
			}()
		}
		wg.Wait()
		if passed > 5 {
			t.Fatalf("%d of 60 parallel attempts passed a budget of 5", passed)
		}
		if _, err := s.ReserveAttempt(ctx, "race", "10.9.9.9", "u:77", now, b); passed == 5 && !errors.Is(err, models.ErrThrottled) {
			t.Errorf("attempt after the burst = %v, want ErrThrottled", err)
		}
	})

	t.Run("claims", func(t *testing.T) {
		release, err := s.Claim(ctx, now, "openid:X", "uid:1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Claim(ctx, now, "uid:2", "openid:X"); !errors.Is(err, models.ErrBusy) {
			t.Errorf("second claim of openid:X = %v, want ErrBusy", err)
		}
		// The refused claim let go of what it took (uid:2).
		r2, err := s.Claim(ctx, now, "uid:2")
		if err != nil {
			t.Errorf("uid:2 still held after a refused claim: %v", err)
		}
		r2()
		// A crashed holder's claim is taken over once it expires.
		r3, err := s.Claim(ctx, now.Add(models.ClaimTTL+time.Second), "openid:X")
		if err != nil {
			t.Errorf("expired claim not taken over: %v", err)
		}
		r3()
		release()
	})

	t.Run("meta", func(t *testing.T) {
		if _, err := s.GetMeta(ctx, "authkey"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("GetMeta(missing) = %v", err)
		}
		for _, v := range []string{"first", "second"} {
			if err := s.SetMeta(ctx, "authkey", v); err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetMeta(ctx, "authkey"); err != nil || got != v {
				t.Errorf("GetMeta = %q, %v; want %q", got, err, v)
			}
		}
	})

	t.Run("purge", func(t *testing.T) {
		later := now.Add(30 * 24 * time.Hour)
		for i, exp := range []int64{now.Unix(), later.Unix() + 60} {
			h := strings.Repeat(string(rune('p'+i)), 64)
			if err := s.MarkStateUsed(ctx, h, now, exp); err != nil {
				t.Fatal(err)
			}
			if err := s.SavePending(ctx, models.Pending{TokenHash: h, ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
		}
		var attempts int64
		s.DB.Table(s.T.Own("login_attempt")).Count(&attempts)
		n, err := s.PurgeExpired(ctx, later)
		// At least the expired state and pending and every attempt above (older than 7 days by then).
		if err != nil || n < 2+attempts {
			t.Errorf("PurgeExpired = %d, %v; want ≥ %d", n, err, 2+attempts)
		}
		var left int64
		s.DB.Table(s.T.Own("login_attempt")).Count(&left)
		if left != 0 {
			t.Errorf("%d old attempts left", left)
		}
		if err := s.MarkStateUsed(ctx, strings.Repeat("p", 64), later, later.Unix()+60); err != nil {
			t.Errorf("expired used-state mark not purged: %v", err)
		}
		if err := s.MarkStateUsed(ctx, strings.Repeat("q", 64), later, later.Unix()+60); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("live used-state mark purged: %v", err)
		}
	})
}

func TestOpenSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, dsn   string
		journalMode string
	}{
		{"file", filepath.Join(t.TempDir(), "a.db"), "wal"},
		{"file keeps own pragma", filepath.Join(t.TempDir(), "b.db") + "?_pragma=journal_mode(DELETE)", "delete"},
		{"memory", ":memory:", "memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := models.Open(ctx, models.DriverSQLite, tt.dsn, tables, quietLog())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var mode string
			var fk, busy int
			s.DB.Raw("PRAGMA journal_mode").Scan(&mode)
			s.DB.Raw("PRAGMA foreign_keys").Scan(&fk)
			s.DB.Raw("PRAGMA busy_timeout").Scan(&busy)
			if strings.ToLower(mode) != tt.journalMode || fk != 0 || busy < 1000 {
				t.Errorf("journal_mode=%s foreign_keys=%d busy_timeout=%d", mode, fk, busy)
			}
			if err := s.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
		})
	}
}
