package testdb

import (
	"testing"
)

// QQConnectModules is pre_common_plugin.modules of the stock qqconnect 2.1.7
// plugin as Discuz X3.5 stores it after an admin install (copied from the
// x35-qqconnect-on fixture; discuz.md §4).
const QQConnectModules = `a:5:{i:0;a:11:{s:4:"name";s:7:"connect";s:5:"param";s:0:"";s:4:"menu";s:0:"";s:3:"url";s:0:"";s:4:"type";s:2:"11";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"0";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}i:1;a:11:{s:4:"name";s:7:"connect";s:5:"param";s:0:"";s:4:"menu";s:0:"";s:3:"url";s:0:"";s:4:"type";s:2:"28";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"0";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}i:2;a:11:{s:4:"name";s:7:"admincp";s:5:"param";s:10:"ac=setting";s:4:"menu";s:6:"设置";s:3:"url";s:0:"";s:4:"type";s:1:"3";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"0";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}i:3;a:11:{s:4:"name";s:7:"spacecp";s:5:"param";s:0:"";s:4:"menu";s:8:"QQ绑定";s:3:"url";s:0:"";s:4:"type";s:1:"7";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"1";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}s:5:"extra";a:2:{s:11:"installtype";s:0:"";s:10:"langexists";i:1;}}`

// ConnectSettingInstalled is pre_common_setting.connect after the plugin's
// install.php created group 20 and the admin saved the settings page: the
// install_data.sql default plus guest_groupid "20" and oauth2 0 (byte for byte
// the value in the x35-qqconnect-on fixture).
const ConnectSettingInstalled = `a:21:{s:5:"allow";s:1:"1";s:4:"feed";a:2:{s:5:"allow";s:1:"1";s:5:"group";s:1:"0";}s:1:"t";a:2:{s:5:"allow";s:1:"1";s:5:"group";s:1:"0";}s:10:"like_allow";s:1:"1";s:7:"like_qq";s:0:"";s:10:"turl_allow";s:1:"1";s:7:"turl_qq";s:0:"";s:8:"like_url";s:0:"";s:17:"register_birthday";s:1:"0";s:15:"register_gender";s:1:"0";s:17:"register_uinlimit";s:0:"";s:21:"register_rewardcredit";s:1:"1";s:18:"register_addcredit";s:0:"";s:16:"register_groupid";s:1:"0";s:18:"register_regverify";s:1:"1";s:15:"register_invite";s:1:"0";s:10:"newbiespan";s:0:"";s:9:"turl_code";s:0:"";s:13:"mblog_app_key";s:3:"abc";s:13:"guest_groupid";s:2:"20";s:6:"oauth2";i:0;}`

// InstallQQConnect makes the database look like a site whose admin installed
// and enabled the stock qqconnect 2.1.7 plugin and saved appid/appkey on its
// settings page (discuz.md §4, install.php). It writes the rows the way the
// plugin does, but supplies every NOT NULL column without a default
// explicitly, because this session runs in the server's strict sql_mode.
// The setting syscache is left alone (tests load a fixture for that).
func (d *DB) InstallQQConnect(t testing.TB, appid, appkey string) {
	t.Helper()
	d.Exec(t, `INSERT INTO pre_common_plugin
		(available, adminid, name, identifier, description, datatables, directory, copyright, modules, version)
		VALUES (1, 1, ?, 'qqconnect', '', '', 'qqconnect/', 'Comsenz Inc.', ?, '2.1.7')
		ON DUPLICATE KEY UPDATE available=1, adminid=1, name=VALUES(name), directory=VALUES(directory),
		copyright=VALUES(copyright), modules=VALUES(modules), version=VALUES(version)`, pluginName(d.Charset), pluginModules(d.Charset))
	d.Exec(t, `REPLACE INTO pre_common_usergroup (groupid, type, grouptitle, allowvisit, color, stars)
		VALUES (?, 'special', 'QQ游客', 1, '', 0)`, QQConnectGuestGroupID)
	d.Exec(t, `REPLACE INTO pre_common_usergroup_field
		(groupid, allowsearch, readaccess, allowgetattach, allowgetimage,
		 allowmagics, magicsdiscount, maxmagicsweight, tradestick, exempt)
		VALUES (?, 2, 1, 1, 1, 0, 0, 0, 0, 0)`, QQConnectGuestGroupID)
	for _, kv := range [][2]string{
		{"connect", ConnectSettingInstalled},
		{"connectappid", appid},
		{"connectappkey", appkey},
		{"regconnect", "1"},
	} {
		d.Exec(t, `REPLACE INTO pre_common_setting (skey, svalue) VALUES (?, ?)`, kv[0], kv[1])
	}
}

// pluginName is the plugin's name as the edition of that charset installs
// it: the TC_BIG5 edition's language pack says 互聯 (联 is not in Big5).
func pluginName(charset string) string {
	if charset == "big5" {
		return "QQ互聯"
	}
	return "QQ互联"
}

// pluginModules is the plugin row's serialized modules as the edition of
// that charset stores them: its byte counts are the site charset's once
// MySQL has converted the text into the gbk/big5 column.
func pluginModules(charset string) string {
	if charset != "gbk" && charset != "big5" {
		return QQConnectModules
	}
	v, err := siteText(QQConnectModules, charset)
	if err != nil {
		panic("testdb: QQConnectModules: " + err.Error())
	}
	return v
}
