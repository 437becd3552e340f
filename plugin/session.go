package plugin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qqconnect/discuz"
	"qqconnect/models"
)

// QQLoginLifetime is how long Discuz keeps a QQ login (setloginstatus($member, 1296000)).
const QQLoginLifetime = 1296000 * time.Second

// DiscuzSession reads and writes Discuz's own login cookies (<P>saltkey and
// <P>auth), so the forum itself sees the member as logged in, and the QQ
// helper cookies Discuz's QQ login leaves beside them.
type DiscuzSession struct {
	CookiePre, CookieDomain, CookiePath string
	Secure                              bool
	Authkey                             string // secret
	Store                               *models.Store
	Service                             *Service
}

func (d *DiscuzSession) name(n string) string {
	return discuz.CookieName(d.CookiePre, d.CookiePath, d.CookieDomain, n)
}

// set writes one Discuz cookie as dsetcookie does: the config's path and
// domain, Secure on https, and Expires beside Max-Age like PHP's setcookie,
// for browsers that know only Expires. maxAge < 0 deletes it.
func (d *DiscuzSession) set(c *gin.Context, name, value string, maxAge int, httpOnly bool) {
	ck := &http.Cookie{
		Name: d.name(name), Value: url.QueryEscape(value), Path: d.CookiePath, Domain: d.CookieDomain,
		MaxAge: maxAge, HttpOnly: httpOnly, Secure: d.Secure, SameSite: http.SameSiteLaxMode,
	}
	switch {
	case maxAge > 0:
		ck.Expires = d.Service.now().Add(time.Duration(maxAge) * time.Second).UTC()
	case maxAge < 0:
		ck.Value, ck.Expires = "", time.Unix(1, 0).UTC() // what PHP sends for a deleted cookie
	}
	http.SetCookie(c.Writer, ck)
}

// Login starts a NEW Discuz session for m: a fresh saltkey and the auth
// cookie encrypted with it, so any session planted before login is dropped.
// A QQ login (kind other than discuz.NotQQ) also gets the helper cookies
// Discuz's QQ login leaves, with the binding's openid read from its row,
// as connect_login() does; m must be bound by then. openid is the
// binding's openid when the caller has just read or written it; "" reads it.
func (d *DiscuzSession) Login(c *gin.Context, m *models.Member, kind discuz.QQLoginKind, openid string) error {
	var helpers []discuz.HelperCookie
	if kind != discuz.NotQQ {
		if openid == "" {
			conn, err := d.Store.ConnectByUID(c.Request.Context(), m.UID)
			if err != nil {
				return fmt.Errorf("QQ helper cookies of uid %d: %w", m.UID, err)
			}
			openid = conn.ConOpenID
		}
		helpers = discuz.QQHelperCookies(kind, openid)
	}
	rnd := d.Service.rnd()
	salt, err := discuz.NewSaltkey(rnd)
	if err != nil {
		return err
	}
	auth, err := discuz.AuthCookie(m.Password, m.UID, d.Authkey, salt, rnd)
	if err != nil {
		return err
	}
	d.set(c, "saltkey", salt, discuz.LifeSaltkey, true)
	d.set(c, "auth", auth, int(QQLoginLifetime/time.Second), true)
	// A QQ游客 who just bound or registered is a guest no more
	// (member_connect_register.php deletes it; its logout would too).
	if v, err := c.Cookie(d.name(discuz.GuestHashCookie)); err == nil && v != "" {
		d.set(c, discuz.GuestHashCookie, "", -1, true)
	}
	// Not HttpOnly, as Discuz sets them (dsetcookie's default): a site's
	// own template or add-on may read them from script.
	for _, h := range helpers {
		d.set(c, h.Name, h.Value, h.Life, false)
	}
	return nil
}

