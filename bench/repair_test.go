package bench

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"qqconnect/internal/testdb"
)

// memberTable matches the tables that grow with the membership.
var memberTable = regexp.MustCompile(`^pre_(common_member\w*|ucenter_members|ucenter_memberfields)$`)

// repairsAtScale builds a forum of members (bound of them bound to QQ)
// server-side with MariaDB's SEQUENCE engine, then runs plugin-disable and
// clear-app-key through the binary: work = the --yes run's wall time minus
// the --dry-run's (same start-up, same plan). Every statement the repair
// sends is EXPLAINed; one that scans a member table is reported.
func repairsAtScale(t *testing.T, bin string, members, bound int) []repairResult {
	ctx := context.Background()
	f := &forum{db: testdb.New(t, testdb.X35), appKey: randHex(t, 16), authkey: randHex(t, 16)}
	loadLiveCache(t, f.db)
	f.db.InstallQQConnect(t, appID, f.appKey)
	f.addUser(t)
	db := f.db.SQL
	const base = 1000 // above the install's own uids
	seq := fmt.Sprintf("seq_%d_to_%d", base+1, base+members)
	for _, q := range []string{
		"INSERT INTO pre_ucenter_members (uid, username, password, email, regip, regdate, salt) SELECT seq, CONCAT('u', seq), '', CONCAT('u', seq, '@example.com'), '127.0.0.1', 1700000000, '' FROM " + seq,
		"INSERT INTO pre_common_member (uid, username, password, email, groupid, regdate, timeoffset, conisbind) SELECT seq, CONCAT('u', seq), MD5(seq), CONCAT('u', seq, '@example.com'), 10, 1700000000, '9999', seq <= " + fmt.Sprint(base+bound) + " FROM " + seq,
		fmt.Sprintf("INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conuintoken) SELECT seq, '', '', UPPER(MD5(seq)), 1, '' FROM seq_%d_to_%d", base+1, base+bound),
	} {
		_, err := db.ExecContext(ctx, q)
		must(t, err, "build the forum: %.80s", q)
	}
	env := []string{"QQCONNECT_DB_DRIVER=mysql", "QQCONNECT_DB_DSN=" + f.dsn, "QQCONNECT_AUTHKEY=" + f.authkey}
	var out []repairResult
	for _, action := range []string{"plugin-disable", "clear-app-key"} {
		r := repairResult{Action: action}
		var dry time.Duration
		for i := range 3 { // the first warms the binary and the buffer pool
			d, o, err := runCmd(ctx, bin, env, "repair", action, "--dry-run")
			must(t, err, "repair %s --dry-run: %s", action, o)
			if i == 0 || d < dry {
				dry = d
			}
		}
		stmts := captureStatements(t, db, f.user, func() {
			d, o, err := runCmd(ctx, bin, env, "repair", action, "--yes")
			must(t, err, "repair %s --yes: %s", action, o)
			if !strings.Contains(o, "done: audit entry") {
				t.Fatalf("repair %s wrote nothing: %s", action, o)
			}
			r.ApplyMS = ms(d)
		})
		r.DryMS = ms(dry)
		r.WorkMS = max(0, r.ApplyMS-r.DryMS)
		r.Explain, r.Scans = explain(t, db, stmts)
		if len(r.Scans) > 0 {
			t.Errorf("repair %s scans a member table: %v", action, r.Scans)
		}
		out = append(out, r)
	}
	return out
}

// captureStatements returns what user sent to the server while fn ran
// (MariaDB's general log, to a table, restored afterwards).
func captureStatements(t *testing.T, db *sql.DB, user string, fn func()) []string {
	var output string
	var on int
	must(t, db.QueryRow("SELECT @@GLOBAL.log_output, @@GLOBAL.general_log").Scan(&output, &on), "general log settings")
	for _, q := range []string{"SET GLOBAL log_output = 'TABLE'", "SET GLOBAL general_log = 1"} {
		_, err := db.Exec(q)
		must(t, err, "%s", q)
	}
	start := time.Now()
	fn()
	db.Exec("SET GLOBAL general_log = ?", on)
	db.Exec("SET GLOBAL log_output = ?", output)
	rows, err := db.Query("SELECT argument FROM mysql.general_log WHERE user_host LIKE ? AND command_type IN ('Query', 'Execute') AND event_time >= ? ORDER BY event_time",
		user+"[%", start)
	must(t, err, "read the general log")
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		must(t, rows.Scan(&s), "scan")
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatal("the general log holds no statement of the repair")
	}
	return out
}

var explainable = regexp.MustCompile(`(?is)^\s*(SELECT|UPDATE|DELETE|INSERT\s+INTO\s+\S+\s*(\([^)]*\))?\s*SELECT)`)

// explain EXPLAINs each statement that touches a member table and returns
// one line per plan row and the rows that scan a member table.
func explain(t *testing.T, db *sql.DB, stmts []string) (lines, scans []string) {
	for _, q := range stmts {
		if !explainable.MatchString(q) || !strings.Contains(q, "member") {
			continue
		}
		rows, err := db.Query("EXPLAIN " + q)
		must(t, err, "EXPLAIN %.200s", q)
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			must(t, rows.Scan(ptrs...), "scan EXPLAIN")
			get := func(name string) string {
				for i, c := range cols {
					if c == name {
						return vals[i].String
					}
				}
				return ""
			}
			line := fmt.Sprintf("%-.90s → table=%s type=%s key=%s rows=%s", oneLine(q), get("table"), get("type"), get("key"), get("rows"))
			lines = append(lines, line)
			if memberTable.MatchString(get("table")) && (get("type") == "ALL" || get("type") == "index") {
				scans = append(scans, line)
			}
		}
		rows.Close()
	}
	return lines, scans
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
