package bench

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"qqconnect/discuz"
	"qqconnect/internal/testdb"
	"qqconnect/plugin/sandbox"
)

const appID = "101234567"

// forum is a Discuz X3.5 database with bound members and a MariaDB user of
// its own for qqconnect, so the server's per-user statistics count exactly
// the statements qqconnect sent.
type forum struct {
	db       *testdb.DB
	appKey   string
	user     string // qqconnect's MariaDB user
	dsn      string // qqconnect's DSN (that user)
	members  []member
	admin    member
	adminPW  string
	authkey  string
	cookiePr string
}

type member struct {
	uid      int64
	qq       string
	password string // pre_common_member.password: what the auth cookie carries
}

func randHex(t *testing.T, n int) string {
	b := make([]byte, n)
	_, err := rand.Read(b)
	must(t, err, "random")
	return hex.EncodeToString(b)
}

func newForum(t *testing.T, bound int) *forum {
	db := testdb.New(t, testdb.X35)
	f := &forum{db: db, appKey: randHex(t, 16), authkey: randHex(t, 16), cookiePr: "OqGo_"}
	loadLiveCache(t, db)
	db.InstallQQConnect(t, appID, f.appKey)
	f.addUser(t)
	f.seed(t, bound)
	return f
}

// addUser creates qqconnect's own MariaDB account (dropped at cleanup) and
// its DSN over the same transport as the test database's.
func (f *forum) addUser(t *testing.T) {
	ctx := context.Background()
	f.user = "qqcb_" + randHex(t, 4)
	pw := randHex(t, 12)
	cfg, err := mysql.ParseDSN(f.db.DSN)
	must(t, err, "parse DSN")
	hosts := []string{"localhost", "127.0.0.1"}
	for _, h := range hosts {
		_, err := f.db.SQL.ExecContext(ctx, fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'", f.user, h, pw))
		must(t, err, "create user")
		_, err = f.db.SQL.ExecContext(ctx, fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'%s'", f.db.Name, f.user, h))
		must(t, err, "grant")
	}
	t.Cleanup(func() {
		for _, h := range hosts {
			f.db.SQL.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%s'", f.user, h))
		}
	})
	cfg.User, cfg.Passwd = f.user, pw
	f.dsn = cfg.FormatDSN()
}

// seed adds n bound members (QQ numbers 30000000+i) and one administrator,
// with the rows Discuz's registration writes, in a few multi-row statements.
func (f *forum) seed(t *testing.T, n int) {
	ctx := context.Background()
	uc := "pre_ucenter_"
	hash, salt, err := discuz.HashUCPassword("bench-pw", true, rand.Reader)
	must(t, err, "hash")
	f.adminPW = "admin-" + randHex(t, 6)
	adminHash, adminSalt, err := discuz.HashUCPassword(f.adminPW, true, rand.Reader)
	must(t, err, "hash")
	var maxUID int64
	must(t, f.db.SQL.QueryRowContext(ctx, "SELECT COALESCE(MAX(uid), 0) FROM "+uc+"members").Scan(&maxUID), "max uid")
	batch := func(table, cols string, rows [][]any) {
		for len(rows) > 0 {
			k := min(len(rows), 500)
			ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(rows[0])), ",") + ")"
			var args []any
			for _, r := range rows[:k] {
				args = append(args, r...)
			}
			_, err := f.db.SQL.ExecContext(ctx, "INSERT INTO "+table+" ("+cols+") VALUES "+strings.TrimSuffix(strings.Repeat(ph+",", k), ","), args...)
			must(t, err, "insert into %s", table)
			rows = rows[k:]
		}
	}
	var ucRows, fieldRows, memRows, statusRows, countRows, connRows [][]any
	for i := 0; i <= n; i++ {
		uid := maxUID + 1 + int64(i)
		name, h, s, admin, group := fmt.Sprintf("会员%d", i), hash, salt, 0, 10
		if i == n {
			name, h, s, admin, group = "benchadmin", adminHash, adminSalt, 1, 1
		}
		pw := fmt.Sprintf("%x", md5.Sum([]byte(randHex(t, 8))))
		m := member{uid: uid, qq: fmt.Sprint(30000000 + i), password: pw}
		ucRows = append(ucRows, []any{uid, name, h, fmt.Sprintf("m%d@example.com", i), "127.0.0.1", 1700000000, s})
		fieldRows = append(fieldRows, []any{uid, ""})
		bind := 1
		if i == n {
			bind = 0
		}
		memRows = append(memRows, []any{uid, name, pw, fmt.Sprintf("m%d@example.com", i), group, admin, 1700000000, "9999", bind})
		statusRows = append(statusRows, []any{uid, "127.0.0.1", "127.0.0.1"})
		countRows = append(countRows, []any{uid})
		if i == n {
			f.admin = m
			continue
		}
		connRows = append(connRows, []any{uid, "", "", sandbox.OpenID(appID, m.qq), 1, ""})
		f.members = append(f.members, m)
	}
	batch(uc+"members", "uid, username, password, email, regip, regdate, salt", ucRows)
	batch(uc+"memberfields", "uid, blacklist", fieldRows)
	batch("pre_common_member", "uid, username, password, email, groupid, adminid, regdate, timeoffset, conisbind", memRows)
	batch("pre_common_member_status", "uid, regip, lastip", statusRows)
	batch("pre_common_member_count", "uid", countRows)
	batch("pre_common_member_connect", "uid, conuin, conuinsecret, conopenid, conisfeed, conuintoken", connRows)
}

// loadLiveCache loads the pre_common_syscache rows dumped from a live X3.5
// with qqconnect on: the `setting` cache every repair patches.
func loadLiveCache(t *testing.T, db *testdb.DB) {
	db.LoadFile(t, filepath.Join(testdb.SharedDir(t), "discuz", "x3.5", "fixtures", "x35-qqconnect-on-syscache.sql"))
}

func (f *forum) qqs() []string {
	out := make([]string, len(f.members))
	for i, m := range f.members {
		out[i] = m.qq
	}
	return out
}

// userStats is MariaDB's count of qqconnect's statements and their CPU
// (information_schema.USER_STATISTICS, userstat=1).
type userStats struct {
	statements int64
	cpu        float64 // seconds
}

func (f *forum) stats(t *testing.T) userStats {
	var s userStats
	err := f.db.SQL.QueryRow("SELECT SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS, CPU_TIME FROM information_schema.USER_STATISTICS WHERE USER = ?", f.user).Scan(&s.statements, &s.cpu)
	if err == sql.ErrNoRows {
		return s
	}
	must(t, err, "user statistics")
	return s
}

// enableUserStats turns MariaDB's per-user statistics on for the test.
func enableUserStats(t *testing.T, db *sql.DB) {
	var was int
	must(t, db.QueryRow("SELECT @@GLOBAL.userstat").Scan(&was), "userstat")
	_, err := db.Exec("SET GLOBAL userstat = 1")
	must(t, err, "SET GLOBAL userstat")
	t.Cleanup(func() { db.Exec(fmt.Sprintf("SET GLOBAL userstat = %d", was)) })
}
