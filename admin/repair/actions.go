package repair

import (
	"regexp"
	"strings"
)

// Repair action ids (CONTRACT §1).
const (
	ClearSiteKey  = "clear-site-key"
	ClearAppKey   = "clear-app-key"
	SetAppKey     = "set-app-key"
	PluginDisable = "plugin-disable"
	PluginEnable  = "plugin-enable"
	RefreshCache  = "refresh-cache"
	FixGuestGroup = "fix-guest-group"
	SwitchOAuth2  = "switch-oauth2"
	// ConnectSettings takes Args.Connect (connectsettings.go).
	ConnectSettings = "connect-settings"

	// Member actions: they take Args.UID and nothing else.
	MemberUnbind    = "member-unbind"
	MemberBlacklist = "member-blacklist"
	MemberUnban     = "member-unban"
)

// ActionInfo describes one repair action for the admin pages and the CLI.
type ActionInfo struct {
	ID          string
	TitleZH     string
	TitleEN     string
	Description string // Chinese, then English
	NeedsArgs   bool   // set-app-key: AppID + AppKey
	Destructive bool   // removes or overwrites a value the site may need
	Member      bool   // acts on one member: needs Args.UID (the CLI's --uid); the generic repair list skips these
}

// EditsConnect reports whether the action takes Args.Connect (its page is the settings editor).
func (a ActionInfo) EditsConnect() bool { return a.ID == ConnectSettings }

// Title is "中文 / English".
func (a ActionInfo) Title() string { return a.TitleZH + " / " + a.TitleEN }

