package discuz

import (
	"strconv"
	"strings"
)

// Discuz's invite codes (getinvite() in function_member.php): a code typed
// into the register form, or the invite_auth cookie Discuz's invite links
// set — "id,code" for an invite row, "uid,key" (X3.5) or "uid,key,appid"
// (X3.4) for a member's personal link.

// InviteAuth is the invite_auth cookie, split as getinvite() explodes it.
type InviteAuth struct {
	Parts int    // how many comma-separated parts (0 = no cookie)
	ID    int64  // 2 parts: the invite row; personal link: the inviter's uid
	Code  string // the row's code, or the personal link's key
	AppID int64  // X3.4's third part
}

// ParseInviteAuth splits the cookie value: intval of the first part, the
// second trimmed, as getinvite() reads them.
func ParseInviteAuth(v string) InviteAuth {
	if v == "" {
		return InviteAuth{}
	}
	p := strings.Split(v, ",")
	a := InviteAuth{Parts: len(p), ID: phpIntval(p[0])}
	if len(p) > 1 {
		a.Code = PHPTrim(p[1])
	}
	if len(p) > 2 {
		a.AppID = phpIntval(p[2])
	}
	return a
}

// InviteUsable is getinvite()'s test of an invite row against the code:
// the same code, no invitee yet (fuid empty), and no end time or one still
// ahead. PHP compares the codes with ==; codes are Discuz's random
// letters and digits, for which that is plain equality.
func InviteUsable(rowCode, code string, fuid, endtime, now int64) bool {
	return rowCode == code && fuid == 0 && (endtime == 0 || now < endtime)
}

// PersonalInviteKeyX35 is helper_invite::generate_key (X3.5): the key of a
// member's personal invite link, from the member's pre_common_member
// password.
func PersonalInviteKeyX35(memberPassword string, uid int64) string {
	return md5hex(md5hex(memberPassword) + "|" + strconv.FormatInt(uid, 10))[8:24]
}

// PersonalInviteKeyX34 is space_key() (X3.4): from the site's
// siteuniqueid, the uid and, for an application's invite, its appid.
func PersonalInviteKeyX34(siteUniqueID string, uid, appid int64) string {
	s := siteUniqueID + "|" + strconv.FormatInt(uid, 10)
	if appid != 0 {
		s += "|" + strconv.FormatInt(appid, 10)
	}
	return md5hex(s)[8:24]
}

// InviteFriendNote is lang_notification's invite_friend with {actor}: the
// notice the inviter gets. notification_add sets {actor} to the member
// acting, the new one (its own link, without Discuz's target="_blank" of
// the caller's value, which notification_add overwrites).
func InviteFriendNote(uid int64, username string) string {
	return "恭喜您成功邀请到 <a href=\"home.php?mod=space&uid=" + strconv.FormatInt(uid, 10) + "\">" + username + "</a> 并成为您的好友"
}
