package models

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DemoOptions configures SeedDemo.
type DemoOptions struct {
	AppID  string           // written to connectappid (the sandbox app)
	AppKey string           // written to connectappkey
	Now    func() time.Time // clock for regdate etc.; nil = time.Now
	RegIP  string           // registration IP of the demo accounts; "" = 127.0.0.1
}

// Account is one seeded login; Password is shown once and stored only hashed.
type Account struct {
	Username string
	Password string
}

// DemoAccounts are the logins SeedDemo created.
type DemoAccounts struct {
	Admin   Account
	Members []Account
}

// DemoGuestGroupID is the "QQ游客" group, the id the qqconnect plugin's
// install.php gets on a fresh forum.
const DemoGuestGroupID = 20

// defaultConnectSetting is install_data.sql's `connect` value.
const defaultConnectSetting = `a:19:{s:5:"allow";s:1:"1";s:4:"feed";a:2:{s:5:"allow";s:1:"1";s:5:"group";s:1:"0";}s:1:"t";a:2:{s:5:"allow";s:1:"1";s:5:"group";s:1:"0";}s:10:"like_allow";s:1:"1";s:7:"like_qq";s:0:"";s:10:"turl_allow";s:1:"1";s:7:"turl_qq";s:0:"";s:8:"like_url";s:0:"";s:17:"register_birthday";s:1:"0";s:15:"register_gender";s:1:"0";s:17:"register_uinlimit";s:0:"";s:21:"register_rewardcredit";s:1:"1";s:18:"register_addcredit";s:0:"";s:16:"register_groupid";s:1:"0";s:18:"register_regverify";s:1:"1";s:15:"register_invite";s:1:"0";s:10:"newbiespan";s:0:"";s:9:"turl_code";s:0:"";s:13:"mblog_app_key";s:3:"abc";}`

// demoConnectSetting is the default plus guest_groupid "20", as the plugin's
// install.php and the first save of its settings page leave it.
func demoConnectSetting() string {
	body := strings.TrimSuffix(strings.TrimPrefix(defaultConnectSetting, "a:19:"), "}")
	return "a:20:" + body + `s:13:"guest_groupid";s:2:"20";}`
}

// Plugin modules as Discuz X3.5 stores them (x35-qqconnect-on fixture).
const (
	qqconnectModules = `a:5:{i:0;a:11:{s:4:"name";s:7:"connect";s:5:"param";s:0:"";s:4:"menu";s:0:"";s:3:"url";s:0:"";s:4:"type";s:2:"11";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"0";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}i:1;a:11:{s:4:"name";s:7:"connect";s:5:"param";s:0:"";s:4:"menu";s:0:"";s:3:"url";s:0:"";s:4:"type";s:2:"28";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"0";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}i:2;a:11:{s:4:"name";s:7:"admincp";s:5:"param";s:10:"ac=setting";s:4:"menu";s:6:"设置";s:3:"url";s:0:"";s:4:"type";s:1:"3";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"0";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}i:3;a:11:{s:4:"name";s:7:"spacecp";s:5:"param";s:0:"";s:4:"menu";s:8:"QQ绑定";s:3:"url";s:0:"";s:4:"type";s:1:"7";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"1";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}s:5:"extra";a:2:{s:11:"installtype";s:0:"";s:10:"langexists";i:1;}}`
	mobileModules    = `a:4:{i:0;a:10:{s:4:"name";s:6:"mobile";s:4:"menu";s:0:"";s:3:"url";s:0:"";s:4:"type";s:2:"28";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"0";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}i:1;a:10:{s:4:"name";s:6:"mobile";s:4:"menu";s:0:"";s:3:"url";s:0:"";s:4:"type";s:2:"11";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"0";s:8:"navtitle";s:0:"";s:7:"navicon";s:0:"";s:10:"navsubname";s:0:"";s:9:"navsuburl";s:0:"";}s:6:"system";i:2;s:5:"extra";a:2:{s:11:"installtype";s:0:"";s:10:"langexists";i:1;}}`
)

// bcryptCost matches PHP's password_hash(PASSWORD_BCRYPT) default.
const bcryptCost = 10

