package models

// The rows the admin repair tools change (docs/admin-design.md,
// ../shared/docs/discuz-cache.md §7): the `setting` row of
// pre_common_syscache (the only copy of the settings Discuz reads at
// runtime), single pre_common_setting rows, the qqconnect plugin's
// `available` flag, qqconnect's meta rows and the QQ guest usergroup.
//
// Every function takes the caller's unit of work as tx (nil = a statement of
// its own). Several of these writes make one change: run them inside
// Store.Unit, which is a transaction on InnoDB (X3.5) and, on MyISAM (X3.4),
// runs the steps in order and undoes the finished ones when a later one
// fails — callers register how to undo each step with Unit.OnUndo.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"qqconnect/discuz"
)

// SettingCacheName is the cname of the syscache row Discuz reads on every
// request. It must never be deleted or created from outside: without it
// $_G['setting'] is empty and the forum breaks; only Discuz's own 更新缓存
// rebuilds it.
const SettingCacheName = "setting"

// tx returns the caller's unit of work, or a fresh statement.
func (s *Store) txOr(ctx context.Context, tx *gorm.DB) *gorm.DB {
	if tx == nil {
		return s.DB.WithContext(ctx)
	}
	return tx.WithContext(ctx)
}

// Unit is one unit of work over several tables, for packages outside models
// (admin/repair). Pass Tx() as the tx of the functions in this file.
type Unit struct {
	w *writer
}

// Tx is the unit's database handle: a transaction on transactional tables,
// the plain connection pool on MyISAM.
func (u *Unit) Tx() *gorm.DB { return u.w.tx }

// OnUndo registers how to undo the step just done. It only runs when the
// tables are not transactional (X3.4's MyISAM) and a later step fails; the
// db it gets carries a context that is never cancelled.
func (u *Unit) OnUndo(fn func(db *gorm.DB) error) {
	if fn != nil {
		u.w.onUndo(fn)
	}
}

// Unit runs fn over the given (real, prefixed) tables as one unit of work,
// exactly like the store's own multi-row writes (models/write.go).
//
// qqconnect's own tables that the start-up schema inspection did not cover
// (e.g. the audit table, added by migration 0002) are left out of the
// engine check: qqconnect's migrations always create them InnoDB (or
// sqlite), so they never make a unit non-transactional.
func (s *Store) Unit(ctx context.Context, tables []string, fn func(u *Unit) error) error {
	check := tables
	if s.Schema != nil {
		own := s.T.Own("")
		check = make([]string, 0, len(tables))
		for _, t := range tables {
			if strings.HasPrefix(t, own) && !s.Schema.HasTable(t) {
				continue
			}
			check = append(check, t)
		}
	}
	return s.write(ctx, check, func(w *writer) error { return fn(&Unit{w: w}) })
}

// SettingCacheData returns the raw `data` blob of the setting syscache row,
// or ErrNotFound. Inside a MySQL transaction the row is locked (FOR UPDATE)
// so two repairs cannot interleave their read-patch-write.
func (s *Store) SettingCacheData(ctx context.Context, tx *gorm.DB) ([]byte, error) {
	q := "SELECT data FROM " + s.T.Discuz("common_syscache") + " WHERE cname = ?"
	if tx != nil && s.Dialect == DriverMySQL {
		q += " FOR UPDATE"
	}
	var data []byte
	err := s.txOr(ctx, tx).Raw(q, SettingCacheName).Row().Scan(&data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%s has no %q row: %w", s.T.Discuz("common_syscache"), SettingCacheName, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("read the setting cache: %w", err)
	}
	return data, nil
}

// LoadSettingCache reads and unserializes the setting syscache row;
// ErrNotFound when the row is missing (it is never created here).
func (s *Store) LoadSettingCache(ctx context.Context, tx *gorm.DB) (*discuz.Array, error) {
	data, err := s.SettingCacheData(ctx, tx)
	if err != nil {
		return nil, err
	}
	arr, err := discuz.UnserializeArray(data)
	if err != nil {
		return nil, fmt.Errorf("the setting cache (%d bytes) does not unserialize: %w", len(data), err)
	}
	return arr, nil
}

