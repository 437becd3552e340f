package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Storage drivers accepted by Open (QQCONNECT_DB_DRIVER).
const (
	DriverMySQL  = "mysql"
	DriverSQLite = "sqlite"
)

const (
	pingTimeout   = 10 * time.Second
	dialTimeout   = 5 * time.Second
	slowThreshold = 200 * time.Millisecond
)

// Open connects to the forum database (mysql) or the standalone file (sqlite),
// checks it answers within a deadline and returns a Store. Errors name the
// driver and host/file but never the password. Schema is nil until
// CheckCompat fills it.
func Open(ctx context.Context, driver, dsn string, t Tables, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	var (
		sqlDB *sql.DB
		dial  gorm.Dialector
		where string
	)
	switch driver {
	case DriverMySQL:
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("open mysql: bad DSN: %w", err)
		}
		if cfg.Timeout == 0 {
			cfg.Timeout = dialTimeout
		}
		where = fmt.Sprintf("mysql %s@%s(%s)/%s", cfg.User, cfg.Net, cfg.Addr, cfg.DBName)
		// Parameters interpolated client-side: one round trip per statement
		// instead of prepare, execute and close (the callback's largest cost,
		// README "Performance"). Safe because qqconnect's connections speak
		// utf8mb4; a DSN naming another charset keeps prepared statements.
		cfg.InterpolateParams = interpolationSafe(cfg)
		connector, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", where, err)
		}
		sqlDB = sql.OpenDB(connector)
		// Several instances share a forum database with PHP: stay modest, and
		// recycle connections before MySQL's wait_timeout closes them.
		// As many idle as open: a burst of 64 logins would otherwise close
		// and reopen connections (handshake, auth) on every request.
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxLifetime(5 * time.Minute)
		sqlDB.SetConnMaxIdleTime(time.Minute)
		dial = gormmysql.New(gormmysql.Config{Conn: sqlDB})
	case DriverSQLite:
		full, path, memory, err := sqliteDSN(dsn)
		if err != nil {
			return nil, err
		}
		where = "sqlite " + path
		if !memory {
			if dir := filepath.Dir(path); dir != "." {
				if err := os.MkdirAll(dir, 0o750); err != nil {
					return nil, fmt.Errorf("open %s: %w", where, err)
				}
			}
		}
		sqlDB, err = sql.Open(sqlite.DriverName, full)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", where, err)
		}
		if memory {
			// Every connection to :memory: is a separate, empty database.
			sqlDB.SetMaxOpenConns(1)
		} else {
			// WAL: readers never wait; writers queue on busy_timeout, and
			// BEGIN IMMEDIATE avoids read-then-write upgrade deadlocks.
			sqlDB.SetMaxOpenConns(8)
			sqlDB.SetMaxIdleConns(8)
		}
		dial = &sqlite.Dialector{Conn: sqlDB}
	default:
		return nil, fmt.Errorf("open: unknown database driver %q (want %q or %q)", driver, DriverMySQL, DriverSQLite)
	}

	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open %s: %w", where, err)
	}
	gdb, err := gorm.Open(dial, &gorm.Config{
		Logger:                 NewGormLogger(log, slowThreshold),
		SkipDefaultTransaction: true, // single statements need no wrapping tx
	})
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open %s: %w", where, err)
	}
	return &Store{DB: gdb, T: t, Dialect: driver}, nil
}

// interpolationSafe reports whether the connection charset escapes safely
// with backslashes: not gbk, big5, sjis and the like, where a multi-byte
// character may end in 0x5c.
func interpolationSafe(cfg *mysql.Config) bool {
	safe := map[string]bool{"": true, "utf8mb4": true, "utf8": true, "utf8mb3": true, "latin1": true, "ascii": true, "binary": true}
	collation, _, _ := strings.Cut(cfg.Collation, "_")
	if !safe[strings.ToLower(collation)] {
		return false
	}
	_, rawQuery, _ := strings.Cut(cfg.FormatDSN(), "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return false
	}
	for _, cs := range strings.Split(q.Get("charset"), ",") {
		if !safe[strings.ToLower(strings.TrimSpace(cs))] {
			return false
		}
	}
	return true
}

