package doctor

// The checks of Discuz's QQ settings: the connect array, registration,
// the AppID/AppKey, the cloud status, the QQ guest group and 站点关闭.

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"qqconnect/discuz"
	"qqconnect/models"
)

// ---- connect_setting ---------------------------------------------------

// connectArray unserializes pre_common_setting.connect. present reports the row exists.
func connectArray(s *models.Store, m map[string]string) (arr *discuz.Array, present bool, err error) {
	raw, present := m["connect"]
	if !present {
		return nil, false, nil
	}
	arr, err = s.UnserializeSetting(raw)
	return arr, true, err
}

func checkConnectSetting(ctx context.Context, r *runner) Result {
	s, m, err := r.loadSettings(ctx)
	if err != nil {
		return dbSkip(err)
	}
	arr, present, err := connectArray(s, m)
	table := s.T.Discuz("common_setting")
	switch {
	case !present:
		return fail(table+" has no connect row: QQ login cannot be configured",
			"install the QQ互联 plugin (应用 → 插件 → QQ互联 → 安装) or save its settings page once (应用 → 插件 → QQ互联 → 设置)")
	case err != nil:
		return fail(table+".connect is not a valid PHP-serialized array ("+err.Error()+")",
			"save the QQ互联 settings page again (应用 → 插件 → QQ互联 → 设置 → 提交) so Discuz rewrites the value; restore "+table+" from a backup if that fails")
	}
	oauth2 := "oauth2 unset"
	if v, has := arr.Get("oauth2"); has {
		oauth2 = "oauth2=" + v.String()
		if v.String() == "" {
			oauth2 = "oauth2 empty"
		}
	}
	e, _ := r.loadEra(ctx)
	note := ""
	if e.kind == eraCloud {
		if v, _ := arr.Get("oauth2"); !v.Truthy() {
			note = " (X3.2/X3.3 with a falsy oauth2: Discuz itself logs in through the retired OAuth 1.0)"
		}
	} else if e.kind == eraStandalon {
		note = " (X3.4+ always uses OAuth 2.0)"
	}
	if arr.GetString("allow") != "1" {
		where := "应用 → 插件 → QQ互联 → 设置"
		if e.kind == eraCloud {
			where = "云平台 → QQ互联 (it opens only while the cloud platform is opened)"
		}
		return fail(fmt.Sprintf("QQ login is off in the plugin settings: connect.allow=%q; %s%s", arr.GetString("allow"), oauth2, note),
			"turn on 开启QQ注册/绑定/登录服务 with the connect-settings repair, or in Discuz's "+where+" and submit").repair(RepairConnectSettings)
	}
	return ok(fmt.Sprintf("connect.allow=1 (%d keys); %s%s", len(arr.Entries), oauth2, note))
}

// ---- regconnect --------------------------------------------------------

func checkRegConnect(ctx context.Context, r *runner) Result {
	_, m, err := r.loadSettings(ctx)
	if err != nil {
		return dbSkip(err)
	}
	v, present := m["regconnect"]
	if v == "1" {
		return ok("开放QQ注册 is on: a new QQ user may create a forum account or bind an existing one")
	}
	what := fmt.Sprintf("regconnect=%q", v)
	if !present {
		what = "no regconnect row"
	}
	return warn("开放QQ注册 is off ("+what+"): new QQ users can only bind an existing forum account",
		"if QQ users should be able to register, turn on 开放QQ注册 in 全局 → 注册与访问控制 (saving the QQ互联 settings with 开启 also turns it on)")
}

// ---- app_credentials ---------------------------------------------------

var (
	appIDRe  = regexp.MustCompile(`^[0-9]+$`)
	appKeyRe = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
)

func checkAppCredentials(ctx context.Context, r *runner) Result {
	_, m, err := r.loadSettings(ctx)
	if err != nil {
		return dbSkip(err)
	}
	id, key := m["connectappid"], m["connectappkey"]
	const setFix = "enter the appid/appkey of your QQ互联 website app (connect.qq.com → 应用管理) in 应用 → 插件 → QQ互联 → 设置, or run the set-app-key repair"
	var missing []string
	if id == "" {
		missing = append(missing, "connectappid")
	}
	if key == "" {
		missing = append(missing, "connectappkey")
	}
	shown := fmt.Sprintf("appid %q, appkey %s", id, discuz.Mask(key))
	if len(missing) > 0 {
		return fail(strings.Join(missing, " and ")+" empty or missing ("+shown+"): Discuz says 抱歉，QQ互联功能暂时不可用 (当前站点appid/appkey丢失)",
			setFix).repair(RepairSetAppKey)
	}
	var bad []string
	if !appIDRe.MatchString(id) {
		bad = append(bad, "the appid is not all digits")
	}
	if !appKeyRe.MatchString(key) {
		bad = append(bad, fmt.Sprintf("the appkey is %d characters, not 32 hex digits", len(key)))
		if strings.TrimSpace(key) != key {
			bad[len(bad)-1] += " (it has spaces around it)"
		}
	}
	if len(bad) > 0 {
		return fail(shown+": "+strings.Join(bad, "; ")+"; QQ will refuse the login (100008/100009)",
			"copy the appid/appkey again from connect.qq.com → 应用管理 → your website app; "+setFix).repair(RepairSetAppKey)
	}
	return ok(shown)
}

