package repair

// connect-settings: the QQ互联 settings page of Discuz itself, for the sites
// where it no longer opens (X3.2/X3.3 once the cloud platform is gone) and
// beside the plugin's own page on X3.4/X3.5. Both pages edit the same keys
// of pre_common_setting.connect (X3.3 source/admincp/cloud/cloud_connect.php,
// X3.4/X3.5 source/plugin/qqconnect/admincp.inc.php): the form's values are
// merged into the stored array (array_merge: a key keeps its place, a new
// one goes last) as strings, regconnect becomes 1 when allow turns on, and
// updatecache('setting', 'fields_register', 'fields_connect_register')
// follows.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"qqconnect/discuz"
	"qqconnect/models"
)

// ConnectKind is what values a connect key takes.
type ConnectKind string

// The kinds of connect keys the editor edits.
const (
	KindSwitch ConnectKind = "switch" // radio 是/否: "1" or "0"
	KindGroup  ConnectKind = "group"  // "0" (普通用户) or a special usergroup's id
	KindCredit ConnectKind = "credit" // 1..8: an extcredit the site has turned on
	KindNumber ConnectKind = "number" // "" or a whole number ≥ 0
)

// ConnectKey is one key of the connect setting, with Discuz's own label and
// help text (lang_admincp.php) and an English one.
type ConnectKey struct {
	Key     string
	Kind    ConnectKind
	LabelZH string
	HelpZH  string
	LabelEN string
	HelpEN  string
}

// connectKeys are the keys of Discuz's QQ互联 page, in its order.
var connectKeys = []ConnectKey{
	{"allow", KindSwitch, "开启QQ注册/绑定/登录服务", "QQ绑定功能开启后，用户可以通过QQ帐号登录站点，以及更多和QQ相关的操作",
		"QQ registration, binding and login", "When on, members can log in with their QQ account and use the other QQ features."},
	{"guest_groupid", KindGroup, "QQ登录用户游客用户组", "通过QQ登录后，尚未完善资料用户的初始用户组；“普通用户”即新用户的默认用户组",
		"Usergroup of QQ guests", "The group of users who logged in with QQ but have not bound or registered an account yet; 普通用户 is the default group of new members."},
	{"register_birthday", KindSwitch, "QQ注册时必填生日", "QQ注册页询问出生年月日（Discuz 和 qqconnect 的注册页都读取此项）",
		"Birthday required on QQ registration", "The QQ register form asks for the date of birth (Discuz's and qqconnect's register forms both read this)."},
	{"register_gender", KindSwitch, "QQ注册时必填性别", "QQ注册页询问性别（Discuz 和 qqconnect 的注册页都读取此项）",
		"Gender required on QQ registration", "The QQ register form asks for the gender (Discuz's and qqconnect's register forms both read this)."},
	{"register_uinlimit", KindNumber, "同一QQ帐号最多可创建论坛帐号的个数", "一个QQ帐号无论绑定/解绑多少次，通过此QQ帐号最多可以创建论坛新帐号的个数，0 或留空为不限制",
		"Accounts one QQ may create", "How many new forum accounts one QQ account can create, however often it binds and unbinds; 0 or empty: no limit."},
	{"register_rewardcredit", KindCredit, "QQ注册用户奖励所用扩展积分", "通过QQ注册后，用户奖励所用的扩展积分",
		"Credit of the QQ registration bonus", "The extended credit a member created through QQ is rewarded in."},
	{"register_addcredit", KindNumber, "QQ注册用户奖励积分数量", "通过QQ注册后，用户奖励的扩展积分数量",
		"QQ registration bonus", "How much of that credit a member created through QQ gets; empty or 0: none."},
	{"register_groupid", KindGroup, "QQ注册用户初始用户组", "通过QQ注册后，用户的初始用户组；“普通用户”即按积分决定的新用户组",
		"Usergroup of members created through QQ", "The first group of a member created through QQ; 普通用户 is the group new members get by their credits."},
	{"register_regverify", KindSwitch, "QQ注册的用户忽略注册验证", "设置通过QQ注册的用户是否忽略新用户注册验证，可直接注册成功",
		"QQ registrations skip verification", "Whether members created through QQ skip the new-member verification and are registered at once."},
	{"register_invite", KindSwitch, "QQ注册的用户忽略邀请注册", "设置通过QQ注册的用户是否忽略邀请注册，不必填写邀请码",
		"QQ registrations skip the invitation", "Whether members created through QQ skip invitation-only registration and need no invitation code."},
	{"newbiespan", KindNumber, "QQ注册用户的新手见习期限(分钟)", "通过QQ注册的用户在本期限内将无法发表信息，不影响版主和管理员，0 为不限制，留空表示使用全局设置",
		"Newbie period of QQ members (minutes)", "Members bound to QQ cannot post during this time after registering (moderators and admins can); 0: none, empty: the site-wide setting."},
}

