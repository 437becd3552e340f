package discuz

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// The QQ游客 (QQ guest) state: Discuz's connect_login.php gives a QQ user
// who has neither bound nor registered the con_auth_hash cookie, and
// discuz_application::_init_guest() then treats the visitor as "QQ_" plus
// the openid's last six characters in connect.guest_groupid (else
// newusergroupid), with the header's 完善账号信息 / 绑定已有账号 prompts.
const (
	GuestHashCookie = "con_auth_hash"
	GuestNickCookie = "connect_qq_nick" // the header shows it as the guest's name
	LifeGuest       = 86400             // both cookies, as connect_login.php sets them
)

// GuestAuthHash is the con_auth_hash value: authcode($conopenid, 'ENCODE')
// with Discuz's default key, $_G['authkey'] = md5(authkey . saltkey), so
// it opens only with the saltkey the browser sends beside it.
func GuestAuthHash(openid, authkey, saltkey string, rnd io.Reader) (string, error) {
	if authkey == "" || saltkey == "" {
		return "", errors.New("con_auth_hash: empty authkey or saltkey")
	}
	v, err := AuthcodeEncode(openid, sessionKey(authkey, saltkey), 0, rnd)
	if err != nil {
		return "", fmt.Errorf("con_auth_hash: %w", err)
	}
	return v, nil
}

// ParseGuestAuthHash is what _init_guest() and member_connect.php do with
// the cookie: authcode($_G['cookie']['con_auth_hash']). It returns the
// openid, or an error when the value does not open with this saltkey.
func ParseGuestAuthHash(value, authkey, saltkey string, now time.Time) (string, error) {
	if authkey == "" || saltkey == "" {
		return "", errors.New("con_auth_hash: empty authkey or saltkey")
	}
	openid, err := AuthcodeDecode(rawURLDecode(value), sessionKey(authkey, saltkey), now)
	if err != nil {
		return "", fmt.Errorf("con_auth_hash: %w", err)
	}
	if openid == "" {
		return "", errors.New("con_auth_hash: empty openid")
	}
	return openid, nil
}

// GuestUsername is the name _init_guest() gives a QQ guest: "QQ_" and the
// openid's last six characters.
func GuestUsername(openid string) string {
	if len(openid) > 6 {
		openid = openid[len(openid)-6:]
	}
	return "QQ_" + openid
}
