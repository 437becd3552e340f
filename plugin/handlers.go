package plugin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"qqconnect/discuz"
	"qqconnect/internal/throttle"
	"qqconnect/internal/web"
	"qqconnect/models"
	"qqconnect/plugin/qq"
)

// pendingCookie carries the random key of the server-side pending identity.
const pendingCookie = "qqc_pending"

// Handlers are the thin HTTP side of the QQ login flow.
type Handlers struct {
	Svc        *Service
	Session    *DiscuzSession
	Render     *web.Renderer
	PublicURL  string
	CookiePath string
	Secure     bool
	Sandbox    bool
	HomePath   string // where a finished login goes when the referer is unusable
}

func (h *Handlers) page(title string, data any) *web.Page {
	return &web.Page{Title: title, Sandbox: h.Sandbox, Data: data}
}

func (h *Handlers) referer(ref string) string {
	return web.LocalRedirect(ref, h.PublicURL, h.HomePath)
}

// fail renders a refusal or error page; internal errors are logged, never shown.
func (h *Handlers) fail(c *gin.Context, err error) {
	var r *Refusal
	var qe *qq.Error
	p := h.page("QQ登录 / QQ login", nil)
	status := http.StatusOK
	switch {
	case errors.As(err, &r):
		p.Error, p.ErrorEN = r.ZH, r.EN
		if r == ErrRateLimited {
			status = http.StatusTooManyRequests
		}
		if r == ErrBlacklisted {
			// As Discuz's page: a new QQ login (its op=change), back to where it began.
			p.Data = map[string]string{"ChangeQQ": "/connect/qq/login?referer=" + url.QueryEscape(h.referer(c.GetString(ctxReferer)))}
		}
	case errors.As(err, &qe):
		p.Error, p.ErrorEN = qe.UserMessage()
		hint := qe.AdminHint(h.Svc.RedirectURI)
		h.Svc.Log.Warn("QQ API error", "endpoint", qe.Endpoint, "code", qe.Code, "hint", hint)
		if qe.Kind == qq.KindConfig {
			p.Data = map[string]string{"AdminHint": hint}
		}
		status = http.StatusBadGateway
	default:
		h.Svc.Log.Error("QQ login failed", "path", c.FullPath(), "err", err)
		p.Error, p.ErrorEN = "系统繁忙，请稍后再试", "Something went wrong on our side. Please try again later."
		status = http.StatusInternalServerError
	}
	h.Render.HTML(c, status, "connect_message.html", p)
}

// saveSession writes the session cookie with the used state taken out.
func (h *Handlers) saveSession(c *gin.Context) {
	if err := web.SaveSession(c); err != nil {
		h.Svc.Log.Warn("drop used QQ login state from the session", "err", err)
	}
}

// ctxReferer is where the failing flow began (the page a refusal links back to).
const ctxReferer = "qqconnect.referer"

// Login is GET /connect/qq/login (and connect.php?mod=login&op=init).
func (h *Handlers) Login(c *gin.Context) {
	ctx := c.Request.Context()
	m, err := h.Session.Member(ctx, c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var uid int64
	if m != nil {
		uid = m.UID
	}
	url, st, err := h.Svc.Start(ctx, h.referer(c.Query("referer")), uid, web.IsMobile(c.GetHeader("User-Agent")))
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.pushState(c, st); err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, url)
}

