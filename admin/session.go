// Package admin is the administrator's side of qqconnect: sign-in with the
// forum's own administrator accounts, the dashboard, the doctor page, the
// repair pages with preview/confirm/undo, the audit log and member bindings.
// The checks live in admin/doctor and the actions in admin/repair, shared
// with the command line.
package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qqconnect/discuz"
	"qqconnect/internal/throttle"
	"qqconnect/models"
)

// Session rules of the admin panel (issue 5).
const (
	CookieName    = "qqc_admin"
	IdleTimeout   = 30 * time.Minute
	MaxLifetime   = 12 * time.Hour // however active, a session ends 12 hours after sign-in
	ReauthWindow  = 5 * time.Minute
	ctxSessionKey = "qqc.admin.session"
)

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

func (a *Admin) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Admin) setCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: CookieName, Value: value, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, Secure: a.Secure, SameSite: http.SameSiteStrictMode})
}

// current returns the live admin session of this request, or nil.
func (a *Admin) current(c *gin.Context) *models.AdminSession {
	if v, ok := c.Get(ctxSessionKey); ok {
		return v.(*models.AdminSession)
	}
	tok, err := c.Cookie(CookieName)
	if err != nil || tok == "" {
		return nil
	}
	s, err := a.Store.AdminSessionByHash(c.Request.Context(), hashToken(tok), a.now(), IdleTimeout)
	if err != nil {
		return nil
	}
	// Still the same administrator? A demoted member, a changed password or
	// an old session loses the panel at once.
	m, err := models.Maybe(a.Store.MemberByUID(c.Request.Context(), s.UID))
	if err != nil || m == nil || m.AdminID != 1 || a.now().Unix()-s.CreatedAt > int64(MaxLifetime/time.Second) {
		_ = a.Store.DeleteAdminSession(c.Request.Context(), s.IDHash)
		return nil
	}
	if fp, err := a.Store.AdminFingerprint(c.Request.Context(), m); err != nil || subtle.ConstantTimeCompare([]byte(fp), []byte(s.FP)) != 1 {
		_ = a.Store.DeleteAdminSession(c.Request.Context(), s.IDHash)
		return nil
	}
	c.Set(ctxSessionKey, s)
	return s
}

// RequireAdmin lets only signed-in forum administrators through, refreshes
// the idle timer, and checks CSRF on every unsafe request.
func (a *Admin) RequireAdmin() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		s := a.current(c)
		if s == nil {
			if c.Request.Method == http.MethodGet {
				c.Redirect(http.StatusSeeOther, "/admin/login?next="+safeNext(c.Request.URL.RequestURI()))
			} else {
				a.refuse(c, http.StatusUnauthorized, "请先登录管理后台", "Please sign in to the admin panel first.")
			}
			c.Abort()
			return
		}
		if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
			if err := cop.Check(c.Request); err != nil || subtle.ConstantTimeCompare([]byte(c.PostForm("_csrf")), []byte(s.CSRF)) != 1 {
				a.refuse(c, http.StatusForbidden, "表单已过期或来自其他网站，请返回后重试", "This form expired or came from another site. Go back and try again.")
				c.Abort()
				return
			}
		}
		_ = a.Store.TouchAdminSession(c.Request.Context(), s.IDHash, a.now(), false)
		c.Next()
	}
}

// CheckCSRF guards the sign-in form itself with Go's cross-origin check (there
// is no session yet to hold a token).
func (a *Admin) CheckCSRF() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		if c.Request.Method == http.MethodPost {
			if err := cop.Check(c.Request); err != nil {
				a.refuse(c, http.StatusForbidden, "请求来自其他网站，已拒绝", "Cross-site request refused.")
				c.Abort()
				return
			}
		}
		c.Next()
	}
}

// safeNext keeps a post-login target inside the admin panel.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin/"
	}
	return next
}

var errThrottled = throttle.ErrLimited

// checkCredentials verifies an administrator's forum password through the
// sign-in limiter; a right password of a non-administrator is a failure.
func (a *Admin) checkCredentials(ctx context.Context, cr throttle.Credentials, ip string) (*models.Member, error) {
	return a.Guard.Check(ctx, ip, cr, func(m *models.Member) bool { return m.AdminID == 1 })
}

