// Package migrations creates qqconnect's own tables (<prefix>qqconnect_*)
// with a tiny embedded runner, and, for the standalone sqlite mode only, the
// Discuz tables qqconnect uses (DemoForum). Apply never touches a Discuz
// table: in mysql mode those belong to Discuz and its plugin installer.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed sql/*.sql
var files embed.FS

// Dialects understood by Apply and Pending.
const (
	MySQL  = "mysql"
	SQLite = "sqlite"
)

// lockTimeout bounds how long Apply waits for another instance's run (mysql).
const lockTimeout = 60 * time.Second

// migration is one numbered file for one dialect.
type migration struct {
	version int
	name    string
	body    string
}

var (
	fileRe   = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.(mysql|sqlite)\.sql$`)
	prefixRe = regexp.MustCompile(`^[A-Za-z0-9_]*$`)
)

// checkArgs rejects an unknown dialect and any prefix that could smuggle SQL
// into the table names we splice into statements.
func checkArgs(dialect, prefix string) error {
	if dialect != MySQL && dialect != SQLite {
		return fmt.Errorf("migrations: unknown dialect %q (want %q or %q)", dialect, MySQL, SQLite)
	}
	if !prefixRe.MatchString(prefix) {
		return fmt.Errorf("migrations: table prefix %q: only letters, digits and _ allowed", prefix)
	}
	return nil
}

// load returns the dialect's migrations in version order.
func load(dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(files, "sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: read embedded files: %w", err)
	}
	var out []migration
	for _, e := range entries {
		m := fileRe.FindStringSubmatch(e.Name())
		if m == nil || m[3] != dialect {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(files, "sql/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrations: read %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: m[2], body: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations: two %s migrations numbered %04d", dialect, out[i].version)
		}
	}
	return out, nil
}

func ownTable(prefix, name string) string { return prefix + "qqconnect_" + name }

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func tableExists(ctx context.Context, q querier, dialect, table string) (bool, error) {
	var n int
	var err error
	if dialect == MySQL {
		err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.TABLES
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table).Scan(&n)
	} else {
		err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return n > 0, nil
}

// appliedVersions reads the migrations table; a missing table means none.
func appliedVersions(ctx context.Context, q querier, dialect, prefix string) (map[int]bool, error) {
	table := ownTable(prefix, "migrations")
	ok, err := tableExists(ctx, q, dialect, table)
	if err != nil || !ok {
		return map[int]bool{}, err
	}
	rows, err := q.QueryContext(ctx, "SELECT version FROM "+table)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	return done, nil
}

// Pending lists the versions Apply would run, in order.
func Pending(ctx context.Context, db *sql.DB, dialect, prefix string) ([]int, error) {
	if err := checkArgs(dialect, prefix); err != nil {
		return nil, err
	}
	all, err := load(dialect)
	if err != nil {
		return nil, err
	}
	done, err := appliedVersions(ctx, db, dialect, prefix)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []int
	for _, m := range all {
		if !done[m.version] {
			out = append(out, m.version)
		}
	}
	return out, nil
}

// Apply runs every pending migration in order and returns the versions it ran
// (none on a second call). On sqlite each migration runs in one transaction;
// MySQL commits DDL implicitly, so there each file is written to be re-runnable
// (IF NOT EXISTS) and its version is recorded only after it succeeded. A MySQL
// named lock keeps two instances starting together from racing.
func Apply(ctx context.Context, db *sql.DB, dialect, prefix string) (applied []int, err error) {
	if err := checkArgs(dialect, prefix); err != nil {
		return nil, err
	}
	all, err := load(dialect)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: connect: %w", err)
	}
	defer conn.Close()

	if dialect == MySQL {
		lock := ownTable(prefix, "migrate")
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", lock, int(lockTimeout.Seconds())).Scan(&got); err != nil {
			return nil, fmt.Errorf("migrations: take lock %s: %w", lock, err)
		}
		if got.Int64 != 1 {
			return nil, fmt.Errorf("migrations: lock %s held by another process for %s", lock, lockTimeout)
		}
		defer func() {
			// A fresh context: the caller's may be cancelled, the lock must go.
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, rerr := conn.ExecContext(rctx, "SELECT RELEASE_LOCK(?)", lock); rerr != nil && err == nil {
				err = fmt.Errorf("migrations: release lock %s: %w", lock, rerr)
			}
		}()
	}

	table := ownTable(prefix, "migrations")
	create := "CREATE TABLE IF NOT EXISTS " + table + " (version int NOT NULL PRIMARY KEY, applied_at bigint NOT NULL)"
	if dialect == MySQL {
		create += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	}
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return nil, fmt.Errorf("migrations: create %s: %w", table, err)
	}
	done, err := appliedVersions(ctx, conn, dialect, prefix)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}

	for _, m := range all {
		if done[m.version] {
			continue
		}
		if err := runOne(ctx, conn, dialect, prefix, m); err != nil {
			return applied, fmt.Errorf("migrations: %04d_%s (%s): %w", m.version, m.name, dialect, err)
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}

func runOne(ctx context.Context, conn *sql.Conn, dialect, prefix string, m migration) error {
	stmts := SplitStatements(strings.ReplaceAll(m.body, "{{P}}", prefix+"qqconnect_"))
	record := "INSERT INTO " + ownTable(prefix, "migrations") + " (version, applied_at) VALUES (?, ?)"
	now := time.Now().Unix()

	if dialect == MySQL {
		for _, s := range stmts {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%w in: %.120s", err, s)
			}
		}
		if _, err := conn.ExecContext(ctx, record, m.version, now); err != nil {
			return fmt.Errorf("record version: %w", err)
		}
		return nil
	}

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%w in: %.120s", err, s)
		}
	}
	if _, err := tx.ExecContext(ctx, record, m.version, now); err != nil {
		return fmt.Errorf("record version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// DemoForum creates, on sqlite only, the Discuz X3.5 tables qqconnect uses
// (column set and types from install.sql; see sql/demo_forum.sqlite.sql), so
// the standalone mode runs the same queries as a real forum. IF NOT EXISTS:
// calling it on an existing demo database changes nothing.
func DemoForum(ctx context.Context, db *sql.DB, prefix, ucPrefix string) error {
	if err := checkArgs(SQLite, prefix); err != nil {
		return err
	}
	if err := checkArgs(SQLite, ucPrefix); err != nil {
		return err
	}
	body, err := fs.ReadFile(files, "sql/demo_forum.sqlite.sql")
	if err != nil {
		return fmt.Errorf("demo forum schema: %w", err)
	}
	// Refuse anything but sqlite: creating Discuz tables in a real forum's
	// MySQL database would be exactly what qqconnect promises never to do.
	var version string
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&version); err != nil {
		return fmt.Errorf("demo forum schema: not a sqlite database: %w", err)
	}
	text := strings.NewReplacer("{{PRE}}", prefix, "{{UC}}", ucPrefix).Replace(string(body))
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("demo forum schema: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	for _, s := range SplitStatements(text) {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("demo forum schema: %w in: %.120s", err, s)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("demo forum schema: commit: %w", err)
	}
	return nil
}

// SplitStatements splits a script at ';' ending a line outside quotes and
// drops '--' comment lines: enough for the files in sql/, which are ours.
func SplitStatements(script string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	for _, line := range strings.SplitAfter(script, "\n") {
		if quote == 0 && cur.Len() == 0 {
			if trim := strings.TrimSpace(line); trim == "" || strings.HasPrefix(trim, "--") {
				continue
			}
		}
		end := -1
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '\'' || c == '"' || c == '`':
				quote = c
			case c == ';' && strings.TrimSpace(line[i+1:]) == "":
				end = i
			}
		}
		if end >= 0 {
			cur.WriteString(line[:end])
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