// Guest gives a QQ user who has not bound or registered yet Discuz's
// QQ游客 state, as connect_login.php does: con_auth_hash (the openid,
// encrypted with the browser's saltkey) and connect_qq_nick, a day each.
// A browser without a saltkey gets one, as Discuz's _init_input() gives it.
// con_auth_hash is HttpOnly, unlike Discuz's: only PHP reads it, and it
// names the QQ identity a register form acts for.
func (d *DiscuzSession) Guest(c *gin.Context, openid, nick string) error {
	salt, _ := c.Cookie(d.name("saltkey"))
	if salt == "" {
		var err error
		if salt, err = discuz.NewSaltkey(d.Service.rnd()); err != nil {
			return err
		}
		d.set(c, "saltkey", salt, discuz.LifeSaltkey, true)
	}
	hash, err := discuz.GuestAuthHash(openid, d.Authkey, salt, d.Service.rnd())
	if err != nil {
		return err
	}
	d.set(c, discuz.GuestHashCookie, hash, discuz.LifeGuest, true)
	// Discuz's header prints it as the guest's name, in the site's charset.
	if nick = d.Service.siteText(nick); nick != "" {
		d.set(c, discuz.GuestNickCookie, nick, discuz.LifeGuest, false)
	}
	return nil
}

// GuestOpenID is the openid of the browser's QQ游客 state ("" = none), read
// as _init_guest() reads it.
func (d *DiscuzSession) GuestOpenID(c *gin.Context) string {
	salt, _ := c.Cookie(d.name("saltkey"))
	hash, _ := c.Cookie(d.name(discuz.GuestHashCookie))
	if salt == "" || hash == "" {
		return ""
	}
	openid, err := discuz.ParseGuestAuthHash(hash, d.Authkey, salt, d.Service.now())
	if err != nil {
		return ""
	}
	return strings.ToUpper(openid)
}

// MarkActivationSent is the resendemail cookie register_ctl sets after the
// activation mail (a session cookie holding the time): Discuz's 重新接收验证邮件
// waits mailinterval after it.
func (d *DiscuzSession) MarkActivationSent(c *gin.Context, ts int64) {
	d.set(c, "resendemail", strconv.FormatInt(ts, 10), 0, false)
}

// Logout is Discuz's logout (clearcookies()): it deletes every Discuz
// cookie the browser sent, except the page-width preference, and always
// the login pair and the QQ helpers. Any Discuz state (auth, helpers,
// con_auth_hash of a QQ guest) is gone, as after Discuz's own logout.
func (d *DiscuzSession) Logout(c *gin.Context) { d.clear(c, false) }

// LogoutUnbound is what Discuz does after an unbind (connect_config.php):
// Logout, but it deletes the page-width preference too.
func (d *DiscuzSession) LogoutUnbound(c *gin.Context) { d.clear(c, true) }

func (d *DiscuzSession) clear(c *gin.Context, unbind bool) {
	names := append([]string{"auth", "saltkey"}, discuz.QQHelperNames()...)
	pre := discuz.CookiePrefix(d.CookiePre, d.CookiePath, d.CookieDomain)
	for _, ck := range c.Request.Cookies() {
		if n, ok := strings.CutPrefix(ck.Name, pre); ok && n != "" && discuz.ClearedAtLogout(n, unbind) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		d.set(c, n, "", -1, true)
	}
}

// Member returns the member logged in by Discuz's cookies, or nil. Like
// Discuz, it accepts the session only while the decrypted password equals
// pre_common_member.password.
func (d *DiscuzSession) Member(ctx context.Context, c *gin.Context) (*models.Member, error) {
	salt, err := c.Cookie(d.name("saltkey"))
	if err != nil || salt == "" {
		return nil, nil
	}
	auth, err := c.Cookie(d.name("auth"))
	if err != nil || auth == "" {
		return nil, nil
	}
	pw, uid, err := discuz.ParseAuthCookie(auth, d.Authkey, salt, d.Service.now())
	if err != nil || uid <= 0 {
		return nil, nil
	}
	m, err := models.Maybe(d.Store.MemberByUID(ctx, uid))
	if err != nil {
		return nil, err
	}
	if m == nil || m.Password != pw {
		return nil, nil
	}
	return m, nil
}
