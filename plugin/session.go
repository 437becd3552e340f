package plugin

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"qqconnect/discuz"
	"qqconnect/models"
)

// QQLoginLifetime is how long Discuz keeps a QQ login (setloginstatus($member, 1296000)).
const QQLoginLifetime = 1296000 * time.Second

// DiscuzSession reads and writes Discuz's own login cookies (<P>saltkey and
// <P>auth), so the forum itself sees the member as logged in.
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

func (d *DiscuzSession) set(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: d.name(name), Value: url.QueryEscape(value), Path: d.CookiePath, Domain: d.CookieDomain,
		MaxAge: maxAge, HttpOnly: true, Secure: d.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// Login starts a NEW Discuz session for m: a fresh saltkey and the auth
// cookie encrypted with it, so any session planted before login is dropped.
func (d *DiscuzSession) Login(c *gin.Context, m *models.Member) error {
	rnd := d.Service.rnd()
	salt, err := discuz.NewSaltkey(rnd)
	if err != nil {
		return err
	}
	auth, err := discuz.AuthCookie(m.Password, m.UID, d.Authkey, salt, rnd)
	if err != nil {
		return err
	}
	d.set(c, "saltkey", salt, 2592000)
	d.set(c, "auth", auth, int(QQLoginLifetime/time.Second))
	return nil
}

// Logout clears the Discuz login, as Discuz's clearcookies() does after unbind.
func (d *DiscuzSession) Logout(c *gin.Context) {
	d.set(c, "auth", "", -1)
	d.set(c, "saltkey", "", -1)
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
