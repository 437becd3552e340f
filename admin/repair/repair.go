// Package repair holds the admin toolbox's repair actions (CONTRACT §1),
// shared by the admin pages and `qqconnect repair`. Each action is:
//
//   - Plan: a dry run that reads the forum database and lists every value it
//     would change, before → after (secrets masked); nothing is written.
//   - Apply: the same computation repeated inside one unit of work (a
//     transaction on X3.5's InnoDB; ordered steps with compensation on
//     X3.4's MyISAM), which writes the pre_common_setting / pre_common_plugin
//     / usergroup rows, patches the `setting` row of pre_common_syscache in
//     place exactly as ../shared/docs/discuz-cache.md §7 says, and inserts
//     the audit row; then Discuz's memory cache is invalidated.
//   - The member actions (member-unbind, member-blacklist; member.go) write
//     a member's QQ binding rows instead, the same way: plan, one unit of
//     work with the audit row, undo.
//   - Undo: restores exactly the previous values of everything an audited
//     change touched, provided they still hold the values the change wrote.
//
// The audit row's before_json/after_json hold the masked Changes; its
// undo_data holds the exact previous (and resulting) values, encrypted with
// a key derived from the site's authkey (seal.go).
//
// An Apply that finds nothing to change writes nothing at all, not even an
// audit row, and returns a nil entry (the Plan says why in its Notes): an
// audit entry with nothing to undo would only clutter the undo list. The
// memory cache is still invalidated, so refresh-cache also refreshes a stale
// Redis copy of a correct row.
package repair

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"qqconnect/discuz"
	"qqconnect/models"
)

// Change is one value an action changes, for display: masked when Secret.
type Change struct {
	Where  string `json:"where"` // table, e.g. "pre_common_setting" or "pre_common_syscache[setting]"
	Key    string `json:"key"`   // e.g. "connectappkey", "qqconnect.available"
	Before string `json:"before"`
	After  string `json:"after"`
	Secret bool   `json:"secret,omitempty"`
}

// Plan is what an action does (dry run) or did (Apply).
type Plan struct {
	Action   string
	Changes  []Change
	Notes    []string // facts: values already right, ids chosen, …
	Warnings []string // what the admin must still do or know
	Target   string   // the audit entry's target ("" = the tables changed), e.g. "uid 5 (alice)"
}

// Actor is who runs an action (audit log: who, from where).
type Actor struct {
	UID       int64
	Name      string
	IP        string
	UserAgent string
	Source    string // "web" or "cli"
}

// Repairer runs repair actions against one forum database.
type Repairer struct {
	Store   *models.Store
	Authkey string           // Discuz's authkey: keys the encrypted undo data
	Cache   CacheInvalidator // nil: Discuz reads the setting row from the database
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: slog.Default()
	Charset string           // the site's charset ("" = utf-8): the setting cache's strings are in it
	// DiscuzVersion ("X3.2", …; "" unknown) tells the plans what Discuz's
	// own admin pages of that version do after a change.
	DiscuzVersion string
	// AvatarDir is the forum's avatar directory ("" unknown, AvatarNote
	// says why): avatar-import-on needs it writable.
	AvatarDir  string
	AvatarNote string
}

const (
	pluginID        = "qqconnect"
	metaFragments   = "qqconnect_fragments"
	guestGroupTitle = "QQ游客"
	undoAction      = "undo"
	snapshotFormat  = 1
)

// ownedKeys are the top-level keys of the cached setting array that
// qqconnect writes from pre_common_setting (CONTRACT §4).
var ownedKeys = []string{"connectappid", "connectappkey", "my_siteid", "my_sitekey", "cloud_status"}

// secretKeys never appear unmasked in a Change.
var secretKeys = map[string]bool{"connectappkey": true, "my_sitekey": true}

