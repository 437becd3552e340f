package doctor

import (
	"context"
	"testing"

	"qqconnect/internal/testdb"
)

// dbCase is one state of the forum database and what one check must say.
type dbCase struct {
	name    string
	fixture string   // X3.5 fixture loaded by reset
	setup   []string // SQL run after reset
	env     func(*Env)
	id      string
	want    want
}

// The connect value of the fixtures with allow=1 at the top level (the
// first key) and guest_groupid as the string "20".
const (
	connectAllowOn  = `a:21:{s:5:"allow";s:1:"1";s:4:"feed"`
	connectAllowOff = `a:21:{s:5:"allow";s:1:"0";s:4:"feed"`
	guestGroupStr   = `s:13:"guest_groupid";s:2:"20";`
)

func sqlReplaceSetting(skey, from, to string) string {
	return "UPDATE pre_common_setting SET svalue = REPLACE(svalue, '" + from + "', '" + to + "') WHERE skey = '" + skey + "'"
}

func sqlSetting(skey, value string) string {
	return "REPLACE INTO pre_common_setting (skey, svalue) VALUES ('" + skey + "', '" + value + "')"
}

func cloudEraEnv(e *Env) { e.DiscuzVersion = "X3.3" }

var x35Cases = []dbCase{
	// database
	{name: "schema complete and migrated", fixture: fxOn, id: "database",
		want: want{status: OK, contains: []string{"every table and column"}}},
	{name: "own migrations missing", fixture: fxOn, setup: []string{"DELETE FROM pre_qqconnect_migrations"}, id: "database",
		want: want{status: Warn, contains: []string{"lack migrations"}, fix: "qqconnect migrate"}},

	// discuz_version: guessed from the X3.5 schema, or given.
	{name: "guess X3.5 from secmobile", fixture: fxOn, id: "discuz_version",
		want: want{status: OK, contains: []string{"X3.5", "guessed", "secmobile"}}},
	{name: "given X3.3", fixture: fxOn, env: cloudEraEnv, id: "discuz_version",
		want: want{status: OK, contains: []string{"X3.3", "cloud era"}}},
	{name: "given unknown version", fixture: fxOn, env: func(e *Env) { e.DiscuzVersion = "X2.5" }, id: "discuz_version",
		want: want{status: Warn, contains: []string{`"X2.5"`}}},

	// qq_protocol: the on fixture's connect has oauth2 i:0.
	{name: "X3.5 always OAuth 2.0", fixture: fxOn, id: "qq_protocol",
		want: want{status: OK, contains: []string{"OAuth 2.0", "X3.4 and later"}}},
	{name: "cloud era with falsy oauth2", fixture: fxOn, env: cloudEraEnv, id: "qq_protocol",
		want: want{status: Warn, repair: RepairSwitchOAuth2, contains: []string{"OAuth 1.0", "retired"}}},
	{name: "cloud era with oauth2=1", fixture: fxOn, env: cloudEraEnv,
		setup: []string{`UPDATE pre_common_setting SET svalue=REPLACE(svalue, 's:6:"oauth2";i:0;', 's:6:"oauth2";i:1;') WHERE skey='connect'`},
		id:    "qq_protocol", want: want{status: OK, contains: []string{"connect.oauth2 = 1"}}},
	{name: "forced oauth1", fixture: fxOn, env: func(e *Env) { e.Protocol = "oauth1" }, id: "qq_protocol",
		want: want{status: Warn, contains: []string{"QQCONNECT_QQ_PROTOCOL=oauth1"}}},

	// unionid
	{name: "unionid never refused", fixture: fxOn, id: "unionid",
		want: want{status: OK, contains: []string{"have a unionid"}}},
	{name: "unionid refused", fixture: fxOn, setup: []string{"REPLACE INTO pre_qqconnect_meta (k, v) VALUES ('qq_unionid_refused_at', '1767225600')"},
		id: "unionid", want: want{status: Warn, contains: []string{"100048", "2026-01-01T00:00:00Z"}, fix: "UnionID"}},

	// plugin_row
	{name: "plugin enabled", fixture: fxOn, id: "plugin_row",
		want: want{status: OK, contains: []string{"2.1.7", "enabled"}}},
	{name: "plugin disabled", fixture: fxOff, id: "plugin_row",
		want: want{status: Fail, repair: RepairPluginEnable, contains: []string{"available=0"}, fix: "启用"}},
	{name: "plugin not installed", fixture: fxFresh, id: "plugin_row",
		want: want{status: Fail, contains: []string{"not installed"}, fix: "应用 → 插件 → QQ互联 → 安装, then 启用 (installing leaves the plugin disabled)"}},
	{name: "plugin not installed, cloud era", fixture: fxFresh, env: cloudEraEnv, id: "plugin_row",
		want: want{status: Fail, contains: []string{"not installed"}, fix: "misc.php?mod=initsys"}},
	{name: "modules broken", fixture: fxOn, setup: []string{"UPDATE pre_common_plugin SET modules = 'a:0:{}' WHERE identifier = 'qqconnect'"}, id: "plugin_row",
		want: want{status: Warn, contains: []string{"common_plugin表modules字段值不正确"}, fix: "安装"}},
	{name: "modules garbage and disabled", fixture: fxOff, setup: []string{"UPDATE pre_common_plugin SET modules = 'xx' WHERE identifier = 'qqconnect'"}, id: "plugin_row",
		want: want{status: Fail, repair: RepairPluginEnable, contains: []string{"common_plugin表modules字段值不正确", "available=0"}}},

	// connect_setting
	{name: "connect allow on", fixture: fxOn, id: "connect_setting",
		want: want{status: OK, contains: []string{"connect.allow=1", "oauth2=0", "X3.4+ always uses OAuth 2.0"}}},
	{name: "connect allow off", fixture: fxOn, setup: []string{sqlReplaceSetting("connect", connectAllowOn, connectAllowOff)}, id: "connect_setting",
		want: want{status: Fail, repair: RepairConnectSettings, contains: []string{"QQ login is off", `connect.allow="0"`}, fix: "开启QQ注册/绑定/登录服务"}},
	{name: "connect allow off, cloud era", fixture: fxOn, env: cloudEraEnv, setup: []string{sqlReplaceSetting("connect", connectAllowOn, connectAllowOff)}, id: "connect_setting",
		want: want{status: Fail, repair: RepairConnectSettings, contains: []string{"QQ login is off"}, fix: "云平台 → QQ互联"}},
	{name: "connect row missing", fixture: fxOn, setup: []string{"DELETE FROM pre_common_setting WHERE skey = 'connect'"}, id: "connect_setting",
		want: want{status: Fail, contains: []string{"no connect row"}}},
	{name: "connect not serialized", fixture: fxOn, setup: []string{sqlSetting("connect", "a:1:{broken")}, id: "connect_setting",
		want: want{status: Fail, contains: []string{"not a valid PHP-serialized array"}}},
	{name: "cloud era with oauth2 0", fixture: fxOn, env: cloudEraEnv, id: "connect_setting",
		want: want{status: OK, contains: []string{"OAuth 1.0"}}},

	// regconnect
	{name: "regconnect on", fixture: fxOn, id: "regconnect", want: want{status: OK, contains: []string{"开放QQ注册 is on"}}},
	{name: "regconnect off", fixture: fxOn, setup: []string{sqlSetting("regconnect", "0")}, id: "regconnect",
		want: want{status: Warn, contains: []string{"can only bind"}, fix: "开放QQ注册"}},
	{name: "regconnect row missing", fixture: fxOn, setup: []string{"DELETE FROM pre_common_setting WHERE skey = 'regconnect'"}, id: "regconnect",
		want: want{status: Warn, contains: []string{"no regconnect row"}}},

	// app_credentials
	{name: "credentials well-formed", fixture: fxOn, id: "app_credentials",
		want: want{status: OK, contains: []string{`appid "101234567"`, "01****ef"}, absent: []string{validKey}}},
	{name: "credentials absent on a fresh site", fixture: fxFresh, id: "app_credentials",
		want: want{status: Fail, repair: RepairSetAppKey, contains: []string{"connectappid and connectappkey empty or missing"}}},
	{name: "appkey empty", fixture: fxOn, setup: []string{sqlSetting("connectappkey", "")}, id: "app_credentials",
		want: want{status: Fail, repair: RepairSetAppKey, contains: []string{"connectappkey empty"}}},
	{name: "appkey malformed", fixture: fxOn, setup: []string{sqlSetting("connectappkey", "FIXTURE-not-hex-0123456789abcdef")}, id: "app_credentials",
		want: want{status: Fail, repair: RepairSetAppKey, contains: []string{"not 32 hex digits", "FI****ef"}, absent: []string{"FIXTURE-not-hex"}}},
	{name: "appid not digits", fixture: fxOn, setup: []string{sqlSetting("connectappid", "10123456x")}, id: "app_credentials",
		want: want{status: Fail, repair: RepairSetAppKey, contains: []string{"not all digits"}}},

	// setting_cache: the fixtures are consistent states.
	{name: "cache on state consistent", fixture: fxOn, id: "setting_cache",
		want: want{status: OK, contains: []string{"plugin enabled", "28 qqconnect hook entries"}}},
	{name: "cache off state consistent", fixture: fxOff, id: "setting_cache",
		want: want{status: OK, contains: []string{"plugin disabled", "0 qqconnect hook entries"}}},
	{name: "cache fresh state consistent", fixture: fxFresh, id: "setting_cache",
		want: want{status: OK, contains: []string{"plugin not installed"}}},
	{name: "plugin disabled in SQL only", fixture: fxOn, setup: []string{"UPDATE pre_common_plugin SET available = 0 WHERE identifier = 'qqconnect'"}, id: "setting_cache",
		want: want{status: Fail, repair: RepairRefreshCache, contains: []string{"Discuz 缓存与数据库不一致", "connect (must be empty", "plugins.available (still lists qqconnect", "hookscript (28 qqconnect hook entries left"}}},
	{name: "plugin enabled in SQL only", fixture: fxOff, setup: []string{"UPDATE pre_common_plugin SET available = 1 WHERE identifier = 'qqconnect'"}, id: "setting_cache",
		want: want{status: Fail, repair: RepairRefreshCache, contains: []string{"connect (empty in the cache", "plugins.available (lacks qqconnect", "hookscript (no qqconnect hooks"}}},
	{name: "appid changed in the settings only", fixture: fxOn, setup: []string{sqlSetting("connectappid", "101999999")}, id: "setting_cache",
		want: want{status: Fail, repair: RepairRefreshCache, contains: []string{`connectappid (cache "101234567", database "101999999")`}}},
	{name: "appkey changed in the settings only is masked", fixture: fxOn, setup: []string{sqlSetting("connectappkey", "fedcba9876543210fedcba9876543210")}, id: "setting_cache",
		want: want{status: Fail, repair: RepairRefreshCache, contains: []string{"connectappkey (cache 01****ef, database fe****10)"}, absent: []string{validKey, "fedcba9876543210"}}},
	{name: "site key in the settings only", fixture: fxOn, setup: []string{sqlSetting("my_siteid", "12345"), sqlSetting("cloud_status", "1")}, id: "setting_cache",
		want: want{status: Fail, repair: RepairRefreshCache, contains: []string{`my_siteid (cache "", database "12345")`, `cloud_status (cache "", database "1")`}}},
	{name: "guest_groupid int in the DB, string in the cache is no difference", fixture: fxOn,
		setup: []string{sqlReplaceSetting("connect", guestGroupStr, `s:13:"guest_groupid";i:20;`)}, id: "setting_cache",
		want: want{status: OK}},
	{name: "connect allow changed in the DB only", fixture: fxOn, setup: []string{sqlReplaceSetting("connect", connectAllowOn, connectAllowOff)}, id: "setting_cache",
		want: want{status: Fail, repair: RepairRefreshCache, contains: []string{"connect (differs in allow)"}}},
	{name: "setting row missing", fixture: fxOn, setup: []string{"DELETE FROM pre_common_syscache WHERE cname = 'setting'"}, id: "setting_cache",
		want: want{status: Fail, contains: []string{"no `setting` row"}, fix: "never delete this row"}},
	{name: "setting row corrupt", fixture: fxOn, setup: []string{"UPDATE pre_common_syscache SET data = LEFT(data, 1000) WHERE cname = 'setting'"}, id: "setting_cache",
		want: want{status: Fail, contains: []string{"does not unserialize"}, fix: "更新缓存"}},

	// cloud_status
	{name: "cloud not opened", fixture: fxOn, id: "cloud_status",
		want: want{status: OK, contains: []string{"尚未开通云平台"}}},
	{name: "cloud cleared by clear-site-key", fixture: fxOn, setup: []string{sqlSetting("cloud_status", "0")}, id: "cloud_status",
		want: want{status: OK, contains: []string{"尚未开通云平台"}}},
	{name: "X3.5 leftover site id", fixture: fxOn, setup: []string{sqlSetting("my_siteid", "12345")}, id: "cloud_status",
		want: want{status: Warn, repair: RepairClearSiteKey, contains: []string{"leftover", "shut down"}}},
	{name: "X3.3 partial site id/key: 52101", fixture: fxOn, env: cloudEraEnv, setup: []string{sqlSetting("my_siteid", "12345")}, id: "cloud_status",
		want: want{status: Fail, repair: RepairClearSiteKey, contains: []string{"Cloud status error! (52101)"}}},
	{name: "X3.3 status without id/key: 52101", fixture: fxOn, env: cloudEraEnv, setup: []string{sqlSetting("cloud_status", "1")}, id: "cloud_status",
		want: want{status: Fail, repair: RepairClearSiteKey, contains: []string{"52101"}}},
	{name: "X3.3 opened cloud, key masked", fixture: fxOn, env: cloudEraEnv,
		setup: []string{sqlSetting("my_siteid", "12345"), sqlSetting("my_sitekey", "abcdef0123456789abcdef0123456789"), sqlSetting("cloud_status", "1")}, id: "cloud_status",
		want: want{status: Warn, repair: RepairClearSiteKey, contains: []string{`"cloud"`, "1 已开通云平台", "ab****89"}, absent: []string{"abcdef0123456789"}}},
	{name: "X3.3 registered, waiting", fixture: fxOn, env: cloudEraEnv,
		setup: []string{sqlSetting("my_siteid", "12345"), sqlSetting("my_sitekey", "abcdef0123456789abcdef0123456789"), sqlSetting("cloud_status", "2")}, id: "cloud_status",
		want: want{status: Warn, repair: RepairClearSiteKey, contains: []string{`"unconfirmed"`, "等待完成"}}},

	// guest_group
	{name: "guest group exists", fixture: fxOn, id: "guest_group", want: want{status: OK, contains: []string{"guest_groupid 20 exists"}}},
	{name: "guest group deleted", fixture: fxOn, setup: []string{"DELETE FROM pre_common_usergroup WHERE groupid = 20"}, id: "guest_group",
		want: want{status: Fail, repair: RepairFixGuestGroup, contains: []string{"20 does not exist"}}},
	{name: "guest group unset", fixture: fxOn, setup: []string{sqlReplaceSetting("connect", guestGroupStr, `s:13:"guest_groupid";s:1:"0";`)}, id: "guest_group",
		want: want{status: Warn, repair: RepairFixGuestGroup, contains: []string{"newusergroupid 10"}}},
	{name: "guest group with broken connect skips", fixture: fxOn, setup: []string{sqlSetting("connect", "zz")}, id: "guest_group",
		want: want{status: Skip}},

	// site_closed
	{name: "site open", fixture: fxOn, id: "site_closed", want: want{status: OK, contains: []string{"否"}}},
	{name: "site closed", fixture: fxOn, setup: []string{sqlSetting("bbclosed", "1")}, id: "site_closed",
		want: want{status: Warn, contains: []string{"前台Connect将不显示"}, fix: "关闭站点"}},

	// retired_hosts
	{name: "no IP overrides", fixture: fxOn, id: "retired_hosts",
		want: want{status: OK, contains: []string{"api.discuz.qq.com", "connect.discuz.qq.com", "cp.discuz.qq.com", "openapi.qzone.qq.com", "no IP overrides"}}},
	{name: "IP overrides left", fixture: fxOn, setup: []string{sqlSetting("cloud_api_ip", "1.2.3.4"), sqlSetting("connect_api_ip", "5.6.7.8")}, id: "retired_hosts",
		want: want{status: Warn, contains: []string{"cloud_api_ip=1.2.3.4", "connect_api_ip=5.6.7.8"}, fix: "设置接口IP"}},
	{name: "cloud era OAuth 1.0 site", fixture: fxOn, env: cloudEraEnv, id: "retired_hosts",
		want: want{status: Warn, contains: []string{"oauth2 is falsy"}, fix: "QQCONNECT_QQ_PROTOCOL=oauth2"}},

	// bindings
	{name: "no bindings", fixture: fxOn, id: "bindings", want: want{status: OK, contains: []string{"0 QQ bindings", "no stale bindings"}}},
	{name: "healthy bindings", fixture: fxOn, setup: []string{
		"INSERT INTO pre_common_member (uid, username, conisbind) VALUES (1, 'alice', 1), (2, 'bob', 1)",
		"INSERT INTO pre_common_member_connect (uid, conopenid) VALUES (1, 'AAAA'), (2, 'BBBB')",
	}, id: "bindings", want: want{status: OK, contains: []string{"2 QQ bindings", "2 members with conisbind=1"}}},
	{name: "stale and orphaned bindings", fixture: fxOn, setup: []string{
		"INSERT INTO pre_common_member (uid, username, conisbind) VALUES (1, 'alice', 1), (2, 'bob', 0), (3, 'carol', 1)",
		"INSERT INTO pre_common_member_connect (uid, conopenid) VALUES (1, 'AAAA'), (2, 'BBBB'), (9, 'GONE')",
	}, id: "bindings", want: want{status: Warn, contains: []string{
		"3 QQ bindings", "2 stale bindings (1 whose member is gone, 1 whose member has conisbind=0)",
		"1 members with conisbind=1 but no binding row"}, fix: "DELETE c FROM pre_common_member_connect"}},
}