// ConnectKeys lists the keys connect-settings edits, in Discuz's order.
func ConnectKeys() []ConnectKey { return slices.Clone(connectKeys) }

func connectKeyOf(key string) (ConnectKey, bool) {
	for _, k := range connectKeys {
		if k.Key == key {
			return k, true
		}
	}
	return ConnectKey{}, false
}

func connectKeyList() string {
	ids := make([]string, len(connectKeys))
	for i, k := range connectKeys {
		ids[i] = k.Key
	}
	return strings.Join(ids, ", ")
}

// maxNumberDigits keeps the numbers inside the int(10) columns they end up
// in (extcredits; minutes compared with timestamps).
const maxNumberDigits = 9

// checkConnectArgs checks the form of the new values (before anything is
// read) and returns them normalized: trimmed, numbers without leading zeros.
func checkConnectArgs(in map[string]string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, ErrBadArgs.with("没有要修改的设置项（--set 键=值）", "no setting to change (--set key=value); keys: "+connectKeyList())
	}
	out := make(map[string]string, len(in))
	for key, v := range in {
		k, ok := connectKeyOf(key)
		if !ok {
			return nil, ErrBadArgs.with("未知的设置项 "+quote(key)+"（可用："+connectKeyList()+"）",
				"unknown setting "+quote(key)+" (want one of "+connectKeyList()+")")
		}
		v = strings.TrimSpace(v)
		bad := func(zh, en string) error {
			return ErrBadArgs.with(k.LabelZH+"（"+key+"）"+zh+"，不能是 "+quote(v), k.LabelEN+" ("+key+") "+en+", not "+quote(v))
		}
		switch k.Kind {
		case KindSwitch:
			if v != "0" && v != "1" {
				return nil, bad("只能是 1（是）或 0（否）", "must be 1 (yes) or 0 (no)")
			}
		case KindGroup, KindCredit:
			n, ok := wholeNumber(v)
			if !ok {
				return nil, bad("必须是数字编号", "must be a number (an id)")
			}
			v = n
		case KindNumber:
			if v != "" {
				n, ok := wholeNumber(v)
				if !ok {
					return nil, bad("必须为空或不小于 0 的整数（最多 9 位）", "must be empty or a whole number ≥ 0 (at most 9 digits)")
				}
				v = n
			}
		}
		out[key] = v
	}
	return out, nil
}