func (r *Repairer) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Repairer) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// tablesFor are every table action may write, for the unit of work.
func (r *Repairer) tablesFor(action string) []string {
	t := r.Store.T
	if isMemberAction(action) {
		return r.memberTables()
	}
	if isSwitchAction(action) {
		return []string{t.Own("meta"), t.Own("audit")}
	}
	return []string{t.Discuz("common_setting"), t.Discuz("common_syscache"), t.Discuz("common_plugin"),
		t.Discuz("common_usergroup"), t.Discuz("common_usergroup_field"), t.Own("meta"), t.Own("audit")}
}

// The snapshot is the exact data of one change, kept encrypted in the audit
// row: every value before and after, so Undo can restore the one and check
// the other.
type snapshot struct {
	Format   int          `json:"format"`
	Action   string       `json:"action"`
	Settings []settingOp  `json:"settings,omitempty"`
	Plugin   *pluginOp    `json:"plugin,omitempty"`
	Groups   []groupOp    `json:"groups,omitempty"`
	Meta     []metaOp     `json:"meta,omitempty"`
	Cache    []cacheOp    `json:"cache,omitempty"`
	Member   *memberOp    `json:"member,omitempty"` // member-unbind, member-blacklist (member.go)
	Rows     []syscacheOp `json:"rows,omitempty"`   // other syscache rows (adminmenu), whole
}

// syscacheOp is a whole syscache row other than setting, before and after.
type syscacheOp struct {
	Name   string   `json:"name"`
	Before optBytes `json:"before"`
	After  optBytes `json:"after"`
}

// opt is a row value that may not exist.
type opt struct {
	Exists bool   `json:"exists"`
	Value  string `json:"value"`
}

// optBytes is a top-level key of the setting array (its serialize() bytes) that may be absent.
type optBytes struct {
	Exists bool   `json:"exists"`
	Data   []byte `json:"data,omitempty"`
}

type settingOp struct {
	Key    string `json:"key"`
	Before opt    `json:"before"`
	After  opt    `json:"after"`
}

type pluginOp struct {
	Identifier string `json:"identifier"`
	Before     int    `json:"before"`
	After      int    `json:"after"`
}

type groupOp struct {
	GroupID int64  `json:"groupid"`
	Title   string `json:"title"`
	Before  bool   `json:"before"` // the group existed
	After   bool   `json:"after"`
}

type metaOp struct {
	Key    string `json:"key"`
	Before opt    `json:"before"`
	After  opt    `json:"after"`
}

type cacheOp struct {
	Key    string   `json:"key"`
	Index  int      `json:"index"` // position of the key before the change (-1: absent)
	Before optBytes `json:"before"`
	After  optBytes `json:"after"`
}

func (s *snapshot) empty() bool {
	return len(s.Settings) == 0 && s.Plugin == nil && len(s.Groups) == 0 && len(s.Meta) == 0 && len(s.Cache) == 0 &&
		len(s.Rows) == 0 && (s.Member == nil || s.Member.empty())
}

// work is one computed change.
type work struct {
	snap     snapshot
	cacheRaw []byte        // the setting row as read
	cache    *discuz.Array // the array to write (nil: the row does not change)
	plan     *Plan
}

// Plan computes what action would change, writing nothing.
func (r *Repairer) Plan(ctx context.Context, action string, args Args) (*Plan, error) {
	args, err := checkArgs(action, args)
	if err != nil {
		return nil, err
	}
	if err := r.ready(); err != nil {
		return nil, err
	}
	w, err := r.build(ctx, nil, action, args)
	if err != nil {
		return nil, err
	}
	return w.plan, nil
}

func (r *Repairer) ready() error {
	if r.Store == nil {
		return errors.New("repair: no database")
	}
	return nil
}