// ---- cloud_status ------------------------------------------------------

// phpTruthy is PHP's boolean value of a string: "" and "0" are false.
func phpTruthy(s string) bool { return s != "" && s != "0" }

func cloudStatusText(v string) string {
	switch strings.TrimSpace(v) {
	case "1":
		return "1 已开通云平台"
	case "2":
		return "2 注册云平台，等待完成"
	case "", "0":
		return "0 尚未开通云平台"
	}
	return v
}

func checkCloudStatus(ctx context.Context, r *runner) Result {
	_, m, err := r.loadSettings(ctx)
	if err != nil {
		return dbSkip(err)
	}
	e, _ := r.loadEra(ctx)
	siteID, siteKey, status := m["my_siteid"], m["my_sitekey"], m["cloud_status"]
	shown := fmt.Sprintf("my_siteid %q, my_sitekey %s, cloud_status %q", siteID, discuz.Mask(siteKey), status)
	const clearFix = "run the clear-site-key repair (my_siteid='', my_sitekey='', cloud_status='0')"

	// Cloud_Service_App::checkCloudStatus() (discuz.md §3.2), with PHP's
	// truthiness: '' and '0' are empty.
	var state string
	switch {
	case phpTruthy(siteID) && phpTruthy(siteKey):
		switch strings.TrimSpace(status) {
		case "1":
			state = "cloud"
		case "2":
			state = "unconfirmed"
		default:
			state = "upgrade"
		}
	case !phpTruthy(status) && !phpTruthy(siteID) && !phpTruthy(siteKey):
		state = "register"
	}
	if state == "register" {
		return ok(shown + ": 尚未开通云平台 (the cloud platform is not opened), as it should be now that Tencent shut it down")
	}
	if e.kind == eraStandalon {
		return warn(shown+": leftover cloud-platform values; "+e.label+" does not read them and Tencent's Discuz! cloud platform is shut down",
			clearFix+" to tidy up").repair(RepairClearSiteKey)
	}
	if state == "" {
		return fail(shown+": Cloud status error! (52101): site ID/KEY only partly present; every 云平台 page shows 站点ID/通信KEY等关键信息丢失",
			clearFix+"; the cloud platform then reads 尚未开通 (Tencent no longer issues site keys, so do not try to re-open it)").repair(RepairClearSiteKey)
	}
	return warn(fmt.Sprintf("%s: checkCloudStatus gives %q (cloud_status %s), but Tencent's Discuz! cloud platform is shut down and these values are only leftovers",
		shown, state, cloudStatusText(status)),
		clearFix+"; QQ login through qqconnect does not need them").repair(RepairClearSiteKey)
}

// ---- guest_group -------------------------------------------------------

func checkGuestGroup(ctx context.Context, r *runner) Result {
	s, m, err := r.loadSettings(ctx)
	if err != nil {
		return dbSkip(err)
	}
	arr, present, err := connectArray(s, m)
	if !present || err != nil {
		return skip("the connect setting is missing or unreadable (see the connect_setting check)")
	}
	raw := strings.TrimSpace(arr.GetString("guest_groupid"))
	gid, _ := strconv.ParseInt(raw, 10, 64)
	if gid <= 0 {
		newgid := "newusergroupid"
		if q, err := s.LoadQQSettings(ctx); err == nil {
			if gid, err := s.NewUserGroupID(ctx, q); err == nil {
				newgid = fmt.Sprintf("newusergroupid %d", gid)
			}
		}
		return warn(fmt.Sprintf("connect.guest_groupid is %q: QQ users without a forum account get the new-member group (%s) instead of QQ游客", raw, newgid),
			"run the fix-guest-group repair (creates the QQ游客 group and sets guest_groupid), as Discuz's 点击修复 did").repair(RepairFixGuestGroup)
	}
	exists, err := s.UsergroupExists(ctx, gid)
	if err != nil {
		return fail("cannot read "+s.T.Discuz("common_usergroup")+": "+err.Error(), "see the database check")
	}
	if !exists {
		return fail(fmt.Sprintf("connect.guest_groupid %d does not exist in %s: QQ guests get a broken group", gid, s.T.Discuz("common_usergroup")),
			"run the fix-guest-group repair (点击修复: creates the special group QQ游客 and stores its id in connect.guest_groupid)").repair(RepairFixGuestGroup)
	}
	return ok(fmt.Sprintf("connect.guest_groupid %d exists", gid))
}

// ---- site_closed -------------------------------------------------------

func checkSiteClosed(ctx context.Context, r *runner) Result {
	_, m, err := r.loadSettings(ctx)
	if err != nil {
		return dbSkip(err)
	}
	if m["bbclosed"] == "1" {
		return warn("站点关闭: 是 (前台Connect将不显示): the forum is closed to visitors, so nobody sees the QQ login",
			"reopen the site in 全局 → 站点功能 → 关闭站点 → 否 when maintenance is over")
	}
	return ok("站点关闭: 否")
}
