// Package testdb is the MariaDB harness of qqconnect's integration tests:
// every test gets a fresh database loaded from the real Discuz! X SQL files in
// ../shared/discuz exactly like Discuz's installer loads them, so the tests run
// against the schema a real forum has, not against a hand-written imitation.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Supported Discuz versions (directory names under shared/discuz).
const (
	X34 = "x3.4"
	X35 = "x3.5"
)

const (
	defaultTCPDSN  = "root@tcp(127.0.0.1:3306)/"
	defaultSockDSN = "root@unix(/run/mysqld/mysqld.sock)/"
	// QQConnectGuestGroupID is the group id the qqconnect plugin's install.php
	// gets for "QQ游客" on a fresh site (the next free usergroup id).
	QQConnectGuestGroupID = 20
)

// DB is one fresh, fully loaded Discuz database owned by a single test.
type DB struct {
	Name    string  // database name, qqc_t_<random>
	DSN     string  // go-sql-driver DSN of Name (charset=utf8mb4), for the code under test
	SQL     *sql.DB // connection pool on DSN, closed in t.Cleanup
	Version string  // "x3.4" | "x3.5"
	Charset string  // the tables' charset: utf8, utf8mb4, or gbk/big5 (NewCharset)
}

// unavailable fails the test in CI (where MariaDB is part of the contract)
// and skips it elsewhere, so a laptop without MariaDB still runs unit tests.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("MariaDB required in CI: %s", msg)
		return
	}
	t.Skipf("MariaDB not available: %s", msg)
}

// ServerDSN returns the base DSN of the test server (no database selected):
// env QQCONNECT_TEST_MYSQL_DSN, else root over TCP, else root over the unix
// socket (Debian's MariaDB refuses root over TCP with error 1698).
func ServerDSN(t testing.TB) string {
	t.Helper()
	candidates := []string{defaultTCPDSN, defaultSockDSN}
	if v := os.Getenv("QQCONNECT_TEST_MYSQL_DSN"); v != "" {
		candidates = []string{v}
	}
	var errs []error
	for _, dsn := range candidates {
		err := pingDSN(dsn)
		if err == nil {
			return dsn
		}
		errs = append(errs, fmt.Errorf("%s: %w", redact(dsn), err))
	}
	unavailable(t, "%v", errors.Join(errs...))
	return ""
}

func pingDSN(dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("parse DSN: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 3 * time.Second
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// redact hides a password so a DSN can appear in test output.
func redact(dsn string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "<unparsable DSN>"
	}
	if cfg.Passwd != "" {
		cfg.Passwd = "****"
	}
	return cfg.FormatDSN()
}

// SharedDir is the folder the Discuz SQL and fixtures are read from: env
// QQCONNECT_SHARED_DIR when set, else the project's own carried copy
// (internal/testdb/testdata, carried.go), which the tests always use so
// that a clone runs them alone. OriginalSharedDir is ../shared itself.
func SharedDir(t testing.TB) string {
	t.Helper()
	if v := os.Getenv("QQCONNECT_SHARED_DIR"); v != "" {
		return v
	}
	if d, ok := carriedDir(); ok {
		return d
	}
	return OriginalSharedDir(t)
}

// OriginalSharedDir finds the shared folder (Discuz SQL, docs) next to the
// repository root: <dir holding go.mod>/../shared.
func OriginalSharedDir(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("testdb: %v; set QQCONNECT_SHARED_DIR", err)
	}
	shared := filepath.Join(filepath.Dir(root), "shared")
	if _, err := os.Stat(filepath.Join(shared, "discuz")); err != nil {
		t.Fatalf("testdb: %s has no discuz folder (set QQCONNECT_SHARED_DIR): %v", shared, err)
	}
	return shared
}

// repoRoot is the folder holding go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// dbCharset is Discuz's DBCHARSET per version (install_var.php).
func dbCharset(version string) string {
	if version == X34 {
		return "utf8"
	}
	return "utf8mb4"
}

// New creates database qqc_t_<random>, loads install.sql, install_data.sql and
// uc.sql of the given version the way Discuz's installer does, and drops the
// database when the test ends.
func New(t testing.TB, version string) *DB {
	t.Helper()
	return NewCharset(t, version, dbCharset(version))
}

