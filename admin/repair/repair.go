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
	"fmt"
	"log/slog"
	"strconv"
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
	if r.Cache == nil {
		return
	}
	plan := w.plan
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

// build reads the current state (inside tx when given) and computes action.
func (r *Repairer) build(ctx context.Context, tx *gorm.DB, action string, args Args) (*work, error) {
	if isMemberAction(action) {
		return r.buildMember(ctx, tx, action, args)
	}
	b := &builder{r: r, ctx: ctx, tx: tx, s: r.Store, w: &work{snap: snapshot{Format: snapshotFormat, Action: action}}}
	if err := b.load(); err != nil {
		return nil, err
	}
	var err error
	switch action {
	case ClearSiteKey:
		b.setOwned("my_siteid", "")
		b.setOwned("my_sitekey", "")
		b.setOwned("cloud_status", "0")
	case ClearAppKey:
		b.setOwned("connectappid", "")
		b.setOwned("connectappkey", "")
	case SetAppKey:
		b.setOwned("connectappid", args.AppID)
		b.setOwned("connectappkey", args.AppKey)
	case PluginDisable:
		err = b.pluginDisable()
	case PluginEnable:
		err = b.pluginEnable()
	case RefreshCache:
		err = b.refreshCache()
	case FixGuestGroup:
		err = b.fixGuestGroup()
	case SwitchOAuth2:
		err = b.switchOAuth2()
	default:
		return nil, ErrUnknownAction.with("未知的修复操作 "+quote(action), "unknown repair action "+quote(action))
	}
	if err != nil {
		return nil, err
	}
	b.finish()
	return b.w, nil
}

// builder computes one action's work from the current state.
type builder struct {
	r     *Repairer
	ctx   context.Context
	tx    *gorm.DB
	s     *models.Store
	w     *work
	orig  *discuz.Array // the setting cache as read
	cache *discuz.Array // the same, patched
	rows  map[string]string
	notes []string
	warns []string
}

func (b *builder) load() error {
	raw, err := b.s.SettingCacheData(b.ctx, b.tx)
	if errors.Is(err, models.ErrNotFound) {
		return ErrNoSettingCache.wrap(err)
	}
	if err != nil {
		return err
	}
	if b.orig, err = discuz.UnserializeArray(raw); err != nil {
		return ErrBrokenData.with("setting 缓存行无法反序列化：请在 Discuz 后台运行 工具 → 更新缓存", "the setting cache row does not unserialize: run Discuz's 工具 → 更新缓存").wrapCause(err)
	}
	b.cache, _ = discuz.UnserializeArray(raw)
	b.w.cacheRaw = raw
	b.rows, err = b.s.SettingRows(b.ctx, b.tx, append([]string{"connect"}, ownedKeys...)...)
	return err
}

// setSetting plans one pre_common_setting row (created when missing).
func (b *builder) setSetting(key, value string) {
	cur, ok := b.rows[key]
	if ok && cur == value {
		b.notes = append(b.notes, fmt.Sprintf("%s %s = %s：无需修改 / already set", b.s.T.Discuz("common_setting"), key, showSetting(b.s, key, opt{true, cur})))
		return
	}
	b.w.snap.Settings = append(b.w.snap.Settings, settingOp{Key: key, Before: opt{ok, cur}, After: opt{true, value}})
	b.rows[key] = value
}

// setOwned writes a qqconnect-owned key to pre_common_setting and the cached array.
func (b *builder) setOwned(key, value string) {
	b.setSetting(key, value)
	b.cache.Set(key, discuz.Str(value))
}

func (b *builder) plugin() (*models.Plugin, error) {
	return models.Maybe(b.s.PluginIn(b.ctx, b.tx, pluginID))
}