// Callback is GET /connect/qq/callback (and connect.php?mod=login&op=callback).
func (h *Handlers) Callback(c *gin.Context) {
	ctx := c.Request.Context()
	// The code must not leak to anything this page loads (RFC 9700 §4.2.4).
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-store")
	var uid int64
	if m, err := h.Session.Member(ctx, c); err == nil && m != nil {
		uid = m.UID
	}
	// Every path below writes the session once: the login's RenewSession,
	// or saveSession with the used state taken out.
	web.StageSession(c)
	query := c.Request.URL.Query()
	key := CallbackKey(query)
	states := h.takeState(c, key)
	res, err := h.Svc.Callback(ctx, web.BrowserID(c), states, query, c.ClientIP(), uid)
	if err != nil {
		h.saveSession(c)
		for _, st := range states {
			if st.Hash == key {
				c.Set(ctxReferer, st.Referer)
			}
		}
		h.fail(c, err)
		return
	}
	if res.Member != nil {
		// Discuz's branch A (bound while logged in) keeps connect_login a year,
		// its plain QQ login as long as the login.
		kind := discuz.QQSignIn
		if res.Bound {
			kind = discuz.QQBind
		}
		if err := h.loginAs(c, res.Member, kind, res.OpenID); err != nil {
			h.fail(c, err)
			return
		}
		var synUID int64 // no synchronized login: no statement either
		if res.Synlogin {
			synUID = res.Member.UID
		}
		if res.Bound {
			web.SetFlash(c, "QQ绑定成功 / QQ account bound")
			synUID = 0 // Discuz's branch A: the member was logged in already
		}
		h.afterLogin(c, http.StatusFound, h.referer(res.Referer), synUID)
		return
	}
	h.saveSession(c)
	// Discuz's QQ游客 state, so the forum treats the visitor as its QQ guest
	// meanwhile; the bind page works from qqconnect's pending record.
	if err := h.Session.Guest(c, res.OpenID, res.Nickname); err != nil {
		h.Svc.Log.Warn("QQ guest cookie", "err", err)
	}
	h.setPending(c, res.PendingToken)
	c.Redirect(http.StatusFound, "/connect/qq/bind")
}

func (h *Handlers) setPending(c *gin.Context, token string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: pendingCookie, Value: token, Path: h.CookiePath,
		MaxAge: int(PendingTTL.Seconds()), HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode})
}

// loginAs renews qqconnect's own session and writes Discuz's login cookies,
// with the QQ helper cookies unless kind is a password login; openid is
// the binding's when the caller just read it ("" = read it from the row).
func (h *Handlers) loginAs(c *gin.Context, m *models.Member, kind discuz.QQLoginKind, openid string) error {
	web.RenewSession(c)
	h.clearPending(c)
	if err := h.Session.Login(c, m, kind, openid); err != nil {
		return fmt.Errorf("log in uid %d: %w", m.UID, err)
	}
	return nil
}

func (h *Handlers) clearPending(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: pendingCookie, Value: "", Path: h.CookiePath, MaxAge: -1,
		HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode})
}

// bindForm is the data of the bind/register page.
type bindForm struct {
	Nickname, AvatarURL      string
	Username, Email          string // kept on re-render after an error
	SuggestedName            string
	RegisterOpen             bool
	ActiveTab                string // "bind" or "register"
	BindError, RegisterError string
	// The bind form's ways of naming the account, as Discuz's login form.
	AutoID      bool
	LoginFields []loginField
	LoginField  string   // the one chosen, kept on re-render
	Questions   []string // 安全提问 1..7
	// The register form's terms, invite rule and profile fields.
	Reg        *RegisterForm
	Fields     []FormField
	Values     url.Values // the register form as submitted, to refill it
	InviteCode string     // the typed invite code, kept on re-render
}

// inviteAuthCookie is the cookie Discuz's invite links set (home_invite.php).
const inviteAuthCookie = "invite_auth"

// inviteAuth is Discuz's invite_auth cookie, "" when none.
func (h *Handlers) inviteAuth(c *gin.Context) string {
	v, _ := c.Cookie(h.Session.name(inviteAuthCookie))
	return v
}

func (h *Handlers) pending(c *gin.Context) (*models.Pending, error) {
	tok, _ := c.Cookie(pendingCookie)
	return h.Svc.Pending(c.Request.Context(), tok, web.BrowserID(c))
}