// SaveSettingCache writes the serialized array back into the existing
// setting row (data and dateline; ctype stays 1). It never inserts: a
// missing row gives ErrNotFound.
func (s *Store) SaveSettingCache(ctx context.Context, tx *gorm.DB, setting *discuz.Array, now time.Time) error {
	if setting == nil {
		return errors.New("save the setting cache: nil array")
	}
	return s.SaveSettingCacheData(ctx, tx, discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: setting}), now)
}

// SaveSettingCacheData writes raw serialized bytes into the existing setting
// row (e.g. the exact bytes read before a failed MyISAM unit of work). It
// never inserts: a missing row gives ErrNotFound.
func (s *Store) SaveSettingCacheData(ctx context.Context, tx *gorm.DB, data []byte, now time.Time) error {
	t := s.T.Discuz("common_syscache")
	res := s.txOr(ctx, tx).Exec("UPDATE "+t+" SET data = ?, dateline = ? WHERE cname = ?", data, now.Unix(), SettingCacheName)
	if res.Error != nil {
		return fmt.Errorf("write the setting cache: %w", res.Error)
	}
	if res.RowsAffected == 0 { // MySQL counts changed rows only: check the row is there
		var n int64
		if err := s.txOr(ctx, tx).Table(t).Where("cname = ?", SettingCacheName).Count(&n).Error; err != nil {
			return fmt.Errorf("write the setting cache: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%s has no %q row: %w", t, SettingCacheName, ErrNotFound)
		}
	}
	return nil
}

// ConnectBlacklistCacheName is the cname of Discuz's cache of the QQ
// blacklist (build_cache_connect_blacklist), which Discuz's own QQ login
// reads instead of pre_common_uin_black.
const ConnectBlacklistCacheName = "connect_blacklist"

// RebuildConnectBlacklistCache writes the connect_blacklist syscache row
// from pre_common_uin_black, as Discuz's updatecache('connect_blacklist')
// does after its member editor bans or un-bans a QQ: a PHP list of the
// uins, ctype 1, replacing the row (or creating it: a fresh site has
// none). The list is in uin order; Discuz only asks in_array of it.
func (s *Store) RebuildConnectBlacklistCache(ctx context.Context, now time.Time) error {
	var uins []string
	if err := s.DB.WithContext(ctx).Table(s.T.Discuz("common_uin_black")).Order("uin").Pluck("uin", &uins).Error; err != nil {
		return fmt.Errorf("read the QQ blacklist: %w", err)
	}
	arr := &discuz.Array{Entries: make([]discuz.Entry, 0, len(uins))}
	for i, u := range uins {
		arr.Entries = append(arr.Entries, discuz.Entry{Key: discuz.Int(int64(i)), Val: discuz.Str(u)})
	}
	data := discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: arr})
	err := s.DB.WithContext(ctx).Exec("REPLACE INTO "+s.T.Discuz("common_syscache")+" (cname, ctype, dateline, data) VALUES (?, 1, ?, ?)",
		ConnectBlacklistCacheName, now.Unix(), data).Error
	if err != nil {
		return fmt.Errorf("write the %s cache: %w", ConnectBlacklistCacheName, err)
	}
	return nil
}

// SettingRows reads pre_common_setting rows inside the unit of work; a key
// without a row is absent from the map.
func (s *Store) SettingRows(ctx context.Context, tx *gorm.DB, keys ...string) (map[string]string, error) {
	var rows []Setting
	if err := s.txOr(ctx, tx).Table(s.T.Discuz("common_setting")).Where("skey IN ?", keys).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Skey] = r.Svalue
	}
	return out, nil
}