// sqliteDSN adds the pragmas the standalone mode relies on unless the DSN
// already sets them: no foreign keys (Discuz has none), WAL, a busy timeout,
// and immediate transactions.
func sqliteDSN(dsn string) (full, path string, memory bool, err error) {
	if dsn == "" {
		return "", "", false, errors.New("open sqlite: empty DSN (want a file path)")
	}
	path, rawQuery, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", "", false, fmt.Errorf("open sqlite %s: bad DSN parameters: %w", path, err)
	}
	memory = path == ":memory:" || strings.Contains(rawQuery, "mode=memory") || strings.HasPrefix(path, "file::memory:")
	have := strings.ToLower(strings.Join(q["_pragma"], ","))
	add := func(name, pragma string) {
		if !strings.Contains(have, name) {
			q.Add("_pragma", pragma)
		}
	}
	add("foreign_keys", "foreign_keys(0)")
	add("busy_timeout", "busy_timeout(5000)")
	if !memory {
		add("journal_mode", "journal_mode(WAL)")
		if q.Get("_txlock") == "" {
			q.Set("_txlock", "immediate")
		}
	}
	fsPath := strings.TrimPrefix(path, "file:")
	return path + "?" + q.Encode(), fsPath, memory, nil
}

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	err = sqlDB.Close()
	if s.UC != nil {
		if ucDB, uerr := s.UC.DB(); uerr == nil {
			err = errors.Join(err, ucDB.Close())
		}
	}
	return err
}

// OpenUCenter opens the second connection, to UCenter's MySQL server, with
// the same pool limits, timeouts and logging as the forum's.
func (s *Store) OpenUCenter(ctx context.Context, dsn string, log *slog.Logger) error {
	uc, err := Open(ctx, DriverMySQL, dsn, s.T, log)
	if err != nil {
		return fmt.Errorf("UCenter's server: %w", err)
	}
	s.UC = uc.DB
	return nil
}

// Ping checks the database answers (readiness probe).
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return fmt.Errorf("ping %s: %w", s.Dialect, err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.Dialect, err)
	}
	return nil
}

// GormLogger sends GORM's messages to slog. SQL is logged with placeholders
// only (parameter values are dropped), so AppKeys, tokens and password
// hashes never reach a log line.
type GormLogger struct {
	log   *slog.Logger
	slow  time.Duration
	level logger.LogLevel
}

// NewGormLogger logs failed statements as errors and statements slower than
// slow as warnings; at logger.Info level every statement goes to Debug.
func NewGormLogger(log *slog.Logger, slow time.Duration) *GormLogger {
	return &GormLogger{log: log, slow: slow, level: logger.Warn}
}

// LogMode implements logger.Interface.
func (l *GormLogger) LogMode(level logger.LogLevel) logger.Interface {
	c := *l
	c.level = level
	return &c
}

// Info implements logger.Interface.
func (l *GormLogger) Info(ctx context.Context, msg string, args ...any) {
	if l.level >= logger.Info {
		l.log.InfoContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
	}
}

// Warn implements logger.Interface.
func (l *GormLogger) Warn(ctx context.Context, msg string, args ...any) {
	if l.level >= logger.Warn {
		l.log.WarnContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
	}
}

// Error implements logger.Interface.
func (l *GormLogger) Error(ctx context.Context, msg string, args ...any) {
	if l.level >= logger.Error {
		l.log.ErrorContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
	}
}

// ParamsFilter drops the values so Trace only ever sees "?" placeholders
// (GORM's ParameterizedQueries behaviour).
func (l *GormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// Trace implements logger.Interface. Not-found is a normal answer, not an error.
func (l *GormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if l.level <= logger.Silent {
		return
	}
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && l.level >= logger.Error:
		q, rows := fc()
		l.log.ErrorContext(ctx, "sql failed", "err", err, "sql", q, "rows", rows, "ms", elapsed.Milliseconds())
	case l.slow > 0 && elapsed > l.slow && l.level >= logger.Warn:
		q, rows := fc()
		l.log.WarnContext(ctx, "slow sql", "sql", q, "rows", rows, "ms", elapsed.Milliseconds())
	case l.level >= logger.Info:
		q, rows := fc()
		l.log.DebugContext(ctx, "sql", "sql", q, "rows", rows, "ms", elapsed.Milliseconds())
	}
}