// connectSetting is unserialize(pre_common_setting.connect).
func (b *builder) connectSetting() (*discuz.Array, error) {
	raw, ok := b.rows["connect"]
	if !ok {
		return nil, ErrBrokenData.with("pre_common_setting 中没有 connect 行：请在 QQ互联 插件设置页保存一次",
			"pre_common_setting has no `connect` row: save the QQ互联 plugin settings page once")
	}
	arr, err := b.s.UnserializeSetting(raw)
	if err != nil {
		return nil, ErrBrokenData.with("pre_common_setting.connect 不是有效的序列化数组：请在 QQ互联 插件设置页重新保存",
			"pre_common_setting.connect is not a valid serialized array: save the QQ互联 plugin settings page again").wrapCause(err)
	}
	return arr, nil
}

// setConnect plans pre_common_setting.connect = serialize(connect), with
// PHP's byte counts in the column's charset.
func (b *builder) setConnect(connect *discuz.Array) error {
	v, err := b.s.SerializeSetting(connect)
	if err != nil {
		return err
	}
	b.setSetting("connect", v)
	return nil
}

func (b *builder) setAvailable(p *models.Plugin, v int) {
	if p.Available == v {
		b.notes = append(b.notes, fmt.Sprintf("%s qqconnect.available = %d：无需修改 / already set", b.s.T.Discuz("common_plugin"), v))
		return
	}
	b.w.snap.Plugin = &pluginOp{Identifier: pluginID, Before: p.Available, After: v}
}

// turnOff removes qqconnect from the cached array (discuz-cache.md §7.2) and
// keeps what it removed in qqconnect's meta (not an empty set).
func (b *builder) turnOff() error {
	frags, err := discuz.PatchPluginOff(b.cache)
	if err != nil {
		return err
	}
	if frags.Empty() {
		return nil
	}
	data, err := frags.Marshal()
	if err != nil {
		return fmt.Errorf("keep the removed qqconnect fragments: %w", err)
	}
	cur, ok, err := b.s.MetaIn(b.ctx, b.tx, metaFragments)
	if err != nil {
		return err
	}
	if !ok || cur != string(data) {
		b.w.snap.Meta = append(b.w.snap.Meta, metaOp{Key: metaFragments, Before: opt{ok, cur}, After: opt{true, string(data)}})
	}
	return nil
}

// turnOn puts qqconnect back into the cached array (discuz-cache.md §7.3).
func (b *builder) turnOn(p *models.Plugin) error {
	connect, err := b.connectSetting()
	if err != nil {
		return err
	}
	var saved *discuz.QQConnectFragments
	if raw, ok, err := b.s.MetaIn(b.ctx, b.tx, metaFragments); err != nil {
		return err
	} else if ok {
		if saved, err = discuz.UnmarshalFragments([]byte(raw)); err != nil {
			saved = nil
			b.warns = append(b.warns, "保存的 qqconnect 挂载点数据无法读取，改用内置的 2.1.7 数据 / the saved qqconnect hook fragments cannot be read; the built-in 2.1.7 table is used instead")
		}
	}
	if (saved == nil || len(saved.Hooks) == 0) && p.Version == discuz.QQConnectKnownVersion {
		if saved = b.builtinFragments(p); saved == nil {
			return nil
		}
	}
	ranks, err := b.s.PluginRanks(b.ctx, b.tx)
	if err != nil {
		return err
	}
	err = discuz.PatchPluginOnOrdered(b.cache, connect, p.Version, saved, discuz.NewPluginOrder(ranks))
	if errors.Is(err, discuz.ErrUnknownPluginVersion) || (err != nil && p.Version == "") {
		b.warns = append(b.warns, fmt.Sprintf("已安装的 qqconnect 版本为 %s，qqconnect 不知道它的挂载点，setting 缓存未改动：请在 Discuz 后台运行 工具 → 更新缓存，由 Discuz 自己重建开启状态 / "+
			"the installed qqconnect version is %s, whose hook fragments qqconnect does not know, so the setting cache was left alone: run 工具 → 更新缓存 in Discuz's admin panel and Discuz rebuilds the enabled state itself",
			quote(p.Version), quote(p.Version)))
		return nil
	}
	return err
}