// Apply runs action in one unit of work: rows, setting cache and audit row
// together; then it invalidates Discuz's memory cache. The entry is nil when
// there was nothing to change (then nothing was written).
func (r *Repairer) Apply(ctx context.Context, action string, args Args, actor Actor) (*models.AuditEntry, *Plan, error) {
	args, err := checkArgs(action, args)
	if err != nil {
		return nil, nil, err
	}
	if err := r.ready(); err != nil {
		return nil, nil, err
	}
	if _, err := sealAEAD(r.Authkey); err != nil {
		return nil, nil, err
	}
	var (
		w         *work
		entry     *models.AuditEntry
		executing bool
	)
	err = r.Store.Unit(ctx, r.tablesFor(action), func(u *models.Unit) error {
		var err error
		if w, err = r.build(ctx, u.Tx(), action, args); err != nil {
			return err
		}
		if w.snap.empty() {
			return nil
		}
		if entry, err = r.newEntry(action, actor, w, nil); err != nil {
			return err
		}
		executing = true
		return r.execute(ctx, u, w, entry, 0)
	})
	var plan *Plan
	if w != nil {
		plan = w.plan
	}
	if err != nil {
		if executing {
			r.auditFailure(ctx, action, actor, w, nil, err)
		}
		r.log().Error("repair failed", "action", action, "actor", actor.Name, "source", actor.Source, "err", err)
		return nil, plan, err
	}
	if entry != nil {
		r.log().Info("repair applied", "action", action, "audit", entry.ID, "changes", len(plan.Changes),
			"actor", actor.Name, "uid", actor.UID, "ip", actor.IP, "source", actor.Source)
	}
	r.invalidate(ctx, w)
	return entry, plan, nil
}

// invalidate drops Discuz's memory copy of what w changed: the setting
// cache, or a member's cached rows. The database change is already
// committed: a failure becomes a warning, not an error.
func (r *Repairer) invalidate(ctx context.Context, w *work) {
	plan := w.plan
	if m := w.snap.Member; m != nil && m.touches(tblUinBlack) {
		r.rebuildBlacklistCache(ctx, plan)
	}
	if r.Cache == nil {
		return
	}
	if w.snap.Member != nil {
		r.invalidateMember(ctx, w.snap.Member.UID, plan)
		return
	}
	if ki, ok := r.Cache.(keyInvalidator); ok && len(w.snap.Rows) > 0 {
		names := make([]string, len(w.snap.Rows))
		for i, op := range w.snap.Rows {
			names[i] = op.Name
		}
		if err := ki.InvalidateKeys(ctx, names...); err != nil {
			r.log().Warn("cached rows not invalidated", "cache", r.Cache.Describe(), "rows", names, "err", err)
		}
	}
	if err := r.Cache.InvalidateSetting(ctx); err != nil {
		r.log().Warn("memory cache not invalidated", "cache", r.Cache.Describe(), "err", err)
		plan.Warnings = append(plan.Warnings, "数据库已修改，但无法清除 Discuz 的内存缓存（"+err.Error()+"）：请在 Discuz 后台运行 工具 → 更新缓存 / "+
			"the database was changed but Discuz's memory cache could not be cleared ("+err.Error()+"): run 工具 → 更新缓存 in Discuz's admin panel")
	}
}

