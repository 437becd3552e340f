package repair_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"qqconnect/admin/repair"
	"qqconnect/discuz"
	"qqconnect/internal/testdb"
)

// twoCredits is an extcredits setting with 威望 and 金钱 turned on and the
// third one off, as Discuz's 积分设置 stores it.
const twoCredits = `a:3:{i:1;a:2:{s:5:"title";s:6:"威望";s:9:"available";s:1:"1";}i:2;a:2:{s:5:"title";s:6:"金钱";s:9:"available";s:1:"1";}i:3;a:2:{s:5:"title";s:6:"贡献";s:9:"available";s:1:"0";}}`

// fieldGender is the fields_connect_register row Discuz builds for
// register_gender=1 from the install row of `gender` (title in the site's bytes).
func fieldGender(title string) string {
	return `a:1:{s:12:"field_gender";a:16:{s:7:"fieldid";s:6:"gender";s:9:"available";i:1;s:9:"invisible";s:1:"0";s:10:"needverify";s:1:"0";` +
		`s:5:"title";s:` + strconv.Itoa(len(title)) + `:"` + title + `";s:11:"description";s:0:"";s:12:"displayorder";s:1:"0";s:8:"required";s:1:"0";` +
		`s:12:"unchangeable";s:1:"0";s:10:"showincard";s:1:"0";s:12:"showinthread";s:1:"0";s:14:"showinregister";i:1;s:11:"allowsearch";s:1:"1";` +
		`s:8:"formtype";s:6:"select";s:4:"size";s:1:"0";s:8:"validate";s:0:"";}}`
}

// withConnectChoices gives the site group 20 (QQ游客, special) and two
// turned-on extcredits.
func withConnectChoices(s *site) {
	s.D.Exec(s.t, `REPLACE INTO pre_common_usergroup (groupid, type, grouptitle, allowvisit, color, stars) VALUES (20, 'special', 'QQ游客', 1, '', 0)`)
	if s.D.Charset != "gbk" && s.D.Charset != "big5" {
		s.setRow("extcredits", sp(twoCredits))
		return
	}
	v, err := testdb.SiteSerialized([]byte(twoCredits), s.D.Charset) // PHP's byte counts in the site's charset
	if err != nil {
		s.t.Fatal(err)
	}
	s.D.Exec(s.t, "REPLACE INTO pre_common_setting (skey, svalue) VALUES ('extcredits', UNHEX(?))", hex.EncodeToString(v))
}

func (s *site) syscacheRow(name string) (string, bool) {
	s.t.Helper()
	var b []byte
	err := s.D.SQL.QueryRow("SELECT data FROM pre_common_syscache WHERE cname = ?", name).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b), true
}

// connectWith is ConnectSettingInstalled with some values replaced (all strings).
func connectWith(t *testing.T, kv ...string) string {
	t.Helper()
	a := mustArray(t, []byte(testdb.ConnectSettingInstalled))
	for i := 0; i < len(kv); i += 2 {
		a.Set(kv[i], discuz.Str(kv[i+1]))
	}
	return string(discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: a}))
}

