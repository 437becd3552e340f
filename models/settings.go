package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"qqconnect/discuz"
)

// Setting is one row of pre_common_setting.
type Setting struct {
	Skey   string `gorm:"column:skey"`
	Svalue string `gorm:"column:svalue"`
}

// Settings reads the given keys from pre_common_setting. A key without a row
// is absent from the map (fresh X3.5 sites have no connectappid row at all).
func (s *Store) Settings(ctx context.Context, keys ...string) (map[string]string, error) {
	var rows []Setting
	err := s.DB.WithContext(ctx).Table(s.T.Discuz("common_setting")).
		Where("skey IN ?", keys).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Skey] = r.Svalue
	}
	return out, nil
}

// QQSettings is what decides whether QQ login works, read the way Discuz
// decides it (docs/discuz.md §3.1, §4).
type QQSettings struct {
	AppID, AppKey    string // AppKey is secret
	PluginInstalled  bool
	PluginAvailable  bool
	PluginVersion    string
	Connect          *discuz.Array // unserialized pre_common_setting.connect (never nil)
	ConnectBroken    bool          // the connect value did not unserialize
	RegConnect       bool          // 开放QQ注册
	RegVerify        int           // the site's regverify (0 none, 1 email, 2 manual)
	CensorUser       string
	InitCredits      string
	BBClosed         bool
	Charset          string
	GuestGroupID     int64
	RegisterGroupID  int64
	RegisterUinLimit int
	// Synlogin is Discuz's allowsynlogin as UCenter's applications say it
	// now (synlogin.go): a QQ login then logs the member into them too.
	Synlogin bool
	// AvatarImport is qqconnect's own switch (MetaAvatarImport): import the
	// QQ avatar of a member who has none. Read only by LoadLoginSettings.
	AvatarImport bool
}

// MetaAvatarImport is the qqconnect_meta key of the QQ avatar import
// switch: "1" on; anything else, or no row, off (the default).
const MetaAvatarImport = "qq_avatar_import"

// Allow reports connect.allow == 1.
func (q *QQSettings) Allow() bool { return q.Connect.GetString("allow") == "1" }

// LoginReady reports whether QQ login is on: plugin available, connect.allow,
// and both appid and appkey present.
func (q *QQSettings) LoginReady() bool {
	return q.PluginInstalled && q.PluginAvailable && q.Allow() && q.AppID != "" && q.AppKey != ""
}

// qqSettingKeys are the pre_common_setting rows LoadQQSettings reads.
var qqSettingKeys = []string{"connectappid", "connectappkey", "connect", "regconnect", "regverify",
	"censoruser", "initcredits", "bbclosed"}

// LoadQQSettings reads the QQ login switches and credentials: the settings
// and the plugin row in one statement, because every login and callback
// starts here (README "Performance"). It reads none of qqconnect's own
// tables, so the doctor can use it where qqconnect never ran.
func (s *Store) LoadQQSettings(ctx context.Context) (*QQSettings, error) {
	return s.loadQQSettings(ctx, false)
}

// LoadLoginSettings is LoadQQSettings with qqconnect's own switches
// (AvatarImport) in the same statement: the login flow's settings, so a
// switch costs a login no statement of its own.
func (s *Store) LoadLoginSettings(ctx context.Context) (*QQSettings, error) {
	return s.loadQQSettings(ctx, true)
}

// ownSwitchOn marks the meta row in the settings statement: its
// "available" is 3 for "1" and 2 otherwise, where the plugin row has 0 or 1
// (a number, so no string of another charset joins the UNION).
const ownSwitchOn, ownSwitchOff = "3", "2"