// UpsertSetting writes one pre_common_setting row, creating it when missing
// (connectappid/connectappkey do not exist on a fresh X3.5), as Discuz's own
// REPLACE INTO does.
func (s *Store) UpsertSetting(ctx context.Context, tx *gorm.DB, key, value string) error {
	t := s.T.Discuz("common_setting")
	if err := s.txOr(ctx, tx).Exec("REPLACE INTO "+t+" (skey, svalue) VALUES (?, ?)", key, value).Error; err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}

// DeleteSetting removes one pre_common_setting row (no error when absent).
func (s *Store) DeleteSetting(ctx context.Context, tx *gorm.DB, key string) error {
	t := s.T.Discuz("common_setting")
	if err := s.txOr(ctx, tx).Exec("DELETE FROM "+t+" WHERE skey = ?", key).Error; err != nil {
		return fmt.Errorf("delete setting %s: %w", key, err)
	}
	return nil
}

// PluginIn is PluginByIdentifier inside the unit of work.
func (s *Store) PluginIn(ctx context.Context, tx *gorm.DB, identifier string) (*Plugin, error) {
	var p Plugin
	q := s.txOr(ctx, tx).Table(s.T.Discuz("common_plugin")).Where("identifier = ?", identifier)
	if err := first(q, &p, "plugin "+identifier); err != nil {
		return nil, err
	}
	return &p, nil
}

// PluginRanks lists the plugins as Discuz's cache builder needs them to
// order its hook arrays (discuz.NewPluginOrder).
func (s *Store) PluginRanks(ctx context.Context, tx *gorm.DB) ([]discuz.PluginRank, error) {
	var rows []struct {
		Identifier string
		PluginID   int64 `gorm:"column:pluginid"`
		Available  int
	}
	if err := s.txOr(ctx, tx).Table(s.T.Discuz("common_plugin")).Select("identifier, pluginid, available").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read the plugin list: %w", err)
	}
	out := make([]discuz.PluginRank, len(rows))
	for i, r := range rows {
		out[i] = discuz.PluginRank{Identifier: r.Identifier, PluginID: r.PluginID, Available: r.Available == 1}
	}
	return out, nil
}