// builtinFragments is the measured 2.1.7 table with this site's own
// plugins.spacecp entry, built from pre_common_plugin.modules as Discuz's
// cache builder does, so its text (QQ绑定, QQ綁定) is in the site's charset.
// When the modules do not say, the measured UTF-8 value is converted to the
// site's charset; nil (and a warning) when it cannot be.
func (b *builder) builtinFragments(p *models.Plugin) *discuz.QQConnectFragments {
	f := discuz.DefaultQQConnectFragments()
	if mods, err := b.s.UnserializeModules(p.Modules); err == nil {
		if sp, ok := discuz.SpacecpFromModules(mods, p.Directory); ok {
			f.Spacecp = sp
			return f
		}
	}
	sp, err := discuz.ValueToCharset(f.Spacecp, b.r.Charset)
	if err != nil {
		b.warns = append(b.warns, fmt.Sprintf("本站字符集为 %s，%s 中 qqconnect 的 modules 无法读取，内置的菜单名无法转换为本站字符集，setting 缓存未改动：请在 Discuz 后台运行 工具 → 更新缓存 / "+
			"this site's charset is %s, qqconnect's modules in %s cannot be read and the built-in menu name has no %s form, so the setting cache was left alone: run 工具 → 更新缓存 in Discuz's admin panel",
			b.r.Charset, b.s.T.Discuz("common_plugin"), b.r.Charset, b.s.T.Discuz("common_plugin"), b.r.Charset))
		return nil
	}
	f.Spacecp = sp
	return f
}

func (b *builder) pluginDisable() error {
	p, err := b.plugin()
	if err != nil {
		return err
	}
	if p == nil {
		return ErrNotInstalled
	}
	b.setAvailable(p, 0)
	if err := b.turnOff(); err != nil {
		return err
	}
	return b.adminMenu(p, false)
}

// adminMenu puts qqconnect's entry into Discuz's adminmenu row or takes it
// out, as the rebuild after Discuz's own 启用/关闭 does. A site without the
// row gets none: Discuz builds it at its next 更新缓存.
func (b *builder) adminMenu(p *models.Plugin, on bool) error {
	data, ok, err := b.s.SyscacheData(b.ctx, b.tx, discuz.AdminMenuCacheName)
	if err != nil || !ok {
		return err
	}
	menu, err := discuz.UnserializeArray(data)
	if err != nil {
		b.warns = append(b.warns, "Discuz 的 adminmenu 缓存无法读取，后台菜单中的“QQ互联”需在 工具 → 更新缓存 后更新 / "+
			"Discuz's adminmenu cache does not unserialize: the admin menu's QQ互联 entry follows after 工具 → 更新缓存")
		return nil
	}
	name, err := discuz.ToCharset(p.Name, b.r.Charset)
	if err != nil {
		name = p.Name
	}
	discuz.PatchAdminMenu(menu, p.PluginID, name, on)
	after := discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: menu})
	if string(after) != string(data) {
		b.w.snap.Rows = append(b.w.snap.Rows, syscacheOp{Name: discuz.AdminMenuCacheName, Before: optBytes{true, data}, After: optBytes{true, after}})
	}
	return nil
}

func (b *builder) pluginEnable() error {
	p, err := b.plugin()
	if err != nil {
		return err
	}
	if p == nil {
		return ErrNotInstalled
	}
	b.setAvailable(p, 1)
	if err := b.turnOn(p); err != nil {
		return err
	}
	return b.adminMenu(p, true)
}

// refreshCache rewrites what qqconnect owns in the cached array from the
// database, as Discuz's own rebuild would: the five scalar keys (absent when
// their row is absent), and the plugin's on/off state.
func (b *builder) refreshCache() error {
	for _, k := range ownedKeys {
		if v, ok := b.rows[k]; ok {
			b.cache.Set(k, discuz.Str(v))
		} else {
			b.cache.Delete(k)
		}
	}
	p, err := b.plugin()
	if err != nil {
		return err
	}
	if p != nil && p.Available == 1 {
		return b.turnOn(p)
	}
	if p == nil {
		b.notes = append(b.notes, "qqconnect 插件未安装：setting 缓存中不应有它的任何挂载点 / the qqconnect plugin is not installed: the setting cache must hold none of its hooks")
	}
	return b.turnOff()
}