var actions = []ActionInfo{
	{ClearSiteKey, "清除云平台站点ID/KEY", "Clear the cloud-platform site ID/key",
		"my_siteid、my_sitekey 置空，cloud_status 置 0：云平台状态回到“尚未开通云平台”，消除 “Cloud status error” (52101)。 / Empties my_siteid and my_sitekey and sets cloud_status to 0, so the cloud platform reads as not opened and the 52101 “Cloud status error” goes away.",
		false, true, false},
	{ClearAppKey, "清除 QQ互联 AppID/AppKey", "Clear the QQ Connect AppID/AppKey",
		"connectappid、connectappkey 置空：QQ 登录停止工作，直到重新填写。 / Empties connectappid and connectappkey: QQ login stops until new ones are set.",
		false, true, false},
	{SetAppKey, "设置 QQ互联 AppID/AppKey", "Set the QQ Connect AppID/AppKey",
		"写入新的 AppID（6–12 位数字）和 AppKey（32 位十六进制），同时更新 setting 缓存。 / Writes a new AppID (6–12 digits) and AppKey (32 hex characters) into the settings and the setting cache.",
		true, true, false},
	{PluginDisable, "关闭 QQ互联插件", "Disable the QQ Connect plugin",
		"与 Discuz 后台“关闭”相同：available=0，并从 setting 缓存移除 qqconnect 的全部挂载点；移除的内容会保存，以便重新开启。 / Same as Discuz's own 关闭: available=0 and every qqconnect hook removed from the setting cache; what is removed is kept so enabling restores it.",
		false, true, false},
	{PluginEnable, "开启 QQ互联插件", "Enable the QQ Connect plugin",
		"与 Discuz 后台“启用”相同：available=1，并把 qqconnect 的挂载点和 connect 设置放回 setting 缓存。 / Same as Discuz's own 启用: available=1, and the qqconnect hooks and the connect settings put back into the setting cache.",
		false, false, false},
	{RefreshCache, "刷新 setting 缓存中 QQ互联相关的值", "Refresh the QQ Connect values of the setting cache",
		"按 pre_common_setting 和 pre_common_plugin 重写 setting 缓存中 qqconnect 负责的键，其余键保持不变。 / Rewrites the keys qqconnect owns in the setting cache from pre_common_setting and pre_common_plugin; every other key stays as it is.",
		false, false, false},
	{FixGuestGroup, "修复 QQ游客 用户组", "Repair the QQ guest usergroup",
		"与云平台诊断工具的“点击修复”相同：connect.guest_groupid 指向的用户组不存在时，新建特殊用户组“QQ游客”并写入 guest_groupid。 / Same as the cloud doctor's 点击修复: when the group in connect.guest_groupid is missing, creates the special group “QQ游客” and stores its id in guest_groupid.",
		false, false, false},
	{SwitchOAuth2, "切换到 QQ 登录 OAuth 2.0", "Switch QQ login to OAuth 2.0",
		"腾讯已停用云平台时代的 Qzone OAuth 1.0。把 connect 设置的 oauth2 置为 1，X3.2/X3.3 站点从此使用 OAuth 2.0；已绑定的会员按 openid 照常登录。 / Tencent has retired the Qzone OAuth 1.0 of the cloud era. Sets oauth2=1 in the connect setting so an X3.2/X3.3 site uses OAuth 2.0; bound members keep logging in by openid.",
		false, false, false},
	{ConnectSettings, "修改 QQ互联 设置", "Change the QQ Connect settings",
		"与 Discuz 后台 QQ互联 设置页相同（X3.2/X3.3 清除站点ID/KEY 后该页无法打开）：修改 connect 设置中的 allow、register_*、newbiespan 和 guest_groupid，开启时 regconnect 置 1，并更新 setting 和 fields_connect_register 缓存。 / " +
			"Same as Discuz's own QQ互联 settings page (which no longer opens on X3.2/X3.3 once the site ID/key are cleared): changes allow, register_*, newbiespan and guest_groupid in the connect setting, sets regconnect to 1 when QQ is turned on, and updates the setting and fields_connect_register caches.",
		false, false, false},
	{AvatarImportOn, "开启QQ头像导入", "Switch the QQ avatar import on",
		"qqconnect 自己的开关（默认关闭）：QQ注册、绑定或登录的会员没有头像时，把其QQ头像写成 UCenter 的三个头像文件（big/middle/small）并置 avatarstatus=1，与 Discuz 上传头像的结果相同；已有头像的会员不受影响。需要 qqconnect 能写入论坛的头像目录。 / " +
			"qqconnect's own switch (off by default): a member who registers, binds or logs in with QQ and has no avatar gets the QQ avatar as UCenter's three avatar files (big/middle/small) and avatarstatus=1, as an upload in Discuz leaves them; members with an avatar are untouched. Needs write access to the forum's avatar directory.",
		false, false, false},
	{AvatarImportOff, "关闭QQ头像导入", "Switch the QQ avatar import off",
		"此后不再导入QQ头像；已导入的头像保留（会员可以在 Discuz 中自行更换）。 / No QQ avatar is imported from now on; avatars already imported stay (members can change them in Discuz).",
		false, false, false},
	{MemberUnbind, "解除会员的QQ绑定", "Unbind a member's QQ",
		"与 Discuz 后台会员编辑的“解除绑定”相同：写绑定日志 type=2，conisbind 置 0，删除 pre_common_member_connect 行和 qqconnect 的 identity 行；通过QQ注册的账号（conisregister=1）不能由管理员解绑。 / Same as the 解除绑定 of Discuz's member editor: bind log type 2, conisbind=0, the pre_common_member_connect row and qqconnect's identity row deleted; accounts created through QQ (conisregister=1) cannot be unbound by an admin.",
		false, true, true},
	{MemberBlacklist, "解绑并禁止此QQ", "Unbind and ban the member's QQ",
		"与 Discuz 后台会员编辑的“QQ黑名单”相同：解除绑定（通过QQ注册的账号也可以），并把该QQ的 openid 写入 pre_common_uin_black，此后不能再用它登录或绑定。 / Same as the uinblack switch of Discuz's member editor: unbinds (accounts created through QQ too) and adds the QQ's openid to pre_common_uin_black, so it can no longer log in or bind.",
		false, true, true},
	{MemberUnban, "取消此会员的QQ黑名单", "Lift the member's QQ ban",
		"与 Discuz 后台会员编辑取消“QQ黑名单”相同：删除该会员在 pre_common_uin_black 中的行，并重建 connect_blacklist 缓存；该QQ此后可以重新登录和绑定（原来的绑定不会恢复）。 / Same as unticking uinblack in Discuz's member editor: deletes the member's pre_common_uin_black row and rebuilds the connect_blacklist cache; the QQ can log in and bind again (the old binding does not come back).",
		false, false, true},
}