// TestConnectSettings: on X3.4 (MyISAM) and X3.5 (InnoDB) the editor's
// values land in pre_common_setting.connect exactly as Discuz's page stores
// them (strings, in place), the cached connect mirrors the row, the
// fields_connect_register row is rebuilt, the preview lists every key, and
// the undo gives back every byte.
func TestConnectSettings(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, version)
			withConnectChoices(s)
			if got := *s.row("connect"); got != testdb.ConnectSettingInstalled {
				t.Fatalf("the site's connect is not the installed one: %s", got)
			}
			before, beforeBlob, beforeConnect := s.dump(), s.blob(), s.rawRow("connect")
			args := repair.Args{Connect: map[string]string{
				"register_groupid": "20", "register_gender": "1", "register_uinlimit": " 05 ", "register_rewardcredit": "2",
				"newbiespan": "30", "allow": "1", "guest_groupid": "20", // the last two hold these values already
			}}
			plan, err := s.R.Plan(ctx, repair.ConnectSettings, args)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			if got := s.dump(); got != before {
				t.Fatalf("the preview wrote: %s", firstDiff(before, got))
			}
			for _, want := range []repair.Change{
				{Where: "pre_common_setting", Key: "connect[register_gender]", Before: "'0'", After: "'1'"},
				{Where: "pre_common_setting", Key: "connect[register_uinlimit]", Before: "''", After: "'5'"},
				{Where: "pre_common_setting", Key: "connect[register_rewardcredit]", Before: "'1'", After: "'2'"},
				{Where: "pre_common_setting", Key: "connect[register_groupid]", Before: "'0'", After: "'20'"},
				{Where: "pre_common_setting", Key: "connect[newbiespan]", Before: "''", After: "'30'"},
				{Where: "pre_common_syscache[setting]", Key: "connect[register_groupid]", Before: "'0'", After: "'20'"},
				{Where: "pre_common_syscache[fields_connect_register]", Key: "fields", Before: "(absent)", After: "gender"},
			} {
				if !slices.Contains(plan.Changes, want) {
					t.Errorf("the preview lacks %+v:\n%+v", want, plan.Changes)
				}
			}
			if n := len(plan.Changes); n != 11 {
				t.Errorf("%d changes, want 5 in the row, 5 in the cache and the fields row: %+v", n, plan.Changes)
			}

			entry, applied, err := s.R.Apply(ctx, repair.ConnectSettings, args, cli)
			if err != nil || entry == nil {
				t.Fatalf("apply: %v %v", entry, err)
			}
			if !slices.Equal(plan.Changes, applied.Changes) {
				t.Errorf("apply differs from the plan")
			}
			want := connectWith(t, "register_gender", "1", "register_uinlimit", "5", "register_rewardcredit", "2", "register_groupid", "20", "newbiespan", "30")
			if got := *s.row("connect"); got != want {
				t.Errorf("connect =\n%s\nwant\n%s", got, want)
			}
			cached, _ := mustArray(t, s.blob()).Get("connect")
			if got := string(discuz.Serialize(cached)); got != want {
				t.Errorf("cached connect =\n%s\nwant\n%s", got, want)
			}
			// every other top-level key of the cache keeps its bytes
			orig, after := mustArray(t, beforeBlob), mustArray(t, s.blob())
			for _, e := range orig.Entries {
				if k := e.Key.String(); k != "connect" {
					if v, _ := after.Get(k); !bytes.Equal(discuz.Serialize(v), discuz.Serialize(e.Val)) {
						t.Errorf("cache key %s changed", k)
					}
				}
			}
			if len(orig.Entries) != len(after.Entries) {
				t.Errorf("cache keys %d → %d", len(orig.Entries), len(after.Entries))
			}
			if got, ok := s.syscacheRow("fields_connect_register"); !ok || got != fieldGender("性别") {
				t.Errorf("fields_connect_register = %q (%v), want %q", got, ok, fieldGender("性别"))
			}
			if v := s.row("regconnect"); v == nil || *v != "1" {
				t.Errorf("regconnect = %s", deref(v))
			}
			if s.Cache.n.Load() != 1 {
				t.Errorf("cache invalidated %d times", s.Cache.n.Load())
			}
			e, err := s.S.AuditByID(ctx, entry.ID)
			if err != nil || e.Action != repair.ConnectSettings || e.Result != "ok" || !strings.Contains(e.AfterJSON, "connect[register_groupid]") {
				t.Errorf("audit entry %v %+v", err, e)
			}

			// a second save of the same values changes nothing and writes nothing
			if entry2, _, err := s.R.Apply(ctx, repair.ConnectSettings, args, cli); err != nil || entry2 != nil {
				t.Errorf("second apply: %v %v", entry2, err)
			}

			if _, err := s.R.Undo(ctx, entry.ID, cli); err != nil {
				t.Fatalf("undo: %v", err)
			}
			if got := s.dump(); got != before {
				t.Fatalf("undo did not restore everything: %s", firstDiff(before, got))
			}
			if !bytes.Equal(s.blob(), beforeBlob) || !bytes.Equal(s.rawRow("connect"), beforeConnect) {
				t.Fatal("undo: the setting cache or the connect row differs from before")
			}
			if _, ok := s.syscacheRow("fields_connect_register"); ok {
				t.Error("undo left the fields_connect_register row it created")
			}

			// register_birthday asks for the three birthday fields, in the order the server returns them to Discuz
			if _, _, err := s.R.Apply(ctx, repair.ConnectSettings, repair.Args{Connect: map[string]string{"register_birthday": "1"}}, cli); err != nil {
				t.Fatal(err)
			}
			got, _ := s.syscacheRow("fields_connect_register")
			fields := mustArray(t, []byte(got))
			var keys []string
			for _, e := range fields.Entries {
				keys = append(keys, e.Key.String())
			}
			var order []string
			rows, err := s.D.SQL.Query("SELECT fieldid FROM pre_common_member_profile_setting WHERE fieldid IN ('birthyear', 'birthmonth', 'birthday')")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id string
				rows.Scan(&id)
				order = append(order, "field_"+id)
			}
			rows.Close()
			if len(keys) != 3 || !slices.Equal(keys, order) {
				t.Errorf("fields_connect_register keys %v, want %v", keys, order)
			}
			if y, _ := fields.Get("field_birthyear"); y.Arr == nil || y.Arr.GetString("title") != "出生年份" || y.Arr.Index("choices") >= 0 {
				t.Errorf("field_birthyear = %s", discuz.Serialize(y))
			}
		})
	}
}