// execute writes w inside the unit, registering the compensation of each
// step for MyISAM. The setting cache, the row Discuz reads, is written last.
func (r *Repairer) execute(ctx context.Context, u *models.Unit, w *work, entry *models.AuditEntry, markUndone int64) error {
	s, tx, now := r.Store, u.Tx(), r.now()
	bg := context.WithoutCancel(ctx)
	for _, op := range w.snap.Settings {
		if err := writeSetting(ctx, s, tx, op.Key, op.After); err != nil {
			return err
		}
		u.OnUndo(func(db *gorm.DB) error { return writeSetting(bg, s, db, op.Key, op.Before) })
	}
	if op := w.snap.Plugin; op != nil {
		if err := s.SetPluginAvailable(ctx, tx, op.Identifier, op.After); err != nil {
			if errors.Is(err, models.ErrNotFound) {
				return ErrNotInstalled.wrap(err)
			}
			return err
		}
		u.OnUndo(func(db *gorm.DB) error { return s.SetPluginAvailable(bg, db, op.Identifier, op.Before) })
	}
	for _, op := range w.snap.Groups {
		if err := writeGroup(ctx, s, tx, op.GroupID, op.Title, op.After); err != nil {
			return err
		}
		u.OnUndo(func(db *gorm.DB) error { return writeGroup(bg, s, db, op.GroupID, op.Title, op.Before) })
	}
	for _, op := range w.snap.Meta {
		if err := writeMeta(ctx, s, tx, op.Key, op.After); err != nil {
			return err
		}
		u.OnUndo(func(db *gorm.DB) error { return writeMeta(bg, s, db, op.Key, op.Before) })
	}
	if m := w.snap.Member; m != nil && !m.empty() {
		if err := r.executeMember(ctx, u, m); err != nil {
			return err
		}
		// the snapshot now holds the keys and rows as the database stored
		// them (the new bind log's mblid): seal it again
		if entry.UndoData != "" {
			plain, err := json.Marshal(&w.snap)
			if err != nil {
				return err
			}
			if entry.UndoData, err = seal(r.Authkey, entry.Action, plain); err != nil {
				return err
			}
		}
	}
	if err := s.InsertAudit(ctx, tx, entry); err != nil {
		return err
	}
	u.OnUndo(func(db *gorm.DB) error { return s.DiscardAudit(bg, db, entry.ID) })
	if markUndone != 0 {
		if err := s.MarkUndone(ctx, tx, markUndone, entry.ID); err != nil {
			if errors.Is(err, models.ErrNotFound) {
				return ErrAlreadyUndone.wrap(err)
			}
			return err
		}
		u.OnUndo(func(db *gorm.DB) error { return s.ClearUndone(bg, db, markUndone) })
	}
	for _, op := range w.snap.Rows {
		if err := writeRow(ctx, s, tx, op.Name, op.After, now); err != nil {
			return err
		}
		u.OnUndo(func(db *gorm.DB) error { return writeRow(bg, s, db, op.Name, op.Before, now) })
	}
	if w.cache != nil {
		if err := s.SaveSettingCache(ctx, tx, w.cache, now); err != nil {
			if errors.Is(err, models.ErrNotFound) {
				return ErrNoSettingCache.wrap(err)
			}
			return err
		}
		raw := w.cacheRaw
		u.OnUndo(func(db *gorm.DB) error { return s.SaveSettingCacheData(bg, db, raw, now) })
	}
	return nil
}

func writeSetting(ctx context.Context, s *models.Store, tx *gorm.DB, key string, v opt) error {
	if v.Exists {
		return s.UpsertSetting(ctx, tx, key, v.Value)
	}
	return s.DeleteSetting(ctx, tx, key)
}

// writeRow writes a whole syscache row, or deletes it when v is absent.
func writeRow(ctx context.Context, s *models.Store, tx *gorm.DB, name string, v optBytes, now time.Time) error {
	var data []byte
	if v.Exists {
		data = v.Data
	}
	return s.SaveSyscacheData(ctx, tx, name, data, now)
}

func writeMeta(ctx context.Context, s *models.Store, tx *gorm.DB, key string, v opt) error {
	if v.Exists {
		return s.SetMetaIn(ctx, tx, key, v.Value)
	}
	return s.DeleteMetaIn(ctx, tx, key)
}

func writeGroup(ctx context.Context, s *models.Store, tx *gorm.DB, gid int64, title string, exists bool) error {
	if exists {
		return s.CreateSpecialUsergroup(ctx, tx, gid, title)
	}
	return s.DeleteUsergroup(ctx, tx, gid)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cut makes s fit an audit column: varchar(n) in utf8mb4 counts characters,
// and strict MariaDB rejects the whole insert on invalid UTF-8 (Error 1366),
// which would fail the repair. So invalid bytes (a hostile User-Agent) become
// U+FFFD, and s is cut to n runes, never inside one.
func cut(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	runes := 0
	for i := range s { // i is the byte offset of each rune
		if runes == n {
			return s[:i]
		}
		runes++
	}
	return s
}
