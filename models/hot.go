package models

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm/schema"
)

// The few statements every QQ login runs (settings, state, lookup) go to
// the connection pool directly: GORM's statement building and reflective
// scanning cost more CPU than the round trip itself (README
// "Performance"). GORM's logger still sees them, slow or failed.

// fieldMap is the mapped columns of a model, in GORM's order, and the
// struct field each one lands in: taken from GORM's own schema of the
// model, so a hot statement reads exactly what every other read reads.
type fieldMap struct {
	cols  []string
	index [][]int
}

func mapFields(model any) fieldMap {
	sch, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic(fmt.Sprintf("models: schema of %T: %v", model, err)) // fixed at build time; every test would fail
	}
	var m fieldMap
	for _, name := range sch.DBNames {
		m.cols = append(m.cols, name)
		m.index = append(m.index, sch.FieldsByDBName[name].StructField.Index)
	}
	return m
}

// Read-only after package initialisation.
var (
	memberFields  = mapFields(&Member{})
	connectFields = mapFields(&MemberConnect{})
)

// selectList is "alias.col, alias.col, …".
func (m fieldMap) selectList(alias string) string {
	var b strings.Builder
	for i, c := range m.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias + "." + c)
	}
	return b.String()
}

// assign copies one row's raw values into the struct v points to; NULL
// leaves a field at its zero value, as GORM's scan does.
func (m fieldMap) assign(v any, raw []sql.RawBytes) error {
	rv := reflect.ValueOf(v).Elem()
	for i, idx := range m.index {
		b := raw[i]
		if b == nil {
			continue
		}
		f := rv.FieldByIndex(idx)
		switch f.Kind() {
		case reflect.String:
			f.SetString(string(b))
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n, err := strconv.ParseInt(string(b), 10, 64)
			if err != nil {
				return fmt.Errorf("column %s: %w", m.cols[i], err)
			}
			f.SetInt(n)
		default:
			return fmt.Errorf("column %s: no hot-path scan for %s", m.cols[i], f.Kind())
		}
	}
	return nil
}

// hotQuery runs a read on the pool and calls row for each result row.
func (s *Store) hotQuery(ctx context.Context, q string, args []any, row func(*sql.Rows) error) error {
	db, err := s.DB.DB()
	if err != nil {
		return err
	}
	begin := time.Now()
	rows, err := db.QueryContext(ctx, q, args...)
	if err == nil {
		for err == nil && rows.Next() {
			err = row(rows)
		}
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = rows.Err()
		}
	}
	s.DB.Logger.Trace(ctx, begin, func() (string, int64) { return q, -1 }, err)
	return err
}

// hotExec runs a write on the pool.
func (s *Store) hotExec(ctx context.Context, q string, args ...any) error {
	db, err := s.DB.DB()
	if err != nil {
		return err
	}
	begin := time.Now()
	res, err := db.ExecContext(ctx, q, args...)
	s.DB.Logger.Trace(ctx, begin, func() (string, int64) {
		n := int64(-1)
		if res != nil {
			n, _ = res.RowsAffected()
		}
		return q, n
	}, err)
	return err
}

// placeholders is "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
