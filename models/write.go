package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"gorm.io/gorm"
)

// writer runs the steps of one multi-row change. On transactional tables the
// steps share one database transaction. X3.4 sites keep their tables in
// MyISAM, which cannot roll back: there the steps run in the order given (the
// step that makes Discuz see the change comes last) and each step registers
// how to undo itself, so a failure part-way leaves nothing half-done.
type writer struct {
	tx   *gorm.DB
	undo []func(db *gorm.DB) error
}

// exec runs one statement and registers its undo (nil when none is needed,
// e.g. for a statement that cannot have changed anything yet).
func (w *writer) exec(undo func(db *gorm.DB) error, query string, args ...any) error {
	if err := w.tx.Exec(query, args...).Error; err != nil {
		return err
	}
	if undo != nil {
		w.undo = append(w.undo, undo)
	}
	return nil
}

// insert adds one row given as column→value, keeping only columns the table
// really has (X3.4 and X3.5 differ), and registers its undo.
func (w *writer) insert(s *Store, table string, row map[string]any, undo func(db *gorm.DB) error) error {
	if err := w.tx.Table(table).Create(s.filterColumns(table, row)).Error; err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	if undo != nil {
		w.undo = append(w.undo, undo)
	}
	return nil
}

// filterColumns drops columns the schema does not have; without a schema
// (it is always inspected at start-up) the row is used as given.
func (s *Store) filterColumns(table string, row map[string]any) map[string]any {
	if s.Schema == nil {
		return row
	}
	out := make(map[string]any, len(row))
	for k, v := range row {
		if s.Schema.Has(table, k) {
			out[k] = v
		}
	}
	return out
}

// write runs fn over the given tables as one unit of work.
func (s *Store) write(ctx context.Context, tables []string, fn func(w *writer) error) error {
	transactional := true
	for _, t := range tables {
		if s.Schema != nil && !s.Schema.Transactional(t) {
			transactional = false
		}
	}
	if transactional {
		return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(&writer{tx: tx})
		})
	}
	w := &writer{tx: s.DB.WithContext(ctx)}
	err := fn(w)
	if err == nil {
		return nil
	}
	// Compensate in reverse order with a fresh context: the caller's may be the
	// reason we failed, and the undo must still run.
	undoDB := s.DB.WithContext(context.WithoutCancel(ctx))
	var undoErrs []error
	for i := len(w.undo) - 1; i >= 0; i-- {
		if uerr := w.undo[i](undoDB); uerr != nil {
			undoErrs = append(undoErrs, uerr)
		}
	}
	if len(undoErrs) > 0 {
		slog.Error("could not undo a partial write on non-transactional tables", "tables", tables, "err", errors.Join(undoErrs...))
		return fmt.Errorf("%w (undo also failed: %v)", err, errors.Join(undoErrs...))
	}
	return err
}
