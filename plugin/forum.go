package plugin

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"qqconnect/discuz"
	"qqconnect/internal/throttle"
	"qqconnect/internal/web"
	"qqconnect/models"
)

// Forum is the small demo forum of standalone mode: it shows who Discuz's
// cookies say is logged in, and offers password login so the bind-while-
// logged-in and unbind flows can be tried without a real Discuz.
type Forum struct {
	H *Handlers
}

type forumView struct {
	Member   *models.Member
	Bound    bool
	Identity *models.Identity
	SiteName string
	QQReady  bool
	LoginErr string
	// The QQ游客 state, as Discuz's header shows it: the QQ nickname (else
	// "QQ_" and the openid's tail) and the 完善账号信息 / 绑定已有账号 links.
	GuestName string
}

func (f *Forum) view(c *gin.Context) (*forumView, error) {
	ctx := c.Request.Context()
	v := &forumView{SiteName: "qqconnect 演示论坛"}
	m, err := f.H.Session.Member(ctx, c)
	if err != nil {
		return nil, err
	}
	v.Member = m
	if m == nil {
		if openid := f.H.Session.GuestOpenID(c); openid != "" {
			v.GuestName = discuz.GuestUsername(openid)
			if g, err := models.Maybe(f.H.Svc.Store.GuestByOpenID(ctx, openid)); err == nil && g != nil && g.ConQQNick != "" {
				v.GuestName = g.ConQQNick
			}
		}
	}
	if m != nil && m.ConIsBind == 1 {
		v.Bound = true
		v.Identity, _ = models.Maybe(f.H.Svc.Store.IdentityByUID(ctx, m.UID))
	}
	if q, err := f.H.Svc.Store.LoadQQSettings(ctx); err == nil {
		v.QQReady = q.LoginReady()
	}
	return v, nil
}

// Index is GET / in standalone mode.
func (f *Forum) Index(c *gin.Context) {
	v, err := f.view(c)
	if err != nil {
		f.H.fail(c, err)
		return
	}
	f.H.Render.HTML(c, http.StatusOK, "forum_index.html", f.H.page(v.SiteName, v))
}

// Login is POST /demo/login: Discuz's password login, for the demo members.
func (f *Forum) Login(c *gin.Context) {
	ctx := c.Request.Context()
	m, err := f.H.Svc.CheckPassword(ctx, c.ClientIP(), throttle.FormCredentials(c.PostForm, f.H.Svc.SiteCharset))
	var r *Refusal
	if errors.As(err, &r) {
		status := http.StatusUnprocessableEntity
		if r == ErrRateLimited {
			status = http.StatusTooManyRequests
		}
		f.loginError(c, status, r)
		return
	}
	if err != nil {
		f.H.fail(c, err)
		return
	}
	if err := f.H.loginAs(c, m, discuz.NotQQ, ""); err != nil { // a password login: no QQ helper cookies
		f.H.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}

func (f *Forum) loginError(c *gin.Context, status int, r *Refusal) {
	v, err := f.view(c)
	if err != nil {
		f.H.fail(c, err)
		return
	}
	v.LoginErr = r.ZH + " / " + r.EN
	f.H.Render.HTML(c, status, "forum_index.html", f.H.page(v.SiteName, v))
}

// Logout is POST /demo/logout: Discuz's logout, which drops every Discuz cookie.
func (f *Forum) Logout(c *gin.Context) {
	f.H.Session.Logout(c)
	web.RenewSession(c)
	c.Redirect(http.StatusSeeOther, "/")
}
