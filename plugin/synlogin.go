package plugin

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"qqconnect/discuz"
)

// UCenter's synchronized login. Where Discuz's QQ login calls
// uc_user_synlogin (the plain QQ login, connect_login.php; the bind form,
// logging_ctl::on_login) and shows the script tags on its login-succeeded
// page, qqconnect shows them on a small landing page that then goes on to
// the referer. Without applications to log into, the redirect is as before.

// synloginWait is how long the landing page waits for the other
// applications (Discuz's default msgforward refreshtime).
const synloginWait = 3

type synloginView struct {
	To      string   // local path the browser goes to afterwards
	Scripts []string // the src of each of UCenter's script tags
}

// afterLogin ends a QQ login that logged member uid in: the landing page
// when UCenter has applications to log it into too, else the redirect to
// target as before. uid 0: no synchronized login (the settings say off,
// or Discuz has none there: its bind while logged in).
func (h *Handlers) afterLogin(c *gin.Context, status int, target string, uid int64) {
	var scripts []string
	if uid > 0 {
		scripts = h.synloginScripts(c.Request.Context(), uid)
	}
	if len(scripts) == 0 {
		c.Redirect(status, target)
		return
	}
	// The page may load these scripts and no others: the site's policy
	// with script-src opened to exactly their URLs.
	csp, scripts := synloginCSP(c.Writer.Header().Get("Content-Security-Policy"), scripts)
	if len(scripts) == 0 {
		c.Redirect(status, target)
		return
	}
	c.Header("Content-Security-Policy", csp)
	p := h.page("登录成功 / Logged in", synloginView{To: target, Scripts: scripts})
	p.Refresh, p.RefreshTo = synloginWait, target
	h.Render.HTML(c, http.StatusOK, "connect_synlogin.html", p)
}

// synloginScripts is what UCenter's onsynlogin answers for uid when
// Discuz's allowsynlogin is on. Nothing when it is off: the switch comes
// with the settings (kept a second), and the callback passes no uid when
// the settings it read say off, so a bound login adds no statement. Nothing
// either when UCenter has no row of the member, or when the applications
// cannot be read (logged: the login itself succeeded, as Discuz's does when
// UCenter does not answer).
func (h *Handlers) synloginScripts(ctx context.Context, uid int64) []string {
	q, err := h.Svc.loginSettings(ctx)
	if err != nil || !q.Synlogin {
		return nil
	}
	now := h.Svc.now()
	m, apps, err := h.Svc.Store.SynloginTargets(ctx, uid, now)
	if err != nil {
		h.Svc.Log.Warn("UCenter synchronized login skipped", "uid", uid, "err", err)
		return nil
	}
	if m == nil {
		return nil
	}
	plain := discuz.SynloginPlain(m.Username, m.UID, m.Password, now.Unix())
	var out []string
	for _, app := range apps {
		srcs, err := discuz.SynScripts(app, app.ID == h.Svc.Store.UCAppID, plain, now.Unix(), h.Svc.rnd())
		if err != nil { // an application without an authkey: UCenter's own key is not ours to use
			h.Svc.Log.Warn("UCenter application skipped in synchronized login", "appid", app.ID, "err", err)
			continue
		}
		out = append(out, srcs...)
	}
	return out
}

// synloginCSP opens the script-src of policy (the site's, set by the
// router) to exactly the script URLs (path included; CSP ignores the
// query), and keeps the scripts a browser can load: http(s) with a host,
// as an application's URL is checked in UCenter's admin.
func synloginCSP(policy string, scripts []string) (string, []string) {
	var kept, sources []string
	seen := map[string]bool{}
	for _, s := range scripts {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		kept = append(kept, s)
		e := u.Scheme + "://" + u.Host + strings.NewReplacer(";", "%3B", ",", "%2C").Replace(u.EscapedPath())
		if !seen[e] {
			seen[e] = true
			sources = append(sources, e)
		}
	}
	if policy == "" || len(sources) == 0 {
		return policy, kept
	}
	return strings.Replace(policy, "script-src 'self'", "script-src 'self' "+strings.Join(sources, " "), 1), kept
}