// pendingOrGuest is pending for the bind page itself (GET), which may
// recover the identity from Discuz's QQ游客 cookie. A form's refusal must
// not: a parallel bind may have just taken the identity.
func (h *Handlers) pendingOrGuest(c *gin.Context) (*models.Pending, error) {
	p, err := h.pending(c)
	if err != ErrPendingGone {
		return p, err
	}
	// The browser may still be Discuz's QQ游客 (its cookie outlives ours).
	openid := h.Session.GuestOpenID(c)
	if openid == "" {
		return nil, err
	}
	tok, p, err := h.Svc.PendingFromGuest(c.Request.Context(), openid, web.BrowserID(c), h.HomePath)
	if err != nil {
		return nil, err
	}
	h.setPending(c, tok)
	return p, nil
}

func (h *Handlers) renderBind(c *gin.Context, status int, p *models.Pending, f bindForm) {
	f.Nickname, f.AvatarURL = p.Nickname, p.AvatarURL
	if f.SuggestedName == "" {
		f.SuggestedName = suggest(p.Nickname)
	}
	if q, err := h.Svc.loginSettings(c.Request.Context()); err == nil {
		f.RegisterOpen = q.RegConnect
		if f.RegisterOpen {
			if f.Reg, err = h.Svc.LoadRegisterForm(c.Request.Context(), q, c.ClientIP()); err != nil {
				h.Svc.Log.Error("register form", "err", err)
				f.RegisterOpen = false
			} else {
				f.Fields = f.Reg.view(f.Values, h.Svc.now().Year())
				if auth := h.inviteAuth(c); auth != "" && f.Reg.Invite.Asked() {
					var err error
					if f.Reg.LinkInvite, err = h.Svc.Store.FindInvite(c.Request.Context(), "", discuz.ParseInviteAuth(auth), h.Svc.now()); err != nil {
						h.Svc.Log.Error("invite link", "err", err)
					}
				}
				if f.Values != nil {
					f.InviteCode = f.Values.Get("invitecode")
				}
			}
		}
	}
	h.loginFields(c, &f)
	if f.ActiveTab == "" {
		f.ActiveTab = "bind"
	}
	h.Render.HTML(c, status, "connect_bind.html", h.page("绑定账号 / Link your account", f))
}

// loginFields offers the ways of naming the account Discuz's login form
// offers on this site: one field for all with autoidselect, else a choice
// of username, UID (uidlogin), Email and phone number (X3.5's
// secmobilelogin); and the 安全提问.
func (h *Handlers) loginFields(c *gin.Context, f *bindForm) {
	set, _ := h.Svc.Store.Settings(c.Request.Context(), "autoidselect", "uidlogin", "secmobilelogin")
	f.AutoID = set["autoidselect"] == "1"
	f.LoginFields = []loginField{{models.LoginByUsername, "用户名 / Username"}}
	if set["uidlogin"] == "1" {
		f.LoginFields = append(f.LoginFields, loginField{models.LoginByUID, "UID"})
	}
	f.LoginFields = append(f.LoginFields, loginField{models.LoginByEmail, "Email"})
	if set["secmobilelogin"] == "1" && h.Svc.Store.UCenterBcrypt() {
		f.LoginFields = append(f.LoginFields, loginField{models.LoginBySecmobile, "手机号 / Phone"})
	}
	f.Questions = discuz.SecurityQuestions[1:]
}

type loginField struct{ Value, Label string }

// BindPage is GET /connect/qq/bind.
func (h *Handlers) BindPage(c *gin.Context) {
	p, err := h.pendingOrGuest(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	f := bindForm{}
	if c.Query("tab") == "register" {
		f.ActiveTab = "register"
	}
	h.renderBind(c, http.StatusOK, p, f)
}

// BindSubmit is POST /connect/qq/bind: link an existing account after its password.
func (h *Handlers) BindSubmit(c *gin.Context) {
	tok, _ := c.Cookie(pendingCookie)
	username := c.PostForm("username")
	cr := throttle.FormCredentials(c.PostForm, h.Svc.SiteCharset)
	m, ref, err := h.Svc.BindExisting(c.Request.Context(), tok, web.BrowserID(c), cr, c.ClientIP())
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) && r != ErrPendingGone {
			p, perr := h.pending(c)
			if perr != nil {
				h.fail(c, perr)
				return
			}
			status := http.StatusUnprocessableEntity
			if r == ErrRateLimited {
				status = http.StatusTooManyRequests
			}
			h.renderBind(c, status, p, bindForm{Username: username, LoginField: cr.Field, ActiveTab: "bind", BindError: r.ZH + " / " + r.EN})
			return
		}
		h.fail(c, err)
		return
	}
	if err := h.loginAs(c, m, discuz.QQBind, ""); err != nil {
		h.fail(c, err)
		return
	}
	web.SetFlash(c, "QQ绑定成功，欢迎回来 / QQ account linked, welcome back")
	h.afterLogin(c, http.StatusSeeOther, h.referer(ref), m.UID)
}