// NewCharset is New with the table charset of a converted edition: Discuz
// shipped SC_GBK and TC_BIG5 builds of X3.4 whose installer writes
// DEFAULT CHARSET=gbk / big5. The SQL files are UTF-8 and are loaded as
// such; MySQL converts into the tables' charset. Only X3.4 had such
// editions: for X3.5 the tables stay utf8mb4.
func NewCharset(t testing.TB, version, charset string) *DB {
	t.Helper()
	if version != X34 && version != X35 {
		t.Fatalf("testdb: unknown Discuz version %q (want %q or %q)", version, X34, X35)
	}
	dir := filepath.Join(SharedDir(t), "discuz", version)
	base := ServerDSN(t)

	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("testdb: parse server DSN: %v", err)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatalf("testdb: random name: %v", err)
	}
	name := "qqc_t_" + hex.EncodeToString(rnd[:])

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	admin, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatalf("testdb: open server: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` DEFAULT CHARACTER SET "+charset); err != nil {
		unavailable(t, "create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		drop, err := sql.Open("mysql", base)
		if err != nil {
			t.Errorf("testdb: drop %s: %v", name, err)
			return
		}
		defer drop.Close()
		if _, err := drop.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Errorf("testdb: drop %s: %v", name, err)
		}
	})

	// The loader session behaves like Discuz's db driver: SET NAMES DBCHARSET
	// and sql_mode='' (install_data.sql inserts '' into integer columns).
	loadCfg := cfg.Clone()
	loadCfg.DBName = name
	loadCfg.MultiStatements = true
	if err := loadCfg.Apply(mysql.Charset(dbCharset(version), "")); err != nil {
		t.Fatalf("testdb: charset: %v", err)
	}
	if loadCfg.Params == nil {
		loadCfg.Params = map[string]string{}
	}
	loadCfg.Params["sql_mode"] = "''"
	loader, err := sql.Open("mysql", loadCfg.FormatDSN())
	if err != nil {
		t.Fatalf("testdb: open %s: %v", name, err)
	}
	defer loader.Close()
	loader.SetMaxOpenConns(ddlWorkers)

	steps := []struct {
		file    string
		convert func(string) string
	}{
		{"install.sql", func(s string) string { return convertEngine(version, charset, s) }},
		{"install_data.sql", nil},
		{"uc.sql", func(s string) string {
			return convertEngine(version, charset, strings.ReplaceAll(s, " uc_", " pre_ucenter_"))
		}},
	}
	for _, st := range steps {
		path := filepath.Join(dir, st.file)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("testdb: %v", err)
		}
		text := strings.ReplaceAll(string(raw), "\r\n", "\n")
		if st.convert != nil {
			text = st.convert(text)
		}
		if err := execScript(ctx, loader, SplitStatements(text)); err != nil {
			t.Fatalf("testdb: load %s %s: %v", version, st.file, err)
		}
	}

	appCfg := cfg.Clone()
	appCfg.DBName = name
	if err := appCfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
		t.Fatalf("testdb: charset: %v", err)
	}
	tableCharset := charset
	if version != X34 {
		tableCharset = dbCharset(version)
	}
	d := &DB{Name: name, DSN: appCfg.FormatDSN(), Version: version, Charset: tableCharset}
	d.SQL, err = sql.Open("mysql", d.DSN)
	if err != nil {
		t.Fatalf("testdb: open %s: %v", name, err)
	}
	t.Cleanup(func() { d.SQL.Close() })
	if tableCharset == "gbk" || tableCharset == "big5" {
		if err := reserializeSettings(ctx, d.SQL, tableCharset); err != nil {
			t.Fatalf("testdb: %s settings: %v", tableCharset, err)
		}
	}
	return d
}

var (
	// X3.4 writes "TYPE=MyISAM" / "TYPE=HEAP"; the installer turns every
	// table option tail into "ENGINE=<type> DEFAULT CHARSET=utf8".
	typeRe = regexp.MustCompile(`(?im)^\)\s*TYPE\s*=\s*(\w+)[^;\n]*;`)
	// X3.5 writes "ENGINE=InnoDB"; the installer appends utf8mb4 + unicode_ci.
	engineRe = regexp.MustCompile(`(?im)^\)\s*ENGINE\s*=\s*(\w+)[^;\n]*;`)
)

// convertEngine applies the installer's createtable() rewrite of the table
// options (discuz.md §1 "Engine and charset").
func convertEngine(version, charset, s string) string {
	switch version {
	case X34:
		return typeRe.ReplaceAllString(s, ") ENGINE=$1 DEFAULT CHARSET="+charset+";")
	default:
		return engineRe.ReplaceAllString(s, ") ENGINE=$1 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;")
	}
}

