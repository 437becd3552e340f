package models_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"qqconnect/internal/testdb"
	"qqconnect/migrations"
	"qqconnect/models"
)

var tables = models.Tables{Pre: "pre_", UC: "pre_ucenter_"}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newSQLiteStore is the standalone mode: demo forum schema + own tables.
func newSQLiteStore(t *testing.T) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, models.DriverSQLite, filepath.Join(t.TempDir(), "data", "qq.db"), tables, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sqlDB, err := s.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	if err := migrations.DemoForum(ctx, sqlDB, tables.Pre, tables.UC); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Apply(ctx, sqlDB, migrations.SQLite, tables.Pre); err != nil {
		t.Fatal(err)
	}
	if err := models.CheckCompat(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// newMySQLStore is a real Discuz database of the given version with the
// qqconnect plugin installed and qqconnect's own tables migrated.
func newMySQLStore(t *testing.T, version string) (*models.Store, *testdb.DB) {
	t.Helper()
	ctx := context.Background()
	d := testdb.New(t, version)
	d.InstallQQConnect(t, "101234567", "FIXTURE")
	if _, err := migrations.Apply(ctx, d.SQL, migrations.MySQL, tables.Pre); err != nil {
		t.Fatal(err)
	}
	s, err := models.Open(ctx, models.DriverMySQL, d.DSN, tables, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, d
}

// mustExec runs raw SQL through the store (works on both dialects).
func mustExec(t *testing.T, s *models.Store, q string, args ...any) {
	t.Helper()
	if err := s.DB.Exec(q, args...).Error; err != nil {
		t.Fatalf("exec %.80s: %v", q, err)
	}
}