// RegisterSubmit is POST /connect/qq/register: a new account for this QQ.
func (h *Handlers) RegisterSubmit(c *gin.Context) {
	tok, _ := c.Cookie(pendingCookie)
	username, email := c.PostForm("username"), c.PostForm("email")
	_ = c.Request.ParseForm()
	in := RegisterInput{Username: username, Email: email, AgreeRules: c.PostForm("agreebbrule") != "", Values: c.Request.PostForm,
		InviteCode: c.PostForm("invitecode"), InviteAuth: h.inviteAuth(c)}
	reg, err := h.Svc.Register(c.Request.Context(), tok, web.BrowserID(c), in, c.ClientIP(), web.ClientPort(c))
	if err != nil {
		if in.InviteAuth != "" && (errors.Is(err, ErrInviteOnly) || errors.Is(err, ErrInviteUsed)) {
			h.Session.set(c, inviteAuthCookie, "", -1, false) // getinvite() drops a cookie that names no valid invite
			in.InviteAuth = ""
		}
		var r *Refusal
		if errors.As(err, &r) && r != ErrPendingGone && r != ErrClosed && r != ErrAppInvalid {
			p, perr := h.pending(c)
			if perr != nil {
				h.fail(c, perr)
				return
			}
			h.renderBind(c, http.StatusUnprocessableEntity, p, bindForm{Username: username, Email: email,
				SuggestedName: username, ActiveTab: "register", RegisterError: r.ZH + " / " + r.EN, Values: in.Values})
			return
		}
		h.fail(c, err)
		return
	}
	if in.InviteAuth != "" {
		h.Session.set(c, inviteAuthCookie, "", -1, false) // on_register: used up
	}
	if err := h.loginAs(c, reg.Member, discuz.QQBind, ""); err != nil {
		h.fail(c, err)
		return
	}
	if reg.Activation != nil {
		h.activationPage(c, reg)
		return
	}
	if reg.AwaitingApproval {
		web.SetFlash(c, "感谢您的注册，站点开启了人工验证注册用户，请等待审核 / Thanks for registering. This forum approves new members by hand; please wait for approval.")
	} else {
		web.SetFlash(c, "注册成功，已用QQ登录 / Account created, you are logged in with QQ")
	}
	c.Redirect(http.StatusSeeOther, h.referer(reg.Referer))
}

// activationPage is register_ctl's register_email_verify message, said
// truthfully: Discuz shows it whether or not sendmail() succeeded.
func (h *Handlers) activationPage(c *gin.Context, reg *Registered) {
	a := reg.Activation
	h.Session.MarkActivationSent(c, h.Svc.now().Unix())
	bb := a.BBName
	if bb == "" {
		bb = "本站"
	}
	p := h.page("注册成功 / Account created", map[string]string{
		"Continue":  h.referer(reg.Referer),
		"Resend":    strings.TrimRight(h.PublicURL, "/") + "/home.php?mod=spacecp&ac=profile&op=password",
		"Email":     a.Email,
		"AdminHint": a.Reason,
	})
	if a.Sent {
		p.Flash = "感谢您注册 " + bb + "，系统给您发送了一封激活邮件，快去登录邮箱激活账号吧 / Thanks for registering. An activation mail was sent to " + a.Email + "; open it to activate your account."
	} else {
		p.Error = "感谢您注册 " + bb + "，账号已创建，但激活邮件发送失败，请联系管理员"
		p.ErrorEN = "Your account was created, but the activation mail could not be sent. Please contact the forum's administrator."
	}
	h.Render.HTML(c, http.StatusOK, "connect_registered.html", p)
}