// Actions lists every repair action in a stable order.
func Actions() []ActionInfo {
	return append([]ActionInfo(nil), actions...)
}

// Action returns the description of one action.
func Action(id string) (ActionInfo, bool) {
	for _, a := range actions {
		if a.ID == id {
			return a, true
		}
	}
	return ActionInfo{}, false
}

// Args are the arguments of set-app-key (AppID, AppKey), of the member
// actions (UID) and of connect-settings (Connect); every other action takes
// none.
type Args struct {
	AppID  string
	AppKey string // secret
	// UID is the member of member-unbind / member-blacklist (required
	// there, refused everywhere else).
	UID int64
	// Connect are the new values of connect-settings, key → value (the
	// keys of ConnectKeys; the ones not given stay as they are).
	Connect map[string]string `json:",omitempty"`
}

var (
	appIDRe  = regexp.MustCompile(`^[0-9]{6,12}$`)
	appKeyRe = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
)

// checkArgs validates the arguments of an action (before anything is read).
func checkArgs(action string, args Args) (Args, error) {
	info, ok := Action(action)
	if !ok {
		return args, ErrUnknownAction.with("未知的修复操作 "+quote(action), "unknown repair action "+quote(action)+" (want one of "+actionList()+")")
	}
	args.AppID, args.AppKey = strings.TrimSpace(args.AppID), strings.TrimSpace(args.AppKey)
	if action == ConnectSettings {
		if args.AppID != "" || args.AppKey != "" || args.UID != 0 {
			return args, ErrBadArgs.with(action+" 只接受设置项（--set 键=值）", action+" takes settings only (--set key=value)")
		}
		var err error
		args.Connect, err = checkConnectArgs(args.Connect)
		return args, err
	}
	if len(args.Connect) > 0 {
		return args, ErrBadArgs.with(action+" 不接受设置项参数（--set）", action+" takes no settings (--set)")
	}
	if info.Member {
		switch {
		case args.AppID != "" || args.AppKey != "":
			return args, ErrBadArgs.with(action+" 不接受 AppID/AppKey 参数", action+" takes no AppID/AppKey")
		case args.UID <= 0:
			return args, ErrBadArgs.with(action+" 需要会员的 UID（--uid）", action+" needs the member's uid (--uid)")
		}
		return args, nil
	}
	if action != SetAppKey {
		if args.AppID != "" || args.AppKey != "" {
			return args, ErrBadArgs.with(action+" 不接受 AppID/AppKey 参数", action+" takes no AppID/AppKey")
		}
		if args.UID != 0 {
			return args, ErrBadArgs.with(action+" 不接受会员参数", action+" takes no member (--uid)")
		}
		return args, nil
	}
	switch {
	case args.UID != 0:
		return args, ErrBadArgs.with(action+" 不接受会员参数", action+" takes no member")
	case args.AppID == "":
		return args, ErrBadArgs.with("缺少 AppID（--appid）", "the AppID is missing (--appid)")
	case !appIDRe.MatchString(args.AppID):
		return args, ErrBadArgs.with("AppID 必须是 6–12 位数字", "the AppID must be 6 to 12 digits")
	case args.AppKey == "":
		return args, ErrBadArgs.with("缺少 AppKey", "the AppKey is missing")
	case !appKeyRe.MatchString(args.AppKey):
		// never echo the value: it is a secret, even when malformed
		return args, ErrBadArgs.with("AppKey 必须正好是 32 位十六进制字符（0-9、a-f）", "the AppKey must be exactly 32 hexadecimal characters (0-9, a-f)")
	}
	return args, nil
}

func actionList() string {
	ids := make([]string, len(actions))
	for i, a := range actions {
		ids[i] = a.ID
	}
	return strings.Join(ids, ", ")
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "“" + s + "”"
}
