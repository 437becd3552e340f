package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
)

// writer runs the steps of one multi-row change. On transactional tables the
// steps share one database transaction. X3.4 sites keep their tables in
// MyISAM, which cannot roll back: there the steps run in the order given (the
// step that makes Discuz see the change comes last) and each step registers
// how to undo itself, so a failure part-way leaves nothing half-done.
//
// UCenter on another MySQL server (Store.UC) cannot share that transaction:
// its statements run on its own connection as they come (w.uc), each with an
// undo that runs there when the unit fails, also after a rollback on the
// forum's side. UCenter's steps come first in a unit, as in Discuz, whose
// uc_user_register commits in UCenter before the forum writes a row.
type writer struct {
	tx   *gorm.DB // the forum's transaction (or connection, on MyISAM)
	uc   *gorm.DB // where UCenter's statements run: tx, or UCenter's own server
	undo []undoStep
}

type undoStep struct {
	fn func(db *gorm.DB) error
	uc bool // runs on UCenter's connection
}

func (w *writer) onUndo(fn func(db *gorm.DB) error) {
	if fn != nil {
		w.undo = append(w.undo, undoStep{fn: fn})
	}
}

// onUndoUC registers the undo of a statement that ran on w.uc.
func (w *writer) onUndoUC(fn func(db *gorm.DB) error) {
	if fn != nil {
		w.undo = append(w.undo, undoStep{fn: fn, uc: true})
	}
}

// exec runs one statement and registers its undo (nil when none is needed,
// e.g. for a statement that cannot have changed anything yet).
func (w *writer) exec(undo func(db *gorm.DB) error, query string, args ...any) error {
	if err := w.tx.Exec(query, args...).Error; err != nil {
		return err
	}
	w.onUndo(undo)
	return nil
}

// execUC is exec for a statement on UCenter's tables.
func (w *writer) execUC(undo func(db *gorm.DB) error, query string, args ...any) error {
	if err := w.uc.Exec(query, args...).Error; err != nil {
		return err
	}
	w.onUndoUC(undo)
	return nil
}

// insert adds one row given as column→value, keeping only columns the table
// really has (X3.4 and X3.5 differ), and registers its undo.
func (w *writer) insert(s *Store, table string, row map[string]any, undo func(db *gorm.DB) error) error {
	if err := w.tx.Table(table).Create(s.filterColumns(table, row)).Error; err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	w.onUndo(undo)
	return nil
}

// insertUC is insert for one of UCenter's tables.
func (w *writer) insertUC(s *Store, table string, row map[string]any, undo func(db *gorm.DB) error) error {
	if err := w.uc.Table(table).Create(s.filterColumns(table, row)).Error; err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	w.onUndoUC(undo)
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
		if s.UC != nil && strings.HasPrefix(t, s.T.UCenter("")) {
			continue // on UCenter's server: never in the forum's transaction
		}
		if s.Schema != nil && !s.Schema.Transactional(t) {
			transactional = false
		}
	}
	if transactional {
		var w *writer
		err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			w = &writer{tx: tx, uc: tx}
			if s.UC != nil {
				w.uc = s.UC.WithContext(ctx)
			}
			return fn(w)
		})
		if err != nil && w != nil && s.UC != nil {
			// The forum's side rolled back; UCenter's server did not.
			return s.compensate(ctx, tables, w, err, true)
		}
		return err
	}
	w := &writer{tx: s.DB.WithContext(ctx)}
	w.uc = w.tx
	if s.UC != nil {
		w.uc = s.UC.WithContext(ctx)
	}
	err := fn(w)
	if err == nil {
		return nil
	}
	return s.compensate(ctx, tables, w, err, false)
}

// compensate runs the registered undos in reverse order (only UCenter's
// when the forum's side was rolled back) with a fresh context: the
// caller's may be the reason we failed, and the undo must still run.
func (s *Store) compensate(ctx context.Context, tables []string, w *writer, err error, ucOnly bool) error {
	bg := context.WithoutCancel(ctx)
	undoDB, ucDB := s.DB.WithContext(bg), s.ucConn().WithContext(bg)
	start := time.Now()
	var undoErrs []error
	for i := len(w.undo) - 1; i >= 0; i-- {
		step := w.undo[i]
		if ucOnly && !step.uc {
			continue
		}
		db := undoDB
		if step.uc {
			db = ucDB
		}
		if uerr := retryUndo(start, func() error { return step.fn(db) }); uerr != nil {
			undoErrs = append(undoErrs, uerr)
		}
	}
	if len(undoErrs) > 0 {
		slog.Error("could not undo a partial write", "tables", tables, "err", errors.Join(undoErrs...))
		return fmt.Errorf("%w (undo also failed: %v)", err, errors.Join(undoErrs...))
	}
	return err
}

// undoPatience is how long compensation keeps trying one step when the
// database does not answer: the failure that called for the undo is often
// the database going away (a restart), and on MyISAM the undo is the only
// way back to a whole state. A request still answers within it.
const undoPatience = 10 * time.Second

// retryUndo runs one undo step, again with backoff (0.1 s doubling to 1 s)
// while it fails and undoPatience since start has not passed. Undo steps
// restore values or delete by key, so running one twice does no harm.
func retryUndo(start time.Time, fn func() error) error {
	delay := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil || time.Since(start)+delay > undoPatience {
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, time.Second)
	}
}