// TestConnectSettingsRefusals: a value that is not a special group, not a
// turned-on credit, not a switch or not a number is refused with its
// reason, and nothing is written.
func TestConnectSettingsRefusals(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{testdb.X34, testdb.X35} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, version)
			withConnectChoices(s)
			before, connectBefore := s.dump(), s.row("connect")
			for _, c := range []struct {
				values map[string]string
				say    string
			}{
				{map[string]string{"register_groupid": "99"}, "用户组 99 不存在或不是特殊用户组"},
				{map[string]string{"register_groupid": "10"}, "usergroup 10 does not exist or is not a special group"}, // a member group
				{map[string]string{"guest_groupid": "1"}, "用户组 1 不存在"},                                                 // the admin group (system)
				{map[string]string{"newbiespan": "30", "register_groupid": "99"}, "用户组 99"},                            // one bad value refuses all
				{map[string]string{"register_rewardcredit": "3"}, "extcredits3 不是本站已启用的扩展积分"},
				{map[string]string{"register_rewardcredit": "9"}, "extcredits9"},
				{map[string]string{"allow": "2"}, "只能是 1（是）或 0（否）"},
				{map[string]string{"register_uinlimit": "-1"}, "不小于 0 的整数"},
				{map[string]string{"newbiespan": "1e3"}, "whole number"},
				{map[string]string{"register_addcredit": "1234567890"}, "at most 9 digits"},
				{map[string]string{"register_groupid": "x"}, "必须是数字编号"},
				{map[string]string{"like_url": "http://evil"}, "未知的设置项"},
				{map[string]string{}, "没有要修改的设置项"},
			} {
				_, _, err := s.R.Apply(ctx, repair.ConnectSettings, repair.Args{Connect: c.values}, cli)
				if !errors.Is(err, repair.ErrBadArgs) || !strings.Contains(err.Error(), c.say) {
					t.Errorf("%v: %v, want ErrBadArgs saying %q", c.values, err, c.say)
				}
			}
			if _, _, err := s.R.Apply(ctx, repair.ClearAppKey, repair.Args{Connect: map[string]string{"allow": "1"}}, cli); !errors.Is(err, repair.ErrBadArgs) {
				t.Errorf("clear-app-key with settings: %v", err)
			}
			if got := s.dump(); got != before || *s.row("connect") != *connectBefore {
				t.Fatalf("a refusal wrote: %s", firstDiff(before, got))
			}
			if _, ok := s.syscacheRow("fields_connect_register"); ok || s.auditCount() != 0 || s.Cache.n.Load() != 0 {
				t.Errorf("refusals wrote a fields row, %d audit rows or %d invalidations", s.auditCount(), s.Cache.n.Load())
			}
		})
	}
}

// TestConnectSettingsAllowOn: turning QQ on sets regconnect to 1 (row and
// cache) as Discuz's page does; with the plugin off the cached connect stays
// array(), and no fields row is built from it.
func TestConnectSettingsAllowOn(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, testdb.X35)
	withConnectChoices(s)
	off := connectWith(t, "allow", "0")
	s.setRow("connect", &off)
	s.setRow("regconnect", sp("0"))
	s.D.Exec(t, "UPDATE pre_common_plugin SET available = 0 WHERE identifier = 'qqconnect'")
	s.setBlob(fixtureSetting(t, "off"))
	s.patchCache(func(a *discuz.Array) { a.Set("regconnect", discuz.Str("0")) })
	beforeBlob := s.blob()

	entry, plan, err := s.R.Apply(ctx, repair.ConnectSettings, repair.Args{Connect: map[string]string{"allow": "1", "register_birthday": "1"}}, cli)
	if err != nil || entry == nil {
		t.Fatalf("apply: %v", err)
	}
	if got, want := *s.row("connect"), connectWith(t, "allow", "1", "register_birthday", "1"); got != want {
		t.Errorf("connect = %s, want %s", got, want)
	}
	if v := s.row("regconnect"); v == nil || *v != "1" {
		t.Errorf("regconnect = %s, want '1'", deref(v))
	}
	after := mustArray(t, s.blob())
	if v, _ := after.Get("regconnect"); string(discuz.Serialize(v)) != `s:1:"1";` {
		t.Errorf("cached regconnect = %s", discuz.Serialize(v))
	}
	if v, _ := after.Get("connect"); string(discuz.Serialize(v)) != "a:0:{}" {
		t.Errorf("cached connect of a disabled plugin = %s, want a:0:{}", discuz.Serialize(v))
	}
	if _, ok := s.syscacheRow("fields_connect_register"); ok {
		t.Error("a fields row was built while the plugin is off")
	}
	if !slices.ContainsFunc(plan.Notes, func(n string) bool { return strings.Contains(n, "插件未开启") }) {
		t.Errorf("no note about the disabled plugin: %v", plan.Notes)
	}
	if _, err := s.R.Undo(ctx, entry.ID, cli); err != nil {
		t.Fatal(err)
	}
	if *s.row("connect") != off || *s.row("regconnect") != "0" || !bytes.Equal(s.blob(), beforeBlob) {
		t.Error("undo did not restore connect, regconnect and the cache")
	}
}