// fixGuestGroup is Discuz's fixGuestGroup('QQ游客') (discuz.md §6.1 row 19).
func (b *builder) fixGuestGroup() error {
	connect, err := b.connectSetting()
	if err != nil {
		return err
	}
	gid, _ := strconv.ParseInt(strings.TrimSpace(connect.GetString("guest_groupid")), 10, 64)
	if gid > 0 {
		g, err := models.Maybe(b.s.UsergroupIn(b.ctx, b.tx, gid))
		if err != nil {
			return err
		}
		if g != nil {
			b.notes = append(b.notes, fmt.Sprintf("QQ游客用户组 %d（%s）存在，无需修复 / the QQ guest group %d (%s) exists: nothing to repair", gid, g.GroupTitle, gid, g.GroupTitle))
			return nil
		}
	}
	newID, err := b.s.NextUsergroupID(b.ctx, b.tx)
	if err != nil {
		return err
	}
	b.w.snap.Groups = append(b.w.snap.Groups, groupOp{GroupID: newID, Title: guestGroupTitle, Before: false, After: true})
	connect.Set("guest_groupid", discuz.Int(newID))
	if err := b.setConnect(connect); err != nil {
		return err
	}
	if pluginListed(b.cache) {
		cc, _ := b.cache.Get("connect")
		if cc.Kind == discuz.KindArray && cc.Arr != nil && len(cc.Arr.Entries) > 0 {
			cc.Arr.Set("guest_groupid", discuz.Int(newID))
		}
	}
	b.warns = append(b.warns, "新用户组需要 Discuz 的 usergroups 缓存：修复后请在 Discuz 后台运行 工具 → 更新缓存 / "+
		"Discuz lists the new group only after its usergroups cache is rebuilt: run 工具 → 更新缓存 in Discuz's admin panel afterwards")
	return nil
}

// switchOAuth2 sets connect.oauth2 = 1, the switch X3.2/X3.3 read to use
// OAuth 2.0 (discuz.md §3.1), in pre_common_setting and, while the plugin is
// on, in the cached connect array. Discuz's installer writes it as an int.
func (b *builder) switchOAuth2() error {
	connect, err := b.connectSetting()
	if err != nil {
		return err
	}
	if v, _ := connect.Get("oauth2"); v.Kind == discuz.KindInt && v.Int == 1 {
		b.notes = append(b.notes, "connect.oauth2 已经是 1：已在使用 OAuth 2.0 / connect.oauth2 is already 1: OAuth 2.0 is in use")
		return nil
	}
	connect.Set("oauth2", discuz.Int(1))
	if err := b.setConnect(connect); err != nil {
		return err
	}
	if pluginListed(b.cache) {
		cc, _ := b.cache.Get("connect")
		if cc.Kind == discuz.KindArray && cc.Arr != nil && len(cc.Arr.Entries) > 0 {
			cc.Arr.Set("oauth2", discuz.Int(1))
		}
	}
	b.notes = append(b.notes, "QQ互联 回调地址不变；请确认 QQ互联管理中心里的应用已开通 OAuth 2.0 网站登录 / the callback stays the same; make sure the app in the QQ互联 console has OAuth 2.0 website login")
	return nil
}

// pluginListed reports whether 'qqconnect' is in the cached plugins.available.
func pluginListed(setting *discuz.Array) bool {
	pv, _ := setting.Get("plugins")
	if pv.Kind != discuz.KindArray {
		return false
	}
	av, _ := pv.Arr.Get("available")
	if av.Kind != discuz.KindArray {
		return false
	}
	for _, e := range av.Arr.Entries {
		if e.Val.Kind == discuz.KindString && string(e.Val.Str) == pluginID {
			return true
		}
	}
	return false
}