// wholeNumber accepts 1 to 9 ASCII digits and returns them without leading zeros.
func wholeNumber(v string) (string, bool) {
	if v == "" || len(v) > 20 {
		return "", false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	v = strings.TrimLeft(v, "0")
	if v == "" {
		v = "0"
	}
	if len(v) > maxNumberDigits {
		return "", false
	}
	return v, true
}

// CreditChoice is an extended credit the site has turned on.
type CreditChoice struct {
	Index int
	Title string // UTF-8
}

// ConnectForm is what the editor shows: the current values and the choices
// Discuz's page offers.
type ConnectForm struct {
	Keys    []ConnectKey
	Values  map[string]string // the stored values as PHP reads them as strings ("" when absent)
	Present map[string]bool
	Groups  []models.GroupChoice // the `special` groups; "0" (普通用户) comes first in the page
	Credits []CreditChoice
	// PluginOn is whether the qqconnect plugin is listed in the setting
	// cache: when it is not, the cached connect stays array() and the
	// values apply when the plugin is turned on.
	PluginOn bool
}

// ConnectForm reads the current connect values and the group and credit
// choices, writing nothing.
func (r *Repairer) ConnectForm(ctx context.Context) (*ConnectForm, error) {
	if err := r.ready(); err != nil {
		return nil, err
	}
	b := &builder{r: r, ctx: ctx, s: r.Store, w: &work{}}
	if err := b.load(); err != nil {
		return nil, err
	}
	connect, err := b.connectSetting()
	if err != nil {
		return nil, err
	}
	f := &ConnectForm{Keys: ConnectKeys(), Values: map[string]string{}, Present: map[string]bool{}, PluginOn: pluginListed(b.cache)}
	for _, k := range connectKeys {
		if v, ok := connect.Get(k.Key); ok {
			f.Values[k.Key], f.Present[k.Key] = r.utf8Text(v.String()), true
		}
	}
	if f.Groups, err = r.Store.SpecialUsergroups(ctx, nil); err != nil {
		return nil, err
	}
	if f.Credits, err = b.credits(); err != nil {
		return nil, err
	}
	return f, nil
}

// credits lists the extcredits whose `available` is set, as the page's
// for($i = 0; $i <= 8; $i++) loop does (index 0 never exists).
func (b *builder) credits() ([]CreditChoice, error) {
	rows, err := b.s.SettingRows(b.ctx, b.tx, "extcredits")
	if err != nil {
		return nil, err
	}
	raw := rows["extcredits"]
	if raw == "" {
		return nil, nil
	}
	arr, err := b.s.UnserializeSetting(raw)
	if err != nil {
		return nil, nil // Discuz's dunserialize gives no array: no choices either
	}
	var out []CreditChoice
	for i := 1; i <= 8; i++ {
		v, ok := arr.Get(strconv.Itoa(i))
		if !ok || v.Kind != discuz.KindArray || v.Arr == nil {
			continue
		}
		if av, _ := v.Arr.Get("available"); !av.Truthy() {
			continue
		}
		out = append(out, CreditChoice{Index: i, Title: b.r.utf8Text(v.Arr.GetString("title"))})
	}
	return out, nil
}

// connectSettings computes the connect-settings change.
func (b *builder) connectSettings(values map[string]string) error {
	connect, err := b.connectSetting()
	if err != nil {
		return err
	}
	var (
		groups  []models.GroupChoice
		credits []CreditChoice
		changed []string
	)
	allowWas := false
	if v, ok := connect.Get("allow"); ok {
		allowWas = v.Truthy()
	}
	for _, k := range connectKeys {
		v, ok := values[k.Key]
		if !ok {
			continue
		}
		if cur, present := connect.Get(k.Key); present && cur.Kind != discuz.KindArray && cur.String() == v {
			continue // the same value: left as it is, PHP type included
		}
		switch k.Kind {
		case KindGroup:
			if v == "0" {
				break
			}
			if groups == nil {
				if groups, err = b.s.SpecialUsergroups(b.ctx, b.tx); err != nil {
					return err
				}
			}
			gid, _ := strconv.ParseInt(v, 10, 64)
			i := slices.IndexFunc(groups, func(g models.GroupChoice) bool { return g.GroupID == gid })
			if i < 0 {
				return ErrBadArgs.with(fmt.Sprintf("%s（%s）：用户组 %s 不存在或不是特殊用户组（可选 0“普通用户”或一个特殊用户组）", k.LabelZH, k.Key, v),
					fmt.Sprintf("%s (%s): usergroup %s does not exist or is not a special group (choose 0, 普通用户, or a special group)", k.LabelEN, k.Key, v))
			}
			if groups[i].RAdminID > 0 {
				b.warns = append(b.warns, fmt.Sprintf("%s 设为“%s”（%d），这是带管理权限的用户组 / %s is set to group %d (%s), which carries moderator or admin rights",
					k.Key, groups[i].Title, gid, k.Key, gid, groups[i].Title))
			}
		case KindCredit:
			if credits == nil {
				if credits, err = b.credits(); err != nil {
					return err
				}
			}
			n, _ := strconv.Atoi(v)
			if !slices.ContainsFunc(credits, func(c CreditChoice) bool { return c.Index == n }) {
				return ErrBadArgs.with(fmt.Sprintf("%s（%s）：extcredits%s 不是本站已启用的扩展积分（全局 → 积分设置）", k.LabelZH, k.Key, v),
					fmt.Sprintf("%s (%s): extcredits%s is not an extended credit this site has turned on (全局 → 积分设置)", k.LabelEN, k.Key, v))
			}
		}
		connect.Set(k.Key, discuz.Str(v)) // ASCII digits: the same bytes in every charset
		changed = append(changed, k.Key)
	}
	if len(changed) == 0 {
		b.notes = append(b.notes, "connect 中这些值已经是要设置的值 / the connect setting already holds these values")
		return nil
	}
	if err := b.setConnect(connect); err != nil {
		return err
	}
	// $regconnectnew = !old allow && new allow ? 1 : regconnect
	if !allowWas && slices.Contains(changed, "allow") && values["allow"] == "1" {
		if err := b.loadRows("regconnect"); err != nil {
			return err
		}
		b.setOwned("regconnect", "1")
	}
	if !pluginListed(b.cache) {
		b.notes = append(b.notes, "QQ互联插件未开启：setting 缓存中的 connect 保持为空（与 Discuz 相同），插件开启时写入这些值 / "+
			"the qqconnect plugin is off: the cached connect stays empty, as Discuz keeps it; these values apply when the plugin is turned on")
		return nil
	}
	b.cache.Set("connect", discuz.Value{Kind: discuz.KindArray, Arr: connect})
	if slices.Contains(changed, "register_gender") || slices.Contains(changed, "register_birthday") {
		return b.fieldsConnectRegister(connect)
	}
	return nil
}

// loadRows adds pre_common_setting rows to what the builder read.
func (b *builder) loadRows(keys ...string) error {
	rows, err := b.s.SettingRows(b.ctx, b.tx, keys...)
	if err != nil {
		return err
	}
	for k, v := range rows {
		b.rows[k] = v
	}
	return nil
}

// fieldsConnectRegister rebuilds the fields_connect_register row from the
// new cached connect, as build_cache_fields_connect_register does.
func (b *builder) fieldsConnectRegister(connect *discuz.Array) error {
	if b.s.Dialect != models.DriverMySQL {
		return nil // the standalone demo forum has no profile fields and no Discuz reading them
	}
	rows, err := b.s.ProfileSettingRows(b.ctx, b.tx, discuz.ConnectRegisterFieldIDs(connect))
	if err != nil {
		return err
	}
	fields := make([]*discuz.Array, 0, len(rows))
	for _, row := range rows {
		f := &discuz.Array{}
		for _, c := range row {
			if c.Null {
				f.Set(c.Name, discuz.Value{Kind: discuz.KindNull})
				continue
			}
			s, err := b.r.siteText(c.Value)
			if err != nil {
				return fmt.Errorf("profile field %s: %w", c.Name, err)
			}
			f.Set(c.Name, discuz.Str(s))
		}
		fields = append(fields, f)
	}
	after := discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: discuz.FieldsConnectRegister(fields)})
	before, ok, err := b.s.SyscacheData(b.ctx, b.tx, discuz.FieldsConnectRegisterName)
	if err != nil {
		return err
	}
	if !ok || string(before) != string(after) {
		b.w.snap.Rows = append(b.w.snap.Rows, syscacheOp{Name: discuz.FieldsConnectRegisterName,
			Before: optBytes{ok, before}, After: optBytes{true, after}})
	}
	return nil
}

// siteText converts UTF-8 text read from MySQL into the site's bytes.
func (r *Repairer) siteText(s string) (string, error) {
	if r.Charset == "" {
		return s, nil
	}
	return discuz.ToCharset(s, r.Charset)
}

// utf8Text converts the site's bytes (a serialized setting's text) to
// UTF-8 for a page; what does not convert is shown as is.
func (r *Repairer) utf8Text(s string) string {
	if r.Charset == "" {
		return s
	}
	if out, err := discuz.FromCharset(s, r.Charset); err == nil {
		return out
	}
	return s
}