func TestChecksX35(t *testing.T) {
	t.Parallel()
	f := newForum(t, testdb.X35)
	for _, tc := range x35Cases {
		t.Run(tc.id+"/"+tc.name, func(t *testing.T) {
			f.reset(t, tc.fixture)
			f.exec(t, tc.setup...)
			env := f.env()
			if tc.env != nil {
				tc.env(env)
			}
			tc.want.check(t, one(t, env, tc.id))
		})
	}
	// The consistent ON state with correct credentials: no check of the
	// database complains at all.
	t.Run("on state all ok", func(t *testing.T) {
		f.reset(t, fxOn)
		rep := runChecks(context.Background(), f.env(), []string{
			"database", "discuz_version", "plugin_row", "connect_setting", "regconnect", "app_credentials",
			"setting_cache", "cloud_status", "guest_group", "site_closed", "retired_hosts", "bindings"})
		if len(rep.Checks) != 12 {
			t.Fatalf("%d results", len(rep.Checks))
		}
		for _, c := range rep.Checks {
			if c.Status != OK {
				t.Errorf("%s: %s %q (fix %q)", c.ID, c.Status, c.Detail, c.Fix)
			}
		}
		if !rep.OK || rep.ExitCode() != 0 {
			t.Errorf("report OK=%v exit=%d", rep.OK, rep.ExitCode())
		}
	})
}

