package models

// Whole-row reads and writes for the admin member actions (admin/repair
// member-unbind / member-blacklist): the rows are read with every column
// the table has (SELECT *), kept as raw bytes, and written back exactly, so
// an undo restores a binding byte for byte whatever the Discuz version's
// columns are. Every function takes the caller's unit of work as tx (nil =
// a statement of its own); see Store.Unit.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Cell is one column value of a Row: NULL, or the bytes the database returned.
type Cell struct {
	Null bool   `json:"null,omitempty"`
	Data []byte `json:"data,omitempty"`
}

// Row is one table row, every column in table order.
type Row struct {
	Cols []string `json:"cols"`
	Vals []Cell   `json:"vals"`
}

// Get returns the value of a column as text ("" and false when the column
// is missing or NULL).
func (r *Row) Get(col string) (string, bool) {
	if r == nil {
		return "", false
	}
	for i, c := range r.Cols {
		if strings.EqualFold(c, col) {
			if r.Vals[i].Null {
				return "", false
			}
			return string(r.Vals[i].Data), true
		}
	}
	return "", false
}

// Equal reports whether two rows (either may be nil: no row) hold the same
// columns with the same bytes.
func (r *Row) Equal(o *Row) bool {
	if r == nil || o == nil {
		return r == nil && o == nil
	}
	if len(r.Cols) != len(o.Cols) || len(r.Vals) != len(o.Vals) {
		return false
	}
	for i := range r.Cols {
		if !strings.EqualFold(r.Cols[i], o.Cols[i]) || r.Vals[i].Null != o.Vals[i].Null || string(r.Vals[i].Data) != string(o.Vals[i].Data) {
			return false
		}
	}
	return true
}

// NewRow builds a row from column/value pairs (values as text; nil = NULL).
func NewRow(cols []string, vals ...*string) Row {
	r := Row{Cols: cols, Vals: make([]Cell, len(cols))}
	for i := range cols {
		if i >= len(vals) || vals[i] == nil {
			r.Vals[i] = Cell{Null: true}
			continue
		}
		r.Vals[i] = Cell{Data: []byte(*vals[i])}
	}
	return r
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkIdents(names ...string) error {
	for _, n := range names {
		if !identRe.MatchString(n) {
			return fmt.Errorf("invalid column name %q", n)
		}
	}
	return nil
}

// RowsWhere reads every column of the rows of table whose columns equal the
// given values (cols[i] = vals[i]), ordered by the first column. Inside a
// MySQL unit of work the rows are locked (FOR UPDATE).
func (s *Store) RowsWhere(ctx context.Context, tx *gorm.DB, table string, cols []string, vals ...any) ([]Row, error) {
	if err := checkIdents(cols...); err != nil {
		return nil, err
	}
	if len(cols) == 0 || len(cols) != len(vals) {
		return nil, errors.New("rows: want one value per column")
	}
	conds := make([]string, len(cols))
	for i, c := range cols {
		conds[i] = "`" + c + "` = ?"
	}
	q := "SELECT * FROM " + table + " WHERE " + strings.Join(conds, " AND ")
	if tx != nil && s.Dialect == DriverMySQL {
		q += " FOR UPDATE"
	}
	rows, err := s.txOr(ctx, tx).Raw(q, vals...).Rows()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	var out []Row
	for rows.Next() {
		raw := make([]sql.RawBytes, len(names))
		ptrs := make([]any, len(names))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		r := Row{Cols: append([]string(nil), names...), Vals: make([]Cell, len(names))}
		for i, v := range raw {
			if v == nil {
				r.Vals[i] = Cell{Null: true}
			} else {
				r.Vals[i] = Cell{Data: append([]byte{}, v...)}
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	return out, nil
}

// InsertRow inserts r (every column it has) and returns the id the
// database gave an AUTO_INCREMENT column (0 when there is none).
func (s *Store) InsertRow(ctx context.Context, tx *gorm.DB, table string, r Row) (int64, error) {
	if err := checkIdents(r.Cols...); err != nil {
		return 0, err
	}
	if len(r.Cols) == 0 || len(r.Cols) != len(r.Vals) {
		return 0, fmt.Errorf("insert %s: empty or malformed row", table)
	}
	cols := make([]string, len(r.Cols))
	marks := make([]string, len(r.Cols))
	args := make([]any, len(r.Cols))
	for i, c := range r.Cols {
		cols[i], marks[i] = "`"+c+"`", "?"
		if !r.Vals[i].Null {
			args[i] = string(r.Vals[i].Data)
		}
	}
	q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
	db := s.txOr(ctx, tx)
	// ConnPool is the transaction or the pool: LastInsertId comes from the
	// connection that ran the INSERT.
	res, err := db.Statement.ConnPool.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("insert %s: %w", table, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, nil
	}
	return id, nil
}

// DeleteRowsWhere deletes the rows whose column equals value and returns
// how many went.
func (s *Store) DeleteRowsWhere(ctx context.Context, tx *gorm.DB, table, col string, value any) (int64, error) {
	if err := checkIdents(col); err != nil {
		return 0, err
	}
	res := s.txOr(ctx, tx).Exec("DELETE FROM "+table+" WHERE `"+col+"` = ?", value)
	if res.Error != nil {
		return 0, fmt.Errorf("delete from %s: %w", table, res.Error)
	}
	return res.RowsAffected, nil
}

// MemberIn is MemberByUID inside the unit of work (row locked on MySQL).
func (s *Store) MemberIn(ctx context.Context, tx *gorm.DB, uid int64) (*Member, error) {
	var m Member
	q := s.txOr(ctx, tx).Table(s.T.Discuz("common_member")).Where("uid = ?", uid)
	if tx != nil && s.Dialect == DriverMySQL {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := first(q, &m, fmt.Sprintf("member uid %d", uid)); err != nil {
		return nil, err
	}
	return &m, nil
}

// SetConIsBind changes common_member.conisbind of uid from one value to
// another; it fails (ErrNotFound) when the member does not hold `from`.
func (s *Store) SetConIsBind(ctx context.Context, tx *gorm.DB, uid int64, from, to int) error {
	res := s.txOr(ctx, tx).Exec("UPDATE "+s.T.Discuz("common_member")+" SET conisbind = ? WHERE uid = ? AND conisbind = ?", to, uid, from)
	if res.Error != nil {
		return fmt.Errorf("set conisbind of uid %d: %w", uid, res.Error)
	}
	if res.RowsAffected != 1 && from != to {
		return fmt.Errorf("set conisbind of uid %d: the member no longer has conisbind=%d: %w", uid, from, ErrNotFound)
	}
	return nil
}