func (s *Store) loadQQSettings(ctx context.Context, own bool) (*QQSettings, error) {
	q := "SELECT skey, svalue, NULL AS available, NULL AS version FROM " + s.T.Discuz("common_setting") +
		" WHERE skey IN (" + placeholders(len(qqSettingKeys)) + ") UNION ALL SELECT NULL, NULL, available, version FROM " +
		s.T.Discuz("common_plugin") + " WHERE identifier = ?"
	args := make([]any, 0, len(qqSettingKeys)+5)
	for _, k := range qqSettingKeys {
		args = append(args, k)
	}
	args = append(args, "qqconnect")
	if own {
		q += " UNION ALL SELECT NULL, NULL, CASE WHEN v = '1' THEN " + ownSwitchOn + " ELSE " + ownSwitchOff + " END, NULL FROM " +
			s.T.Own("meta") + " WHERE k = ?"
		args = append(args, MetaAvatarImport)
	}
	union, uargs := s.synloginUnion()
	q += union
	args = append(args, uargs...)
	m := make(map[string]string, len(qqSettingKeys))
	out := &QQSettings{Connect: &discuz.Array{}}
	syn := synloginTally{appID: s.UCAppID}
	err := s.hotQuery(ctx, q, args, func(rows *sql.Rows) error {
		var key, value, available, version sql.NullString
		if err := rows.Scan(&key, &value, &available, &version); err != nil {
			return err
		}
		switch {
		case scanSynloginRow(key, value, available, version, &syn):
		case key.Valid && value.Valid:
			m[key.String] = value.String
		case !key.Valid && (available.String == ownSwitchOn || available.String == ownSwitchOff):
			out.AvatarImport = available.String == ownSwitchOn
		case available.Valid && !out.PluginInstalled: // the first row, as LIMIT 1 did
			out.PluginInstalled, out.PluginAvailable = true, available.String == "1"
			out.PluginVersion = version.String
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read QQ login settings: %w", err)
	}
	if s.UC != nil && s.synloginReadable() {
		// UCenter on another server: its own statement, kept as long as the
		// settings. Out of reach, the login goes on without synchronized
		// login (GORM's logger has logged the failed statement).
		if err := s.synloginRemote(ctx, &syn); err != nil {
			syn = synloginTally{}
		}
	}
	out.Synlogin = syn.on()
	out.AppID, out.AppKey = m["connectappid"], m["connectappkey"]
	out.RegConnect, out.CensorUser, out.BBClosed = m["regconnect"] == "1", m["censoruser"], m["bbclosed"] == "1"
	out.RegVerify = int(leadingInt(m["regverify"]))
	out.InitCredits = m["initcredits"]
	if raw := m["connect"]; raw != "" {
		if arr, err := s.UnserializeSetting(raw); err == nil {
			out.Connect = arr
		} else {
			out.ConnectBroken = true
		}
	}
	out.GuestGroupID = leadingInt(out.Connect.GetString("guest_groupid"))
	out.RegisterGroupID = leadingInt(out.Connect.GetString("register_groupid"))
	out.RegisterUinLimit = int(leadingInt(out.Connect.GetString("register_uinlimit")))
	return out, nil
}

// leadingInt reads a number as fmt.Sscan did (and PHP's intval does): an
// optional sign and the digits after leading space; 0 when there are none.
func leadingInt(v string) int64 {
	v = strings.TrimSpace(v)
	end := 0
	if end < len(v) && (v[0] == '-' || v[0] == '+') {
		end++
	}
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, _ := strconv.ParseInt(v[:end], 10, 64)
	return n
}

// NewUserGroupID is the group a new member gets by its initial credits, as
// Discuz computes newusergroupid when it builds its settings; read only by
// registration, not by every login.
func (s *Store) NewUserGroupID(ctx context.Context, q *QQSettings) (int64, error) {
	return s.newUserGroupID(ctx, firstCredit(q.InitCredits))
}

// firstCredit is the initial total credits of a new member: Discuz's
// initcredits setting is "credits,extcredits1,…"; the first field seeds credits.
func firstCredit(initcredits string) int64 {
	var n int64
	fmt.Sscanf(initcredits, "%d", &n)
	return n
}

// newUserGroupID finds the member group whose credit range holds the initial
// credits, as Discuz computes newusergroupid when it builds its settings.
func (s *Store) newUserGroupID(ctx context.Context, credits int64) (int64, error) {
	var gid int64
	err := s.DB.WithContext(ctx).Table(s.T.Discuz("common_usergroup")).
		Where("type = ? AND creditshigher <= ? AND creditslower > ?", "member", credits, credits).
		Order("creditshigher").Limit(1).Pluck("groupid", &gid).Error
	if err != nil {
		return 0, fmt.Errorf("find new-member group: %w", err)
	}
	if gid == 0 {
		gid = 10 // Discuz's stock 新手上路
	}
	return gid, nil
}

// textCharset is the charset PHP counted bytes in when it serialized a
// value into table.column: the column's own when it is gbk or big5 (the
// SC_GBK/TC_BIG5 editions), else "" for UTF-8.
func (s *Store) textCharset(table, column string) string {
	if f, ok := s.Schema.Column(table, column); ok && (f.Charset == "gbk" || f.Charset == "big5") {
		return f.Charset
	}
	return ""
}

// UnserializeSetting parses a serialized pre_common_setting.svalue (connect)
// as PHP wrote it; the array holds the site's bytes.
func (s *Store) UnserializeSetting(text string) (*discuz.Array, error) {
	return discuz.UnserializeText(text, s.textCharset(s.T.Discuz("common_setting"), "svalue"))
}

// SerializeSetting is the svalue text of arr (the site's bytes), with PHP's
// byte counts in the column's charset once MySQL has converted it.
func (s *Store) SerializeSetting(arr *discuz.Array) (string, error) {
	out, err := discuz.SerializeText(arr, s.textCharset(s.T.Discuz("common_setting"), "svalue"))
	if err != nil {
		return "", fmt.Errorf("serialize setting: %w", err)
	}
	return out, nil
}

// UnserializeModules parses pre_common_plugin.modules as PHP wrote it.
func (s *Store) UnserializeModules(text string) (*discuz.Array, error) {
	return discuz.UnserializeText(text, s.textCharset(s.T.Discuz("common_plugin"), "modules"))
}
