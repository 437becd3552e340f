package app

import (
	"context"
	"io/fs"
	"net/http"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"qqconnect/admin"
	"qqconnect/admin/doctor"
	"qqconnect/internal/mail"
	"qqconnect/internal/throttle"
	"qqconnect/internal/web"
	"qqconnect/plugin"
	"qqconnect/plugin/qq"
	"qqconnect/static"
	"qqconnect/templates"
)

// newRouter is the one place where every route is registered.
func newRouter(app *App) http.Handler {
	cfg := app.Cfg
	r := gin.New()
	r.Use(gin.Recovery(), securityHeaders(cfg.HTTPS()))
	// Before sessions and every CSRF check: those parse the form, and an
	// unchecked body would be read into memory (or spooled to /tmp) first.
	r.Use(web.LimitBody(web.MaxFormBytes))
	// nil trusts no proxy: X-Forwarded-For is ignored unless configured
	// (or qqconnect listens on loopback: see config).
	if err := r.SetTrustedProxies(cfg.TrustedProxy); err != nil {
		app.Log.Error("trusted proxies", "err", err)
	}
	r.Use((&web.ProxyNotice{Record: app.Store.SetMeta, Log: app.Log}).Middleware(), web.Proof(cfg.Authkey))
	r.Use(sessions.Sessions(web.SessionName, web.NewSessionStore(cfg.Authkey, cfg.CookiePath, cfg.HTTPS())))

	render, err := web.NewRenderer(templates.FS, app.Log, "_*.html", "connect_*.html", "forum_*.html", "admin_*.html")
	if err != nil {
		panic(err) // embedded templates are fixed at build time; tests catch this
	}
	svc := &plugin.Service{
		Store: app.Store,
		QQ: qq.New(qq.Options{BaseURL: cfg.QQAPIBase, Timeout: 10 * time.Second,
			Observe: app.Metrics.ObserveQQ}),
		QQ1: qq.NewOAuth1(qq.Options{BaseURL: cfg.QzoneAPIBase, Timeout: 10 * time.Second,
			Observe: app.Metrics.ObserveQQ}),
		ProtocolSetting: cfg.QQProtocol,
		DiscuzVersion:   cfg.DiscuzVersion,
		RedirectURI:     cfg.RedirectURI(),
		Log:             app.Log,
		Metrics:         app.Metrics,
		Guard:           &throttle.Guard{Store: app.Store, Kind: "bind", Log: app.Log},
	}
	// Discuz's memory-cached member rows (Redis or memcached), dropped after
	// each bind and unbind; nil when out of reach or not configured.
	svc.RowCache = liveRows{app.Live}
	svc.SiteCharset = cfg.Charset
	svc.Settings = app.QQSettings
	// regverify=1's activation mail: Discuz's siteurl, its authkey, the transport.
	svc.SiteURL, svc.Authkey, svc.Mailer = cfg.PublicURL+"/", cfg.Authkey, &mail.Sender{}
	svc.Avatars = app.Avatars
	h := &plugin.Handlers{
		Svc: svc, Render: render, PublicURL: cfg.PublicURL, CookiePath: cfg.CookiePath,
		Secure: cfg.HTTPS(), Sandbox: cfg.Sandbox, HomePath: "/",
		Session: &plugin.DiscuzSession{CookiePre: cfg.CookiePre, CookieDomain: cfg.CookieDomain,
			CookiePath: cfg.CookiePath, Secure: cfg.HTTPS(), Authkey: cfg.Authkey, Store: app.Store, Service: svc},
	}
	csrf := web.CSRF(func(c *gin.Context) {
		render.HTML(c, http.StatusForbidden, "connect_message.html", &web.Page{
			Title: "请求被拒绝 / Request refused", Sandbox: cfg.Sandbox,
			Error:   "表单已过期或来自其他网站，请返回后重试",
			ErrorEN: "This form expired or came from another site. Go back and try again.",
		})
	})

	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := app.Store.Ping(ctx); err != nil {
			c.String(http.StatusServiceUnavailable, "database unreachable")
			return
		}
		c.String(http.StatusOK, "ready")
	})
	// With QQCONNECT_METRICS_ADDR the series live only on that listener
	// (newMetricsRouter), so the public one must not answer /metrics.
	if cfg.MetricsAddr == "" {
		r.GET("/metrics", gin.WrapH(metricsHandler(app)))
	}
	staticFS, _ := fs.Sub(static.FS, ".")
	r.StaticFS("/connect/qq/static", http.FS(staticFS))

	qqg := r.Group("/connect/qq", csrf)
	qqg.GET("/login", h.Login)
	qqg.GET("/bind", h.BindPage)
	qqg.POST("/bind", h.BindSubmit)
	qqg.POST("/register", h.RegisterSubmit)
	qqg.GET("/unbind", h.UnbindPage)
	qqg.POST("/unbind", h.UnbindSubmit)
	qqg.GET("/button.js", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.FileFromFS("button.js", http.FS(static.FS))
	})
	// The callback path is configurable (a site may keep the one it registered with QQ).
	if callbackRoute(cfg.CallbackPath) != "/connect.php" {
		r.GET(callbackRoute(cfg.CallbackPath), h.Callback)
	}
	r.GET("/connect.php", h.ConnectPHP)
	r.GET("/member.php", h.MemberPHP)
	r.POST("/member.php", h.MemberPHP)

	if app.Sandbox != nil {
		r.Any("/sandbox/qq/*any", gin.WrapH(app.Sandbox))
	}

	adm := &admin.Admin{
		Store: app.Store, Render: render, Repair: liveRepairer(app), Secure: cfg.HTTPS(), Sandbox: cfg.Sandbox, Log: app.Log,
		Guard:   &throttle.Guard{Store: app.Store, Kind: "admin", Log: app.Log},
		Doctor:  func(ctx context.Context) doctor.Report { return doctor.Run(ctx, liveDoctorEnv(app)) },
		Charset: cfg.Charset,
		Info:    admin.SiteInfo{PublicURL: cfg.PublicURL, RedirectURI: cfg.RedirectURI(), DiscuzVersion: cfg.DiscuzVersion, Driver: cfg.DBDriver},
	}
	adm.Latest = &doctor.Latest{Run: adm.Doctor}
	r.GET("/admin", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/admin/") })
	login := r.Group("/admin", adm.CheckCSRF())
	login.GET("/login", adm.LoginPage)
	login.POST("/login", adm.Login)
	ag := r.Group("/admin", adm.RequireAdmin())
	ag.GET("/", adm.Dashboard)
	ag.POST("/logout", adm.Logout)
	ag.GET("/doctor", adm.DoctorPage)
	ag.GET("/repair", adm.RepairIndex)
	ag.GET("/repair/:action", adm.RepairPreview)
	ag.POST("/repair/:action/preview", adm.RepairPreview)
	ag.POST("/repair/:action", adm.RepairApply)
	ag.GET("/audit", adm.AuditList)
	ag.GET("/audit/:id", adm.AuditEntry)
	ag.POST("/audit/:id/undo", adm.AuditUndo)
	ag.GET("/members", adm.Members)
	ag.POST("/members/:uid/unbind", adm.MemberAction("member-unbind"))
	ag.POST("/members/:uid/blacklist", adm.MemberAction("member-blacklist"))
	ag.POST("/members/:uid/unban", adm.MemberAction("member-unban"))
	if cfg.DBDriver == "sqlite" {
		forum := &plugin.Forum{H: h}
		r.GET("/", forum.Index)
		demo := r.Group("/demo", csrf)
		demo.POST("/login", forum.Login)
		demo.POST("/logout", forum.Logout)
	} else {
		r.GET("/", func(c *gin.Context) {
			c.String(http.StatusOK, "qqconnect %s: QQ login for this forum lives under /connect/qq/", Version)
		})
	}
	return r
}

// metricsHandler serves the Prometheus series of this instance.
func metricsHandler(app *App) http.Handler {
	return promhttp.HandlerFor(app.Metrics.Registry, promhttp.HandlerOpts{})
}

// newMetricsRouter is the whole of the QQCONNECT_METRICS_ADDR listener:
// GET /metrics and nothing else.
func newMetricsRouter(app *App) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler(app))
	return mux
}

// callbackRoute strips a query from CALLBACK_PATH: "/connect.php?mod=login&op=callback"
// is served by the connect.php route, any other path by its own route.
func callbackRoute(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] == '?' {
			return p[:i]
		}
	}
	return p
}

// securityHeaders sets the headers every response carries.
func securityHeaders(https bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https: http:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		c.Next()
	}
}