func TestChecksX34(t *testing.T) {
	t.Parallel()
	f := newForum(t, testdb.X34)
	steps := []struct {
		name  string
		setup []string
		env   func(*Env)
		id    string
		want  want
	}{
		{name: "schema complete", id: "database", want: want{status: OK}},
		{name: "no plugin: X3.3 or X3.4", id: "discuz_version",
			want: want{status: Warn, contains: []string{"X3.3 or X3.4", "videophotostatus"}, fix: "QQCONNECT_DISCUZ_ROOT"}},
		{name: "plugin not installed", id: "plugin_row", want: want{status: Fail, contains: []string{"not installed"}}},
		{name: "no setting cache row on a never-run install", id: "setting_cache",
			want: want{status: Fail, contains: []string{"no `setting` row"}}},
		{name: "install qqconnect", setup: []string{"-install"}, id: "plugin_row",
			want: want{status: OK, contains: []string{"2.1.7"}}},
		{name: "plugin 2.1.7: X3.4", id: "discuz_version",
			want: want{status: OK, contains: []string{"X3.4", "guessed", "version 2.1.7"}}},
		{name: "credentials ok", id: "app_credentials", want: want{status: OK, contains: []string{"01****ef"}}},
		{name: "guest group ok", id: "guest_group", want: want{status: OK}},
		{name: "connect ok", id: "connect_setting", want: want{status: OK}},
		{name: "X3.4 leftover cloud status", setup: []string{sqlSetting("cloud_status", "1")}, id: "cloud_status",
			want: want{status: Warn, repair: RepairClearSiteKey, contains: []string{"X3.4 does not read them"}}},
		{name: "cloud-era plugin version: X3.2/X3.3", setup: []string{"UPDATE pre_common_plugin SET version = '1.18.2' WHERE identifier = 'qqconnect'"}, id: "discuz_version",
			want: want{status: Warn, contains: []string{"X3.2/X3.3", "1.18.2"}}},
		{name: "...then the cloud status mix is 52101", id: "cloud_status",
			want: want{status: Fail, repair: RepairClearSiteKey, contains: []string{"52101"}}},
		{name: "stale binding", setup: []string{"INSERT INTO pre_common_member_connect (uid, conopenid) VALUES (7, 'GONE')"}, id: "bindings",
			want: want{status: Warn, contains: []string{"1 whose member is gone"}}},
		{name: "missing column", setup: []string{"ALTER TABLE pre_common_member_connect DROP COLUMN conuintoken", "ALTER TABLE pre_common_setting DROP COLUMN svalue"}, id: "database",
			want: want{status: Fail, contains: []string{"pre_common_member_connect: missing column conuintoken", "pre_common_setting: missing column svalue"}, fix: "QQCONNECT_TABLE_PREFIX"}},
		{name: "missing table", setup: []string{"DROP TABLE pre_common_syscache"}, id: "database",
			want: want{status: Fail, contains: []string{"pre_common_syscache: missing table"}}},
	}
	// Steps build on each other, in order.
	for _, st := range steps {
		t.Run(st.id+"/"+st.name, func(t *testing.T) {
			for _, s := range st.setup {
				if s == "-install" {
					f.d.InstallQQConnect(t, "101234567", validKey)
					continue
				}
				f.exec(t, s)
			}
			env := f.env()
			if st.env != nil {
				st.env(env)
			}
			st.want.check(t, one(t, env, st.id))
		})
	}
}
