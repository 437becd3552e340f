package repair

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"qqconnect/discuz"
	"qqconnect/models"
)

// Undo restores exactly the values an audited change replaced: the
// pre_common_setting rows (deleting the ones it created), the plugin's
// available flag, the usergroup it created, qqconnect's saved fragments, and
// the touched top-level keys of the cached setting array, byte for byte and
// at their old positions (removing the keys it added), and for the member
// actions the member's rows (member.go). It refuses with
// ErrConflict when any of those values no longer holds what the change
// wrote (see ForceUndo), with ErrAlreadyUndone for an entry undone before,
// and ErrNotUndoable for an entry without undo data. The undo is itself
// audited (undo_of = auditID) and can be undone in turn.
func (r *Repairer) Undo(ctx context.Context, auditID int64, actor Actor) (*models.AuditEntry, error) {
	return r.undo(ctx, auditID, actor, false)
}

// ForceUndo is Undo that overwrites values changed since the entry.
func (r *Repairer) ForceUndo(ctx context.Context, auditID int64, actor Actor) (*models.AuditEntry, error) {
	return r.undo(ctx, auditID, actor, true)
}

// PlanUndo is the dry run of Undo: what it would change, and the conflicts
// (as Warnings) that would make Undo refuse.
func (r *Repairer) PlanUndo(ctx context.Context, auditID int64) (*Plan, error) {
	if err := r.ready(); err != nil {
		return nil, err
	}
	e, snap, err := r.undoable(ctx, auditID)
	if err != nil {
		return nil, err
	}
	w, conflicts, err := r.buildUndo(ctx, nil, e, snap)
	if err != nil {
		return nil, err
	}
	if len(conflicts) > 0 {
		w.plan.Warnings = append(w.plan.Warnings, conflictError(conflicts).Error())
	}
	return w.plan, nil
}

func (r *Repairer) undo(ctx context.Context, auditID int64, actor Actor, force bool) (*models.AuditEntry, error) {
	if err := r.ready(); err != nil {
		return nil, err
	}
	e, snap, err := r.undoable(ctx, auditID)
	if err != nil {
		return nil, err
	}
	var (
		w         *work
		entry     *models.AuditEntry
		executing bool
	)
	err = r.Store.Unit(ctx, r.tablesFor(snap.Action), func(u *models.Unit) error {
		var (
			conflicts []string
			err       error
		)
		if w, conflicts, err = r.buildUndo(ctx, u.Tx(), e, snap); err != nil {
			return err
		}
		if len(conflicts) > 0 && !force {
			return conflictError(conflicts)
		}
		if entry, err = r.newEntry(undoAction, actor, w, &auditID); err != nil {
			return err
		}
		executing = true
		return r.execute(ctx, u, w, entry, auditID)
	})
	if err != nil {
		if executing && !errors.Is(err, ErrAlreadyUndone) {
			r.auditFailure(ctx, undoAction, actor, w, &auditID, err)
		}
		r.log().Error("undo failed", "audit", auditID, "actor", actor.Name, "source", actor.Source, "err", err)
		return nil, err
	}
	r.log().Info("repair undone", "audit", auditID, "undo_audit", entry.ID, "action", snap.Action, "force", force,
		"actor", actor.Name, "uid", actor.UID, "ip", actor.IP, "source", actor.Source)
	r.invalidate(ctx, w)
	if len(w.plan.Warnings) > 0 {
		r.log().Warn("undo warnings", "audit", entry.ID, "warnings", strings.Join(w.plan.Warnings, " | "))
	}
	return entry, nil
}