// LoginPage is GET /admin/login.
func (a *Admin) LoginPage(c *gin.Context) {
	if a.current(c) != nil {
		c.Redirect(http.StatusSeeOther, "/admin/")
		return
	}
	a.render(c, http.StatusOK, "admin_login.html", "管理员登录 / Admin sign-in", loginView{Next: safeNext(c.Query("next")), Questions: discuz.SecurityQuestions[1:]}, nil)
}

type loginView struct {
	Next, Username string
	Demo           bool
	Questions      []string // Discuz's 安全提问 1..7
}

// Login is POST /admin/login: forum administrators (adminid=1) only, new
// session id at every sign-in.
func (a *Admin) Login(c *gin.Context) {
	ctx := c.Request.Context()
	username := c.PostForm("username")
	v := loginView{Next: safeNext(c.PostForm("next")), Username: username, Questions: discuz.SecurityQuestions[1:]}
	cr := throttle.FormCredentials(c.PostForm, a.Charset)
	cr.Field = models.LoginByUsername // Discuz's admin sign-in takes the username
	m, err := a.checkCredentials(ctx, cr, c.ClientIP())
	switch {
	case errors.Is(err, errThrottled):
		a.renderErr(c, http.StatusTooManyRequests, "admin_login.html", "管理员登录 / Admin sign-in", v, "尝试次数过多，请15分钟后再试", "Too many attempts. Try again in 15 minutes.")
		return
	case err != nil:
		a.fail(c, err)
		return
	case m == nil:
		a.renderErr(c, http.StatusUnprocessableEntity, "admin_login.html", "管理员登录 / Admin sign-in", v, "用户名或密码错误，或该账号不是论坛管理员", "Wrong username or password, or not a forum administrator.")
		return
	}
	if old, err := c.Cookie(CookieName); err == nil && old != "" {
		_ = a.Store.DeleteAdminSession(ctx, hashToken(old))
	}
	fp, err := a.Store.AdminFingerprint(ctx, m)
	if err != nil {
		a.fail(c, err)
		return
	}
	tok := randomToken()
	now := a.now().Unix()
	err = a.Store.CreateAdminSession(ctx, models.AdminSession{IDHash: hashToken(tok), UID: m.UID, Username: m.Username,
		CSRF: randomToken(), IP: a.Store.Fit(a.Store.T.Own("admin_session"), "ip", c.ClientIP()), CreatedAt: now, LastSeen: now, ReauthAt: now, FP: fp})
	if err != nil {
		a.fail(c, err)
		return
	}
	a.setCookie(c, tok, 0)
	a.Log.Info("admin signed in", "uid", m.UID, "ip", c.ClientIP())
	c.Redirect(http.StatusSeeOther, v.Next)
}

// Logout is POST /admin/logout.
func (a *Admin) Logout(c *gin.Context) {
	if s := a.current(c); s != nil {
		_ = a.Store.DeleteAdminSession(c.Request.Context(), s.IDHash)
	}
	a.setCookie(c, "", -1)
	c.Redirect(http.StatusSeeOther, "/admin/login")
}

// freshlyAuthenticated reports whether the admin entered the password in
// the last ReauthWindow; repairs require it.
func (a *Admin) freshlyAuthenticated(s *models.AdminSession) bool {
	return a.now().Unix()-s.ReauthAt <= int64(ReauthWindow/time.Second)
}

// reauth checks the password typed into a repair or undo form and refreshes
// the session's re-authentication time. It reports false (and why) when the
// password was needed and wrong.
func (a *Admin) reauth(c *gin.Context, s *models.AdminSession) (bool, error) {
	if a.freshlyAuthenticated(s) && c.PostForm("password") == "" {
		return true, nil
	}
	m, err := a.checkCredentials(c.Request.Context(), throttle.Credentials{Login: s.Username, Password: c.PostForm("password"), NoQuestion: true}, c.ClientIP())
	if err != nil && !errors.Is(err, errThrottled) {
		return false, err
	}
	if m == nil || m.UID != s.UID {
		return false, nil
	}
	if err := a.Store.TouchAdminSession(c.Request.Context(), s.IDHash, a.now(), true); err != nil {
		return false, err
	}
	s.ReauthAt = a.now().Unix()
	return true, nil
}