// ddlWorkers is how many connections create tables at once: CREATE TABLE
// costs a few ms of file I/O each, and ~260 of them dominate the load time.
const ddlWorkers = 4

// execScript runs a script's statements in order, except that the leading run
// of DROP TABLE/CREATE TABLE statements (all of install.sql, the schema part
// of uc.sql) is spread over ddlWorkers connections, each table's DROP and
// CREATE staying together on one connection.
func execScript(ctx context.Context, db *sql.DB, stmts []string) error {
	n := 0
	for n < len(stmts) && isTableDDL(stmts[n]) {
		n++
	}
	ddl, rest := stmts[:n], stmts[n:]
	// Group each table's statements: a new group starts at every DROP or at a
	// CREATE not preceded by its DROP.
	var groups [][]string
	for i, s := range ddl {
		if i == 0 || hasPrefixFold(s, "DROP") || hasPrefixFold(ddl[i-1], "CREATE") {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], s)
	}
	errs := make([]error, ddlWorkers)
	var wg sync.WaitGroup
	for w := range ddlWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []string
			for i := w; i < len(groups); i += ddlWorkers {
				mine = append(mine, groups[i]...)
			}
			errs[w] = execBatched(ctx, db, mine)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return execBatched(ctx, db, rest)
}

func isTableDDL(s string) bool {
	return hasPrefixFold(s, "DROP TABLE") || hasPrefixFold(s, "CREATE TABLE")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// execBatched sends statements in multi-statement batches: one round trip
// per batch keeps the ~1200 statements of an install well under a second,
// while a failure still names the statement that broke.
func execBatched(ctx context.Context, db *sql.DB, stmts []string) error {
	const batchBytes = 256 << 10
	var batch []string
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := db.ExecContext(ctx, strings.Join(batch, ";\n")); err != nil {
			// The server's message quotes the text near the error; add where
			// the batch starts so the statement is easy to find.
			return fmt.Errorf("%w (in a batch of %d statements starting: %.120s)", err, len(batch), batch[0])
		}
		batch, size = batch[:0], 0
		return nil
	}
	for _, s := range stmts {
		batch = append(batch, s)
		size += len(s)
		if size >= batchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// Exec runs one statement on the test database and fails the test on error.
func (d *DB) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := d.SQL.Exec(query, args...); err != nil {
		t.Fatalf("testdb: exec %.200s: %v", query, err)
	}
}

// LoadFile runs an SQL file (e.g. a syscache fixture) statement by statement.
func (d *DB) LoadFile(t testing.TB, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// One connection, so session statements in the file (SET NAMES) apply to the rest.
	conn, err := d.SQL.Conn(ctx)
	if err != nil {
		t.Fatalf("testdb: load %s: %v", path, err)
	}
	defer conn.Close()
	for _, s := range SplitStatements(strings.ReplaceAll(string(raw), "\r\n", "\n")) {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("testdb: load %s: %v in: %.200s", filepath.Base(path), err, s)
		}
	}
}

// SplitStatements splits an SQL script into statements. A statement ends at a
// ';' that is outside quotes and last on its line, which is how Discuz's own
// runquery() splits; '--' and '#' comment lines are dropped. Backslash escapes
// inside quotes follow MySQL's default mode.
func SplitStatements(script string) []string {
	var (
		out   []string
		cur   strings.Builder
		quote byte // 0, '\'', '"' or '`'
	)
	lines := strings.SplitAfter(script, "\n")
	for _, line := range lines {
		if quote == 0 && cur.Len() == 0 {
			trim := strings.TrimSpace(line)
			if trim == "" || strings.HasPrefix(trim, "--") || strings.HasPrefix(trim, "#") {
				continue
			}
		}
		end := -1
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case quote != 0:
				if c == '\\' && quote != '`' {
					i++
				} else if c == quote {
					quote = 0
				}
			case c == '\'' || c == '"' || c == '`':
				quote = c
			case c == ';':
				if strings.TrimSpace(line[i+1:]) == "" {
					end = i
				}
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

// Unavailable is unavailable for tests outside this package that need a
// part of the MariaDB set-up (its Unix socket, a second server).
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	unavailable(t, format, args...)
}