// undoable loads and decrypts an entry that can be undone.
func (r *Repairer) undoable(ctx context.Context, auditID int64) (*models.AuditEntry, *snapshot, error) {
	e, err := r.Store.AuditByID(ctx, auditID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, ErrNoAuditEntry.with(fmt.Sprintf("没有审计记录 #%d", auditID), fmt.Sprintf("no audit entry #%d", auditID))
	}
	if err != nil {
		return nil, nil, err
	}
	switch {
	case e.UndoneBy != nil:
		return nil, nil, ErrAlreadyUndone.with(fmt.Sprintf("审计记录 #%d 已由 #%d 撤销", auditID, *e.UndoneBy), fmt.Sprintf("audit entry #%d was already undone by #%d", auditID, *e.UndoneBy))
	case e.Result != "ok" || e.UndoData == "":
		return nil, nil, ErrNotUndoable.with(fmt.Sprintf("审计记录 #%d 没有可撤销的数据", auditID), fmt.Sprintf("audit entry #%d has nothing that can be undone", auditID))
	}
	plain, err := unseal(r.Authkey, e.Action, e.UndoData)
	if err != nil {
		return nil, nil, ErrNotUndoable.wrap(err)
	}
	var snap snapshot
	if err := json.Unmarshal(plain, &snap); err != nil || snap.Format != snapshotFormat {
		return nil, nil, ErrNotUndoable.wrap(fmt.Errorf("undo data of audit %d: unknown format", auditID))
	}
	return e, &snap, nil
}

func conflictError(conflicts []string) *Error {
	list := strings.Join(conflicts, ", ")
	return ErrConflict.with(ErrConflict.ZH+"："+list, ErrConflict.EN+": "+list)
}

// buildUndo reads the current values of everything snap touched, lists the
// ones that no longer hold snap's "after" value, and computes the change
// back to snap's "before" values (from the current values, so a forced undo
// records what it overwrote).
func (r *Repairer) buildUndo(ctx context.Context, tx *gorm.DB, e *models.AuditEntry, snap *snapshot) (*work, []string, error) {
	s := r.Store
	w := &work{snap: snapshot{Format: snapshotFormat, Action: snap.Action}}
	var conflicts []string
	conflict := func(where, key string) { conflicts = append(conflicts, where+" "+key) }

	if len(snap.Settings) > 0 {
		keys := make([]string, len(snap.Settings))
		for i, op := range snap.Settings {
			keys[i] = op.Key
		}
		rows, err := s.SettingRows(ctx, tx, keys...)
		if err != nil {
			return nil, nil, err
		}
		for _, op := range snap.Settings {
			v, ok := rows[op.Key]
			cur := opt{ok, v}
			if cur != op.After {
				conflict(s.T.Discuz("common_setting"), op.Key)
			}
			if cur != op.Before {
				w.snap.Settings = append(w.snap.Settings, settingOp{Key: op.Key, Before: cur, After: op.Before})
			}
		}
	}
	if op := snap.Plugin; op != nil {
		p, err := models.Maybe(s.PluginIn(ctx, tx, op.Identifier))
		if err != nil {
			return nil, nil, err
		}
		if p == nil {
			return nil, nil, ErrNotInstalled
		}
		if p.Available != op.After {
			conflict(s.T.Discuz("common_plugin"), op.Identifier+".available")
		}
		if p.Available != op.Before {
			w.snap.Plugin = &pluginOp{Identifier: op.Identifier, Before: p.Available, After: op.Before}
		}
	}
	for _, op := range snap.Groups {
		g, err := models.Maybe(s.UsergroupIn(ctx, tx, op.GroupID))
		if err != nil {
			return nil, nil, err
		}
		exists := g != nil
		if exists != op.After || (exists && g.GroupTitle != op.Title) {
			conflict(s.T.Discuz("common_usergroup"), "groupid "+strconv.FormatInt(op.GroupID, 10))
		}
		if exists != op.Before {
			w.snap.Groups = append(w.snap.Groups, groupOp{GroupID: op.GroupID, Title: op.Title, Before: exists, After: op.Before})
		}
	}
	for _, op := range snap.Meta {
		v, ok, err := s.MetaIn(ctx, tx, op.Key)
		if err != nil {
			return nil, nil, err
		}
		cur := opt{ok, v}
		if cur != op.After {
			conflict(s.T.Own("meta"), op.Key)
		}
		if cur != op.Before {
			w.snap.Meta = append(w.snap.Meta, metaOp{Key: op.Key, Before: cur, After: op.Before})
		}
	}
	if len(snap.Cache) > 0 {
		raw, err := s.SettingCacheData(ctx, tx)
		if errors.Is(err, models.ErrNotFound) {
			return nil, nil, ErrNoSettingCache.wrap(err)
		}
		if err != nil {
			return nil, nil, err
		}
		orig, err := discuz.UnserializeArray(raw)
		if err != nil {
			return nil, nil, ErrBrokenData.wrap(err)
		}
		cache, _ := discuz.UnserializeArray(raw)
		where := s.T.Discuz("common_syscache") + "[setting]"
		for _, op := range snap.Cache {
			v, ok := orig.Get(op.Key)
			cur := optBytes{Exists: ok}
			if ok {
				cur.Data = discuz.Serialize(v)
			}
			if cur.Exists != op.After.Exists || string(cur.Data) != string(op.After.Data) {
				conflict(where, op.Key)
			}
		}
		if err := restoreTop(cache, snap.Cache); err != nil {
			return nil, nil, ErrNotUndoable.wrap(err)
		}
		w.cacheRaw = raw
		w.snap.Cache = diffTop(orig, cache)
		if len(w.snap.Cache) > 0 {
			w.cache = cache
		}
	}
	for _, op := range snap.Rows {
		data, ok, err := s.SyscacheData(ctx, tx, op.Name)
		if err != nil {
			return nil, nil, err
		}
		cur := optBytes{Exists: ok, Data: data}
		if cur.Exists != op.After.Exists || string(cur.Data) != string(op.After.Data) {
			conflict(s.T.Discuz("common_syscache"), op.Name)
		}
		if cur.Exists != op.Before.Exists || string(cur.Data) != string(op.Before.Data) {
			w.snap.Rows = append(w.snap.Rows, syscacheOp{Name: op.Name, Before: cur, After: op.Before})
		}
	}
	if snap.Member != nil {
		m, err := r.undoMember(ctx, tx, snap.Member, conflict)
		if err != nil {
			return nil, nil, err
		}
		w.snap.Member = m
	}
	if err := r.checkSwitchUndo(w); err != nil {
		return nil, nil, err
	}
	w.plan = &Plan{Action: fmt.Sprintf("%s #%d (%s)", undoAction, e.ID, snap.Action), Changes: r.changes(&w.snap)}
	if w.snap.Member != nil {
		w.plan.Target = w.snap.Member.target()
		w.plan.Warnings = append(w.plan.Warnings, r.memberWarnings(snap.Member, false)...)
	}
	if w.snap.empty() {
		w.plan.Notes = append(w.plan.Notes, "所有值已是修改前的值 / every value already holds its previous value")
	}
	if len(w.snap.Groups) > 0 {
		w.plan.Warnings = append(w.plan.Warnings, "用户组有变动：请在 Discuz 后台运行 工具 → 更新缓存 / a usergroup changed: run 工具 → 更新缓存 in Discuz's admin panel")
	}
	if len(w.snap.Cache) > 0 {
		if cw, ok := r.Cache.(cacheWarner); ok {
			if msg := cw.Warning(); msg != "" {
				w.plan.Warnings = append(w.plan.Warnings, msg)
			}
		}
	}
	return w, conflicts, nil
}

