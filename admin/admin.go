package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"qqconnect/admin/doctor"
	"qqconnect/admin/repair"
	"qqconnect/internal/throttle"
	"qqconnect/internal/web"
	"qqconnect/models"
)

// Admin holds what the admin pages need; built once in routes.go.
type Admin struct {
	Store   *models.Store
	Render  *web.Renderer
	Doctor  func(ctx context.Context) doctor.Report
	Latest  *doctor.Latest // the dashboard's background runs of Doctor
	Repair  *repair.Repairer
	Secure  bool
	Sandbox bool
	Guard   *throttle.Guard // the sign-in form's limits (kind "admin")
	Now     func() time.Time
	Log     *slog.Logger
	Info    SiteInfo
	Charset string // the site's charset (the 安全提问 answer is hashed in it); "" = utf-8
}

// SiteInfo is what the dashboard shows about this deployment.
type SiteInfo struct {
	PublicURL, RedirectURI, DiscuzVersion, Driver string
}

func (a *Admin) page(c *gin.Context, title string, data any) *web.Page {
	p := &web.Page{Title: title, Sandbox: a.Sandbox, Data: data, Flash: a.takeFlash(c)}
	if s := a.current(c); s != nil {
		p.CSRF, p.User = s.CSRF, s.Username
	} else {
		p.CSRF = "-" // the sign-in form needs no token: CrossOriginProtection guards it
	}
	return p
}

func (a *Admin) render(c *gin.Context, status int, tpl, title string, data any, flash *string) {
	p := a.page(c, title, data)
	if flash != nil {
		p.Flash = *flash
	}
	a.Render.HTML(c, status, tpl, p)
}

func (a *Admin) renderErr(c *gin.Context, status int, tpl, title string, data any, zh, en string) {
	p := a.page(c, title, data)
	p.Error, p.ErrorEN = zh, en
	a.Render.HTML(c, status, tpl, p)
}

func (a *Admin) refuse(c *gin.Context, status int, zh, en string) {
	a.renderErr(c, status, "admin_message.html", "管理后台 / Admin", nil, zh, en)
}

// fail logs an internal error and shows a generic page (no detail leaks).
func (a *Admin) fail(c *gin.Context, err error) {
	var re *repair.Error
	if errors.As(err, &re) {
		a.refuse(c, http.StatusUnprocessableEntity, re.ZH, re.EN)
		return
	}
	a.Log.Error("admin page failed", "path", c.FullPath(), "err", err)
	a.refuse(c, http.StatusInternalServerError, "系统错误，请查看服务日志", "Internal error; see the service log.")
}
