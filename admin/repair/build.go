package repair

// What each action changes: build reads the current state and computes the
// snapshot of every row the action would write.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"qqconnect/discuz"
	"qqconnect/models"
)

// build reads the current state (inside tx when given) and computes action.
func (r *Repairer) build(ctx context.Context, tx *gorm.DB, action string, args Args) (*work, error) {
	if isMemberAction(action) {
		return r.buildMember(ctx, tx, action, args)
	}
	if isSwitchAction(action) {
		return r.buildSwitch(ctx, tx, action)
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
		if discuz.IsCloudEra(r.DiscuzVersion) {
			// X3.2/X3.3 configure QQ互联 on the cloud platform's admin page, which needs the site ID/key.
			b.warns = append(b.warns, "这是 "+r.DiscuzVersion+" 站点：清除站点ID/KEY 后，Discuz 后台的 云平台 → QQ互联 页面将无法再打开（它需要已开通的云平台），"+
				"QQ登录照常工作；此后 connect 设置（allow、register_*、guest_groupid）请在 qqconnect 后台 修复 → 修改 QQ互联 设置（"+ConnectSettings+"）中修改 / "+
				"this is a "+r.DiscuzVersion+" site: once the site ID/key are cleared, Discuz's own 云平台 → QQ互联 admin page no longer opens "+
				"(it needs an opened cloud platform); QQ login keeps working, and the connect settings (allow, register_*, guest_groupid) are then changed with qqconnect's "+ConnectSettings+" repair (admin panel: 修复 → 修改 QQ互联 设置)")
		}
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
	case ConnectSettings:
		err = b.connectSettings(args.Connect)
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