// SetPluginAvailable sets pre_common_plugin.available (0 or 1) of one
// plugin; ErrNotFound when the plugin is not installed.
func (s *Store) SetPluginAvailable(ctx context.Context, tx *gorm.DB, identifier string, available int) error {
	if available != 0 && available != 1 {
		return fmt.Errorf("set plugin %s available: want 0 or 1, got %d", identifier, available)
	}
	t := s.T.Discuz("common_plugin")
	res := s.txOr(ctx, tx).Exec("UPDATE "+t+" SET available = ? WHERE identifier = ?", available, identifier)
	if res.Error != nil {
		return fmt.Errorf("set plugin %s available=%d: %w", identifier, available, res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := s.PluginIn(ctx, tx, identifier); err != nil {
			return fmt.Errorf("set plugin %s available=%d: %w", identifier, available, err)
		}
	}
	return nil
}

// MetaIn reads one of qqconnect's meta rows inside the unit of work; ok is
// false when there is no row.
func (s *Store) MetaIn(ctx context.Context, tx *gorm.DB, k string) (v string, ok bool, err error) {
	var m Meta
	err = first(s.ownTx(ctx, tx, "meta").Where("k = ?", k), &m, "meta "+k)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return m.V, true, nil
}

// SetMetaIn is SetMeta inside the unit of work (REPLACE works on MySQL and sqlite).
func (s *Store) SetMetaIn(ctx context.Context, tx *gorm.DB, k, v string) error {
	if err := s.txOr(ctx, tx).Exec("REPLACE INTO "+s.T.Own("meta")+" (k, v) VALUES (?, ?)", k, v).Error; err != nil {
		return fmt.Errorf("set meta %s: %w", k, err)
	}
	return nil
}

// DeleteMetaIn removes a meta row (no error when absent).
func (s *Store) DeleteMetaIn(ctx context.Context, tx *gorm.DB, k string) error {
	if err := s.txOr(ctx, tx).Exec("DELETE FROM "+s.T.Own("meta")+" WHERE k = ?", k).Error; err != nil {
		return fmt.Errorf("delete meta %s: %w", k, err)
	}
	return nil
}

// UsergroupIn returns a usergroup inside the unit of work, or ErrNotFound.
func (s *Store) UsergroupIn(ctx context.Context, tx *gorm.DB, gid int64) (*Usergroup, error) {
	var g Usergroup
	q := s.txOr(ctx, tx).Table(s.T.Discuz("common_usergroup")).Where("groupid = ?", gid)
	if err := first(q, &g, fmt.Sprintf("usergroup %d", gid)); err != nil {
		return nil, err
	}
	return &g, nil
}

// NextUsergroupID is one more than the highest group id in
// pre_common_usergroup and pre_common_usergroup_field (an orphaned field
// row must not be adopted by a new group).
func (s *Store) NextUsergroupID(ctx context.Context, tx *gorm.DB) (int64, error) {
	var maxID int64
	for _, t := range []string{"common_usergroup", "common_usergroup_field"} {
		var n sql.NullInt64
		if err := s.txOr(ctx, tx).Raw("SELECT MAX(groupid) FROM " + s.T.Discuz(t)).Row().Scan(&n); err != nil {
			return 0, fmt.Errorf("highest group id in %s: %w", s.T.Discuz(t), err)
		}
		maxID = max(maxID, n.Int64)
	}
	return maxID + 1, nil
}

// CreateSpecialUsergroup creates usergroup gid as Discuz's fixGuestGroup
// does for "QQ游客" (discuz.md §6.1 row 19): a `special` group with
// allowvisit=1, and its pre_common_usergroup_field row with allowsearch=2,
// readaccess=1, allowgetattach=1, allowgetimage=1. Every NOT NULL column
// without a default gets 0 or an empty string explicitly: the server may run in strict
// mode. The group id is given (see NextUsergroupID), so the caller knows it
// without LAST_INSERT_ID, which a connection pool cannot promise.
func (s *Store) CreateSpecialUsergroup(ctx context.Context, tx *gorm.DB, gid int64, title string) error {
	tg, tf := s.T.Discuz("common_usergroup"), s.T.Discuz("common_usergroup_field")
	group := map[string]any{"groupid": gid, "type": "special", "grouptitle": title, "allowvisit": 1, "color": "", "stars": 0}
	field := map[string]any{"groupid": gid, "allowsearch": 2, "readaccess": 1, "allowgetattach": 1, "allowgetimage": 1,
		"allowmagics": 0, "magicsdiscount": 0, "maxmagicsweight": 0, "tradestick": 0, "exempt": 0}
	for _, x := range []struct {
		table string
		row   map[string]any
	}{{tg, group}, {tf, field}} {
		if err := s.fillNoDefault(ctx, tx, x.table, x.row); err != nil {
			return err
		}
		cols, marks, args := columnsOf(s.filterColumns(x.table, x.row))
		if err := s.txOr(ctx, tx).Exec("INSERT INTO "+x.table+" ("+cols+") VALUES ("+marks+")", args...).Error; err != nil {
			return fmt.Errorf("create usergroup %d in %s: %w", gid, x.table, err)
		}
	}
	return nil
}

// DeleteUsergroup removes a usergroup and its field row (no error when absent).
func (s *Store) DeleteUsergroup(ctx context.Context, tx *gorm.DB, gid int64) error {
	for _, t := range []string{s.T.Discuz("common_usergroup_field"), s.T.Discuz("common_usergroup")} {
		if err := s.txOr(ctx, tx).Exec("DELETE FROM "+t+" WHERE groupid = ?", gid).Error; err != nil {
			return fmt.Errorf("delete usergroup %d from %s: %w", gid, t, err)
		}
	}
	return nil
}

// fillNoDefault adds a zero value for every NOT NULL column of a MySQL table
// that has no default and is not in row (nothing to do on sqlite, whose
// demo schema gives every column a default).
func (s *Store) fillNoDefault(ctx context.Context, tx *gorm.DB, table string, row map[string]any) error {
	if s.Dialect != DriverMySQL {
		return nil
	}
	type col struct {
		Name  string `gorm:"column:COLUMN_NAME"`
		Type  string `gorm:"column:DATA_TYPE"`
		Extra string `gorm:"column:EXTRA"`
	}
	var cols []col
	err := s.txOr(ctx, tx).Raw(`SELECT COLUMN_NAME, DATA_TYPE, EXTRA FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND IS_NULLABLE = 'NO' AND COLUMN_DEFAULT IS NULL`, table).
		Scan(&cols).Error
	if err != nil {
		return fmt.Errorf("columns of %s: %w", table, err)
	}
	have := make(map[string]bool, len(row))
	for k := range row {
		have[strings.ToLower(k)] = true
	}
	for _, c := range cols {
		if have[strings.ToLower(c.Name)] || strings.Contains(strings.ToLower(c.Extra), "auto_increment") {
			continue
		}
		switch strings.ToLower(c.Type) {
		case "char", "varchar", "text", "tinytext", "mediumtext", "longtext", "binary", "varbinary", "blob", "tinyblob", "mediumblob", "longblob", "enum", "set":
			row[c.Name] = ""
		default:
			row[c.Name] = 0
		}
	}
	return nil
}

// DiscardAudit deletes an audit row. It exists only to undo a unit of work
// that failed part-way on non-transactional tables (the row was written by
// that same unit); audit rows are otherwise never deleted.
func (s *Store) DiscardAudit(ctx context.Context, tx *gorm.DB, id int64) error {
	if err := s.ownTx(ctx, tx, "audit").Where("id = ?", id).Delete(&AuditEntry{}).Error; err != nil {
		return fmt.Errorf("discard audit %d: %w", id, err)
	}
	return nil
}

// ClearUndone reverses MarkUndone, again only to undo a failed unit of work.
func (s *Store) ClearUndone(ctx context.Context, tx *gorm.DB, id int64) error {
	if err := s.ownTx(ctx, tx, "audit").Where("id = ?", id).Update("undone_by", nil).Error; err != nil {
		return fmt.Errorf("clear undone mark of audit %d: %w", id, err)
	}
	return nil
}

// SyscacheData reads another syscache row (adminmenu, …) as its raw data;
// ok is false when the row is missing.
func (s *Store) SyscacheData(ctx context.Context, tx *gorm.DB, cname string) (data []byte, ok bool, err error) {
	q := "SELECT data FROM " + s.T.Discuz("common_syscache") + " WHERE cname = ?"
	if tx != nil && s.Dialect == DriverMySQL {
		q += " FOR UPDATE"
	}
	err = s.txOr(ctx, tx).Raw(q, cname).Row().Scan(&data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read the %s cache: %w", cname, err)
	}
	return data, true, nil
}

// SaveSyscacheData writes a serialized array row (ctype 1), creating it when
// missing; data nil deletes the row.
func (s *Store) SaveSyscacheData(ctx context.Context, tx *gorm.DB, cname string, data []byte, now time.Time) error {
	t := s.T.Discuz("common_syscache")
	var err error
	if data == nil {
		err = s.txOr(ctx, tx).Exec("DELETE FROM "+t+" WHERE cname = ?", cname).Error
	} else {
		err = s.txOr(ctx, tx).Exec("REPLACE INTO "+t+" (cname, ctype, dateline, data) VALUES (?, 1, ?, ?)", cname, now.Unix(), data).Error
	}
	if err != nil {
		return fmt.Errorf("write the %s cache: %w", cname, err)
	}
	return nil
}