// SeedDemo fills an empty standalone (sqlite) forum created by
// migrations.DemoForum: settings, the qqconnect and mobile plugin rows,
// usergroups, an administrator and two members with random passwords. It is
// idempotent: when pre_common_member already has a row it changes nothing and
// returns (nil, nil). Everything happens in one transaction. It refuses mysql,
// where the forum and its accounts belong to Discuz.
func SeedDemo(ctx context.Context, s *Store, o DemoOptions) (*DemoAccounts, error) {
	if s.Dialect != DriverSQLite {
		return nil, fmt.Errorf("seed demo forum: only for the standalone sqlite mode, not %q", s.Dialect)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	ip := o.RegIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	ts := now().Unix()

	var accounts *DemoAccounts
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Table(s.T.Discuz("common_member")).Count(&n).Error; err != nil {
			return fmt.Errorf("count members: %w", err)
		}
		if n > 0 {
			return nil
		}
		if err := seedSettings(tx, s.T, o); err != nil {
			return err
		}
		if err := seedPlugins(tx, s.T); err != nil {
			return err
		}
		if err := seedUsergroups(tx, s.T); err != nil {
			return err
		}
		acc := &DemoAccounts{}
		users := []struct {
			uid              int64
			name             string
			adminid, groupid int
		}{
			{1, "admin", 1, 1},
			{2, "alice", 0, 10},
			{3, "bob", 0, 10},
		}
		for _, u := range users {
			pw, err := randomString(12, passwordAlphabet)
			if err != nil {
				return err
			}
			if err := seedMember(tx, s.T, u.uid, u.name, pw, u.name+"@example.com", ip, u.adminid, u.groupid, ts); err != nil {
				return err
			}
			if u.adminid == 1 {
				acc.Admin = Account{Username: u.name, Password: pw}
			} else {
				acc.Members = append(acc.Members, Account{Username: u.name, Password: pw})
			}
		}
		accounts = acc
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed demo forum: %w", err)
	}
	return accounts, nil
}

func seedSettings(tx *gorm.DB, t Tables, o DemoOptions) error {
	settings := [][2]string{
		{"connect", demoConnectSetting()},
		{"regconnect", "1"},
		{"regstatus", "1"},
		{"censoruser", ""},
		{"bbclosed", "0"},
		{"bbname", "qqconnect 演示论坛"},
		{"my_siteid", ""},
		{"my_sitekey", ""},
		{"connectappid", o.AppID},
		{"connectappkey", o.AppKey},
	}
	for _, kv := range settings {
		// DoNothing: a value the operator already wrote wins over the demo default.
		err := tx.Table(t.Discuz("common_setting")).Clauses(clause.OnConflict{DoNothing: true}).
			Create(map[string]any{"skey": kv[0], "svalue": kv[1]}).Error
		if err != nil {
			return fmt.Errorf("setting %s: %w", kv[0], err)
		}
	}
	return nil
}

func seedPlugins(tx *gorm.DB, t Tables) error {
	plugins := []map[string]any{
		{"pluginid": 1, "available": 1, "adminid": 1, "name": "掌上论坛", "identifier": "mobile", "description": "",
			"datatables": "", "directory": "mobile/", "copyright": "Comsenz Inc.", "modules": mobileModules, "version": "1.4.8"},
		{"pluginid": 2, "available": 1, "adminid": 1, "name": "QQ互联", "identifier": "qqconnect", "description": "",
			"datatables": "", "directory": "qqconnect/", "copyright": "Comsenz Inc.", "modules": qqconnectModules, "version": "2.1.7"},
	}
	for _, p := range plugins {
		if err := tx.Table(t.Discuz("common_plugin")).Create(p).Error; err != nil {
			return fmt.Errorf("plugin %s: %w", p["identifier"], err)
		}
	}
	return nil
}