// finish diffs the cached array and builds the plan.
func (b *builder) finish() {
	b.w.snap.Cache = diffTop(b.orig, b.cache)
	if len(b.w.snap.Cache) > 0 {
		b.w.cache = b.cache
	}
	plan := &Plan{Action: b.w.snap.Action, Changes: b.r.changes(&b.w.snap), Notes: b.notes, Warnings: b.warns}
	if len(b.w.snap.Cache) > 0 || b.w.snap.Action == RefreshCache {
		if cw, ok := b.r.Cache.(cacheWarner); ok {
			if msg := cw.Warning(); msg != "" {
				plan.Warnings = append(plan.Warnings, msg)
			}
		}
	}
	if b.w.snap.empty() {
		plan.Notes = append(plan.Notes, "没有需要修改的值 / nothing to change")
	}
	b.w.plan = plan
}

// diffTop lists the top-level keys whose bytes differ between a and b.
func diffTop(a, b *discuz.Array) []cacheOp {
	var ops []cacheOp
	for i, e := range a.Entries {
		k := e.Key.String()
		before := discuz.Serialize(e.Val)
		nv, ok := b.Get(k)
		if !ok {
			ops = append(ops, cacheOp{Key: k, Index: i, Before: optBytes{true, before}})
			continue
		}
		if after := discuz.Serialize(nv); string(after) != string(before) {
			ops = append(ops, cacheOp{Key: k, Index: i, Before: optBytes{true, before}, After: optBytes{true, after}})
		}
	}
	for _, e := range b.Entries {
		k := e.Key.String()
		if a.Index(k) < 0 {
			ops = append(ops, cacheOp{Key: k, Index: -1, After: optBytes{true, discuz.Serialize(e.Val)}})
		}
	}
	return ops
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

// newEntry builds the audit row of w: masked changes, sealed snapshot.
func (r *Repairer) newEntry(action string, actor Actor, w *work, undoOf *int64) (*models.AuditEntry, error) {
	e := r.baseEntry(action, actor, w.plan)
	e.UndoOf = undoOf
	if !w.snap.empty() {
		plain, err := json.Marshal(&w.snap)
		if err != nil {
			return nil, err
		}
		if e.UndoData, err = seal(r.Authkey, action, plain); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// beforeValue is a Change without its "after" value (audit before_json).
type beforeValue struct {
	Where  string `json:"where"`
	Key    string `json:"key"`
	Before string `json:"before"`
	Secret bool   `json:"secret,omitempty"`
}

// baseEntry builds an audit row: before_json lists every changed value as
// it was ([]Change with "after" left out), after_json the full masked
// Changes (before and after); both decode into []Change.
func (r *Repairer) baseEntry(action string, actor Actor, plan *Plan) *models.AuditEntry {
	before, after := []beforeValue{}, []Change{}
	var where []string
	if plan != nil {
		for _, c := range plan.Changes {
			before = append(before, beforeValue{c.Where, c.Key, c.Before, c.Secret})
			after = append(after, c)
			if !contains(where, c.Where) {
				where = append(where, c.Where)
			}
		}
	}
	bj, _ := json.Marshal(before)
	aj, _ := json.Marshal(after)
	target := pluginID
	if len(where) > 0 {
		target = strings.Join(where, ", ")
	}
	if plan != nil && plan.Target != "" {
		target = plan.Target
	}
	return &models.AuditEntry{
		At: r.now().Unix(), ActorUID: actor.UID, ActorName: cut(actor.Name, 64), ActorIP: cut(actor.IP, 45),
		UserAgent: cut(actor.UserAgent, 255), Source: cut(actor.Source, 8), Action: action, Target: cut(target, 255),
		BeforeJSON: string(bj), AfterJSON: string(aj), Result: "ok",
	}
}

// auditFailure records a unit of work that failed (nothing changed): best
// effort, outside the failed unit.
func (r *Repairer) auditFailure(ctx context.Context, action string, actor Actor, w *work, undoOf *int64, cause error) {
	var plan *Plan
	if w != nil {
		plan = w.plan
	}
	e := r.baseEntry(action, actor, plan)
	e.Result, e.UndoOf = "failed", undoOf
	if err := r.Store.InsertAudit(context.WithoutCancel(ctx), nil, e); err != nil {
		r.log().Error("could not record a failed repair in the audit log", "action", action, "err", err, "cause", cause)
	}
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