// TestConnectSettingsUndoConflict: once the connect row changed again, the
// undo refuses and writes nothing.
func TestConnectSettingsUndoConflict(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, testdb.X34)
	withConnectChoices(s)
	first, _, err := s.R.Apply(ctx, repair.ConnectSettings, repair.Args{Connect: map[string]string{"newbiespan": "30"}}, cli)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.R.Apply(ctx, repair.ConnectSettings, repair.Args{Connect: map[string]string{"register_uinlimit": "2"}}, cli); err != nil {
		t.Fatal(err)
	}
	state := s.dump()
	if _, err := s.R.Undo(ctx, first.ID, cli); !errors.Is(err, repair.ErrConflict) || !strings.Contains(err.Error(), "pre_common_setting connect") {
		t.Fatalf("undo after a later change: %v, want ErrConflict naming connect", err)
	}
	if got := s.dump(); got != state {
		t.Fatalf("the refused undo wrote: %s", firstDiff(state, got))
	}
}

// TestConnectSettingsGBK: on a GBK site the connect row keeps its text's
// GBK byte counts and the fields row holds the title in GBK, as the UTF-8
// twin's converted.
func TestConnectSettingsGBK(t *testing.T) {
	ctx := context.Background()
	gb := newSiteCharset(t, "gbk")
	withConnectChoices(gb)
	connect := mustArray(t, []byte(testdb.ConnectSettingInstalled))
	connect.Set("turl_code", discuz.Str("腾讯微博·分享"))
	utf := string(discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: connect}))
	site, err := testdb.SiteSerialized([]byte(utf), "gbk")
	if err != nil {
		t.Fatal(err)
	}
	gb.D.Exec(t, "UPDATE pre_common_setting SET svalue = UNHEX(?) WHERE skey = 'connect'", hex.EncodeToString(site))
	beforeBlob, beforeConnect := gb.blob(), gb.rawRow("connect")

	entry, _, err := gb.R.Apply(ctx, repair.ConnectSettings, repair.Args{Connect: map[string]string{"register_gender": "1", "register_rewardcredit": "2"}}, cli)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	connect.Set("register_gender", discuz.Str("1"))
	connect.Set("register_rewardcredit", discuz.Str("2"))
	want, err := testdb.SiteSerialized(discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: connect}), "gbk")
	if err != nil {
		t.Fatal(err)
	}
	if got := gb.rawRow("connect"); !bytes.Equal(got, want) {
		t.Errorf("connect stored as %q, want %q", got, want)
	}
	if cached, _ := mustArray(t, gb.blob()).Get("connect"); !bytes.Equal(discuz.Serialize(cached), want) {
		t.Errorf("cached connect %q, want %q", discuz.Serialize(cached), want)
	}
	if got, _ := gb.syscacheRow("fields_connect_register"); got != fieldGender(testdb.ToSite("性别", "gbk")) {
		t.Errorf("fields_connect_register = %q", got)
	}
	form, err := gb.R.ConnectForm(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(form.Credits) != 2 || form.Credits[1].Title != "金钱" || form.Values["register_rewardcredit"] != "2" {
		t.Errorf("form credits %+v, values %v", form.Credits, form.Values)
	}
	if _, err := gb.R.Undo(ctx, entry.ID, cli); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gb.blob(), beforeBlob) || !bytes.Equal(gb.rawRow("connect"), beforeConnect) {
		t.Error("undo did not restore the GBK bytes")
	}
}