// restoreTop puts the "before" value of every op back into setting: keys
// that were absent are removed, keys that still exist are replaced in place,
// and keys that disappeared are inserted at their old positions.
func restoreTop(setting *discuz.Array, ops []cacheOp) error {
	type ins struct {
		op cacheOp
		v  discuz.Value
	}
	var inserts []ins
	for _, op := range ops {
		if !op.Before.Exists {
			setting.Delete(op.Key)
			continue
		}
		v, err := discuz.Unserialize(op.Before.Data)
		if err != nil {
			return fmt.Errorf("saved value of %s: %w", op.Key, err)
		}
		if setting.Index(op.Key) >= 0 {
			setting.Set(op.Key, v)
			continue
		}
		inserts = append(inserts, ins{op, v})
	}
	sort.SliceStable(inserts, func(i, j int) bool { return inserts[i].op.Index < inserts[j].op.Index })
	for _, in := range inserts {
		at := min(max(in.op.Index, 0), len(setting.Entries))
		setting.Entries = slices.Insert(setting.Entries, at, discuz.Entry{Key: phpKey(in.op.Key), Val: in.v})
	}
	return nil
}

// phpKey converts a key as PHP does: decimal integer strings become int keys.
func phpKey(k string) discuz.Value {
	if n, err := strconv.ParseInt(k, 10, 64); err == nil && strconv.FormatInt(n, 10) == k {
		return discuz.Int(n)
	}
	return discuz.Str(k)
}
