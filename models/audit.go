package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AuditEntry is one audited admin action: who, when, from where, what, the
// values before and after (secrets masked), and the encrypted data an undo
// needs to restore the exact previous state.
type AuditEntry struct {
	ID         int64  `gorm:"column:id;primaryKey;autoIncrement"`
	At         int64  `gorm:"column:at"`
	ActorUID   int64  `gorm:"column:actor_uid"`
	ActorName  string `gorm:"column:actor_name"`
	ActorIP    string `gorm:"column:actor_ip"`
	UserAgent  string `gorm:"column:user_agent"`
	Source     string `gorm:"column:source"` // "web" or "cli"
	Action     string `gorm:"column:action"`
	Target     string `gorm:"column:target"`
	BeforeJSON string `gorm:"column:before_json"` // masked, for display
	AfterJSON  string `gorm:"column:after_json"`  // masked, for display
	UndoData   string `gorm:"column:undo_data"`   // encrypted exact previous values ("" = nothing to undo)
	Result     string `gorm:"column:result"`      // "ok" or "failed"
	UndoOf     *int64 `gorm:"column:undo_of"`
	UndoneBy   *int64 `gorm:"column:undone_by"`
}

// InsertAudit writes an audit entry, inside the caller's unit of work when tx
// is given, so no change can commit without its record.
func (s *Store) InsertAudit(ctx context.Context, tx *gorm.DB, e *AuditEntry) error {
	if e.At == 0 {
		e.At = time.Now().Unix()
	}
	if err := s.ownTx(ctx, tx, "audit").Create(e).Error; err != nil {
		return fmt.Errorf("write audit record: %w", err)
	}
	return nil
}

// AuditByID returns one entry, or ErrNotFound.
func (s *Store) AuditByID(ctx context.Context, id int64) (*AuditEntry, error) {
	var e AuditEntry
	if err := first(s.own(ctx, "audit").Where("id = ?", id), &e, fmt.Sprintf("audit %d", id)); err != nil {
		return nil, err
	}
	return &e, nil
}

// ListAudit returns the newest entries first.
func (s *Store) ListAudit(ctx context.Context, limit, offset int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.own(ctx, "audit").Order("id DESC").Limit(limit).Offset(offset).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}

// MarkUndone links an entry to the entry that undid it; it fails when the
// entry was already undone, so one change cannot be undone twice.
func (s *Store) MarkUndone(ctx context.Context, tx *gorm.DB, id, by int64) error {
	res := s.ownTx(ctx, tx, "audit").Where("id = ? AND undone_by IS NULL", id).Update("undone_by", by)
	if res.Error != nil {
		return fmt.Errorf("mark audit %d undone: %w", id, res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("audit %d: already undone: %w", id, ErrNotFound)
	}
	return nil
}