type unbindView struct {
	Member     *models.Member
	Connect    *models.MemberConnect
	Identity   *models.Identity
	IsRegister bool
	Error      string
}

func (h *Handlers) unbindView(c *gin.Context) (*unbindView, bool) {
	ctx := c.Request.Context()
	m, err := h.Session.Member(ctx, c)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	if m == nil {
		h.fail(c, ErrNotLoggedIn)
		return nil, false
	}
	v := &unbindView{Member: m}
	if v.Connect, err = models.Maybe(h.Svc.Store.ConnectByUID(ctx, m.UID)); err != nil {
		h.fail(c, err)
		return nil, false
	}
	if v.Connect != nil {
		v.IsRegister = v.Connect.ConIsRegister == 1
		if id, err := models.Maybe(h.Svc.Store.IdentityByUID(ctx, m.UID)); err == nil {
			v.Identity = id
		}
	}
	return v, true
}

// UnbindPage is GET /connect/qq/unbind.
func (h *Handlers) UnbindPage(c *gin.Context) {
	v, ok := h.unbindView(c)
	if !ok {
		return
	}
	h.Render.HTML(c, http.StatusOK, "connect_unbind.html", h.page("QQ绑定 / QQ binding", v))
}

// UnbindSubmit is POST /connect/qq/unbind. Like Discuz, it logs the member
// out afterwards.
func (h *Handlers) UnbindSubmit(c *gin.Context) {
	v, ok := h.unbindView(c)
	if !ok {
		return
	}
	err := h.Svc.Unbind(c.Request.Context(), v.Member.UID, c.PostForm("newpassword1"), c.PostForm("newpassword2"))
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			v.Error = r.ZH + " / " + r.EN
			h.Render.HTML(c, http.StatusUnprocessableEntity, "connect_unbind.html", h.page("QQ绑定 / QQ binding", v))
			return
		}
		h.fail(c, err)
		return
	}
	h.Session.LogoutUnbound(c)
	web.RenewSession(c)
	web.SetFlash(c, "已解除QQ绑定，请重新登录 / QQ unbound. Please log in again.")
	c.Redirect(http.StatusSeeOther, h.HomePath)
}

// ConnectPHP serves Discuz's own connect.php?mod=login&op=init|callback URLs,
// so a reverse proxy can hand them to qqconnect and the forum's buttons keep working.
func (h *Handlers) ConnectPHP(c *gin.Context) {
	if c.Query("mod") != "login" {
		h.fail(c, refuse("undefined_action", "未定义操作", "Unknown action."))
		return
	}
	switch c.Query("op") {
	case "init", "change":
		h.Login(c)
	case "callback":
		h.Callback(c)
	default:
		h.fail(c, refuse("undefined_action", "未定义操作", "Unknown action."))
	}
}

// MemberPHP serves Discuz's member.php?mod=connect, where the forum's
// QQ游客 prompts lead (完善账号信息, and &ac=bind 绑定已有账号; Discuz also
// sends a QQ游客's login there): qqconnect's bind page, register tab
// first unless ac=bind, as Discuz's page. A POST (a form of Discuz's own
// page still open) is sent to the page to try again, untouched.
func (h *Handlers) MemberPHP(c *gin.Context) {
	if c.Query("mod") != "connect" {
		h.fail(c, refuse("undefined_action", "未定义操作", "Unknown action."))
		return
	}
	to := "/connect/qq/bind?tab=register"
	if c.Query("ac") == "bind" || c.Query("action") == "login" {
		to = "/connect/qq/bind"
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, to)
}

func suggest(nick string) string {
	return strings.TrimSpace(discuz.SuggestUsername(nick))
}