func seedUsergroups(tx *gorm.DB, t Tables) error {
	cols := demoUsergroupColumns()
	for _, row := range demoUsergroups() {
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = row[i]
		}
		if err := tx.Table(t.Discuz("common_usergroup")).Create(m).Error; err != nil {
			return fmt.Errorf("usergroup %s: %w", row[0], err)
		}
	}
	for _, pairs := range demoUsergroupFields() {
		m := make(map[string]any, len(pairs))
		for _, kv := range pairs {
			m[kv[0]] = kv[1]
		}
		if err := tx.Table(t.Discuz("common_usergroup_field")).Create(m).Error; err != nil {
			return fmt.Errorf("usergroup_field %s: %w", pairs[0][1], err)
		}
	}
	// The QQ guest group exactly as qqconnect's install.php creates it; the
	// five NOT NULL columns without a default are 0, what MySQL's non-strict
	// mode stores for Discuz.
	if err := tx.Table(t.Discuz("common_usergroup")).Create(map[string]any{
		"groupid": DemoGuestGroupID, "type": "special", "grouptitle": "QQ游客", "allowvisit": 1, "color": "", "stars": 0,
	}).Error; err != nil {
		return fmt.Errorf("usergroup %d: %w", DemoGuestGroupID, err)
	}
	if err := tx.Table(t.Discuz("common_usergroup_field")).Create(map[string]any{
		"groupid": DemoGuestGroupID, "allowsearch": 2, "readaccess": 1, "allowgetattach": 1, "allowgetimage": 1,
		"allowmagics": 0, "magicsdiscount": 0, "maxmagicsweight": 0, "tradestick": 0, "exempt": 0,
	}).Error; err != nil {
		return fmt.Errorf("usergroup_field %d: %w", DemoGuestGroupID, err)
	}
	return nil
}

// seedMember writes one account the way UCenter's add_user and Discuz's
// insert_user do (X3.5): UCenter members + memberfields, then the six
// pre_common_member* rows with the same uid. Text columns that have no
// default in install.sql are written as ” (what MySQL stores for Discuz).
func seedMember(tx *gorm.DB, t Tables, uid int64, username, password, email, ip string, adminid, groupid int, now int64) error {
	hash, err := phpBcrypt(password)
	if err != nil {
		return err
	}
	secret, err := randomString(10, passwordAlphabet)
	if err != nil {
		return err
	}
	sum := md5.Sum([]byte(secret))

	rows := []struct {
		table string
		row   map[string]any
	}{
		{t.UCenter("members"), map[string]any{
			"uid": uid, "username": username, "password": hash, "email": email,
			"regip": ip, "regdate": now, "salt": "", "secques": "",
		}},
		{t.UCenter("memberfields"), map[string]any{"uid": uid, "blacklist": ""}},
		{t.Discuz("common_member"), map[string]any{
			"uid": uid, "username": username, "password": hex.EncodeToString(sum[:]), "email": email,
			"secmobicc": "", "secmobile": "", "secmobilestatus": 0,
			"adminid": adminid, "groupid": groupid, "regdate": now, "emailstatus": 0, "credits": 0, "timeoffset": "9999",
		}},
		{t.Discuz("common_member_status"), map[string]any{
			"uid": uid, "regip": ip, "lastip": ip, "port": 0, "regport": 0,
			"lastvisit": now, "lastactivity": now, "lastpost": 0, "lastsendmail": 0,
		}},
		{t.Discuz("common_member_count"), map[string]any{
			"uid": uid, "extcredits1": 0, "extcredits2": 0, "extcredits3": 0, "extcredits4": 0,
			"extcredits5": 0, "extcredits6": 0, "extcredits7": 0, "extcredits8": 0,
		}},
		{t.Discuz("common_member_profile"), withEmpty(map[string]any{"uid": uid},
			"bio", "interest", "field1", "field2", "field3", "field4", "field5", "field6", "field7", "field8")},
		{t.Discuz("common_member_field_forum"), withEmpty(map[string]any{"uid": uid},
			"medals", "sightml", "groupterms", "groups")},
		{t.Discuz("common_member_field_home"), withEmpty(map[string]any{"uid": uid},
			"spacecss", "blockposition", "recentnote", "spacenote", "privacy", "feedfriend", "acceptemail", "magicgift", "stickblogs")},
	}
	for _, r := range rows {
		if err := tx.Table(r.table).Create(r.row).Error; err != nil {
			return fmt.Errorf("member %s: %s: %w", username, r.table, err)
		}
	}
	return nil
}

func withEmpty(m map[string]any, cols ...string) map[string]any {
	for _, c := range cols {
		m[c] = ""
	}
	return m
}

// phpBcrypt hashes like PHP's password_hash(PASSWORD_BCRYPT): cost 10 and the
// $2y$ prefix, which UCenter 1.7 stores and password_verify expects.
func phpBcrypt(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	s := string(h)
	if !strings.HasPrefix(s, "$2a$") {
		return "", errors.New("bcrypt: unexpected hash prefix")
	}
	return "$2y$" + s[len("$2a$"):], nil
}

// passwordAlphabet leaves out look-alikes (0/O, 1/l/I) since passwords are read off a console.
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func randomString(n int, alphabet string) (string, error) {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b), nil
}
