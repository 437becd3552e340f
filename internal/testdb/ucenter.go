package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// defaultSecondDSN is the second MariaDB server .ci/run starts (UCenter on
// another MySQL server).
const defaultSecondDSN = "root@tcp(127.0.0.1:3307)/"

// SecondServerDSN returns the base DSN of a second, separate MySQL server:
// env QQCONNECT_TEST_MYSQL2_DSN, else root on 127.0.0.1:3307. Missing, the
// test fails under CI=true and is skipped elsewhere.
func SecondServerDSN(t testing.TB) string {
	t.Helper()
	dsn := defaultSecondDSN
	if v := os.Getenv("QQCONNECT_TEST_MYSQL2_DSN"); v != "" {
		dsn = v
	}
	if err := pingDSN(dsn); err != nil {
		unavailable(t, "second MySQL server %s: %v (.ci/run starts one on 127.0.0.1:3307)", redact(dsn), err)
	}
	return dsn
}

// RemoteUCenter is UCenter moved to a database on the second server.
type RemoteUCenter struct {
	DB   string  // the database name there
	Host string  // host:port, as UC_DBHOST
	User string  // UC_DBUSER
	Pass string  // UC_DBPW
	SQL  *sql.DB // utf8mb4, the database selected
}

// MoveUCenter moves every pre_ucenter_ table of d, rows included, into a new
// database on the second server and drops them from d, so that a statement
// sent to the forum's server for a UCenter table fails. Both go at cleanup.
func (d *DB) MoveUCenter(t testing.TB) *RemoteUCenter {
	t.Helper()
	base := SecondServerDSN(t)
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := d.Name + "_uc"
	admin, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` DEFAULT CHARACTER SET "+d.Charset); err != nil {
		t.Fatalf("testdb: create %s on the second server: %v", name, err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("mysql", base); err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS `" + name + "`")
			db.Close()
		}
	})
	ucCfg := cfg.Clone()
	ucCfg.DBName = name
	if err := ucCfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
		t.Fatal(err)
	}
	uc, err := sql.Open("mysql", ucCfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { uc.Close() })

	tables, err := d.SQL.QueryContext(ctx, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'pre\_ucenter\_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	tables.Close()
	if len(names) < 10 {
		t.Fatalf("testdb: only %d UCenter tables to move", len(names))
	}
	for _, tb := range names {
		var ignored, ddl string
		if err := d.SQL.QueryRowContext(ctx, "SHOW CREATE TABLE `"+tb+"`").Scan(&ignored, &ddl); err != nil {
			t.Fatal(err)
		}
		if _, err := uc.ExecContext(ctx, ddl); err != nil {
			t.Fatalf("testdb: create %s there: %v", tb, err)
		}
		if err := copyRows(ctx, d.SQL, uc, tb); err != nil {
			t.Fatalf("testdb: copy %s: %v", tb, err)
		}
		d.Exec(t, "DROP TABLE `"+tb+"`")
	}
	return &RemoteUCenter{DB: name, Host: cfg.Addr, User: cfg.User, Pass: cfg.Passwd, SQL: uc}
}

// copyRows copies a (small) table's rows between servers.
func copyRows(ctx context.Context, from, to *sql.DB, table string) error {
	rows, err := from.QueryContext(ctx, "SELECT * FROM `"+table+"`")
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	insert := fmt.Sprintf("INSERT INTO `%s` (`%s`) VALUES (%s)", table, strings.Join(cols, "`, `"),
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if _, err := to.ExecContext(ctx, insert, vals...); err != nil {
			return err
		}
	}
	return rows.Err()
}
