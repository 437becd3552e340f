package admin

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qqconnect/admin/doctor"
	"qqconnect/admin/repair"
	"qqconnect/models"
)

type dashboardView struct {
	Report   *doctor.Report // nil while the first check runs, or after a change it predates
	Checked  int64          // when Report's run started (unix)
	Running  bool           // a newer run is in flight
	Counts   map[string]int
	Info     SiteInfo
	Recent   []models.AuditEntry
	Problems []doctor.Result
}

// dashboardWait is how long the dashboard waits for a fresh run before it
// shows the last one: the page answers within it whatever QQ does.
const dashboardWait = 200 * time.Millisecond

// Dashboard is GET /admin/: does QQ login work right now, and if not, why.
// It shows the newest finished doctor run (Admin.Latest) and starts a new
// one on every load; a run older than the newest audit entry (a repair, an
// undo, also from the CLI) is not shown as current.
func (a *Admin) Dashboard(c *gin.Context) {
	snap, running := a.Latest.Get(c.Request.Context(), dashboardWait)
	v := dashboardView{Counts: map[string]int{}, Info: a.Info, Running: running}
	v.Recent, _ = a.Store.ListAudit(c.Request.Context(), 5, 0)
	if snap != nil && (len(v.Recent) == 0 || v.Recent[0].At < snap.Started.Unix()) {
		v.Report, v.Checked = &snap.Report, snap.Started.Unix()
		for _, r := range snap.Report.Checks {
			v.Counts[string(r.Status)]++
			if r.Status == doctor.Fail || r.Status == doctor.Warn {
				v.Problems = append(v.Problems, r)
			}
		}
	}
	p := a.page(c, "概览 / Dashboard", v)
	if v.Report == nil {
		p.Refresh = 2 // the placeholder reloads itself until a result is there
	}
	a.Render.HTML(c, http.StatusOK, "admin_dashboard.html", p)
}

// DoctorPage is GET /admin/doctor: every check, run now.
func (a *Admin) DoctorPage(c *gin.Context) {
	rep := a.Doctor(c.Request.Context())
	a.render(c, http.StatusOK, "admin_doctor.html", "诊断 / Diagnostics", rep, nil)
}

type repairView struct {
	Action   repair.ActionInfo
	Plan     *repair.Plan
	NeedArgs bool
	AppID    string
	Sealed   string // encrypted args of set-app-key: the AppKey never appears in the page
	Reauth   bool   // the password must be entered again
	Actions  []repair.ActionInfo
	Editor   *connectEditor // connect-settings: the settings form (GET, or a refused preview)
}

func (a *Admin) action(id string) (repair.ActionInfo, bool) {
	for _, ai := range repair.Actions() {
		if ai.ID == id {
			return ai, true
		}
	}
	return repair.ActionInfo{}, false
}

// RepairIndex is GET /admin/repair: the list of actions.
func (a *Admin) RepairIndex(c *gin.Context) {
	var list []repair.ActionInfo
	for _, ai := range repair.Actions() {
		if !ai.Member { // member actions start from the member bindings page
			list = append(list, ai)
		}
	}
	a.render(c, http.StatusOK, "admin_repair.html", "修复 / Repair", repairView{Actions: list}, nil)
}

// RepairPreview is GET /admin/repair/:action (and POST …/preview for
// set-app-key): every value before → after, and the confirmation form.
func (a *Admin) RepairPreview(c *gin.Context) {
	ai, ok := a.action(c.Param("action"))
	if !ok || ai.Member {
		a.refuse(c, http.StatusNotFound, "没有这个修复操作", "No such repair action.")
		return
	}
	s := a.current(c)
	v := repairView{Action: ai, Reauth: !a.freshlyAuthenticated(s)}
	var err error
	var args repair.Args
	if ai.EditsConnect() {
		if c.Request.Method == http.MethodGet {
			if v.Editor, err = a.connectEditor(c.Request.Context(), nil); err != nil {
				a.fail(c, err)
				return
			}
			a.render(c, http.StatusOK, "admin_repair.html", ai.TitleZH+" / "+ai.TitleEN, v, nil)
			return
		}
		args = repair.Args{Connect: postedConnect(c)}
		if v.Sealed, err = a.seal(s, args); err != nil {
			a.fail(c, err)
			return
		}
	}
	if ai.NeedsArgs {
		if c.Request.Method == http.MethodGet {
			v.NeedArgs = true
			a.render(c, http.StatusOK, "admin_repair.html", ai.TitleZH+" / "+ai.TitleEN, v, nil)
			return
		}
		args = repair.Args{AppID: strings.TrimSpace(c.PostForm("appid")), AppKey: strings.TrimSpace(c.PostForm("appkey"))}
		v.AppID = args.AppID
		if v.Sealed, err = a.seal(s, args); err != nil {
			a.fail(c, err)
			return
		}
	}
	plan, err := a.Repair.Plan(c.Request.Context(), ai.ID, args)
	if err != nil {
		var re *repair.Error
		if errors.As(err, &re) && ai.NeedsArgs {
			v.NeedArgs, v.Sealed = true, ""
			a.renderErr(c, http.StatusUnprocessableEntity, "admin_repair.html", ai.TitleZH+" / "+ai.TitleEN, v, re.ZH, re.EN)
			return
		}
		if errors.As(err, &re) && ai.EditsConnect() && errors.Is(err, repair.ErrBadArgs) {
			// the form again, with what was typed and the reason
			v.Sealed = ""
			if v.Editor, err = a.connectEditor(c.Request.Context(), args.Connect); err != nil {
				a.fail(c, err)
				return
			}
			a.renderErr(c, http.StatusUnprocessableEntity, "admin_repair.html", ai.TitleZH+" / "+ai.TitleEN, v, re.ZH, re.EN)
			return
		}
		a.fail(c, err)
		return
	}
	v.Plan = plan
	a.render(c, http.StatusOK, "admin_repair.html", ai.TitleZH+" / "+ai.TitleEN, v, nil)
}

// RepairApply is POST /admin/repair/:action: explicit confirmation, fresh
// password, one unit of work, audit record, then Post/Redirect/Get.
func (a *Admin) RepairApply(c *gin.Context) {
	ai, ok := a.action(c.Param("action"))
	if !ok || ai.Member {
		a.refuse(c, http.StatusNotFound, "没有这个修复操作", "No such repair action.")
		return
	}
	s := a.current(c)
	if c.PostForm("confirm") != "yes" {
		a.refuse(c, http.StatusUnprocessableEntity, "请勾选确认后再执行", "Tick the confirmation box to run the repair.")
		return
	}
	if ok, err := a.reauth(c, s); err != nil {
		a.fail(c, err)
		return
	} else if !ok {
		a.refuse(c, http.StatusForbidden, "执行修复前请重新输入您的密码（密码错误）", "Re-enter your password before a repair (wrong password).")
		return
	}
	var args repair.Args
	if ai.NeedsArgs || ai.EditsConnect() {
		var err error
		if args, err = a.unseal(s, c.PostForm("sealed")); err != nil {
			a.refuse(c, http.StatusUnprocessableEntity, "确认已过期，请重新填写", "The confirmation expired; fill in the form again.")
			return
		}
	}
	entry, plan, err := a.Repair.Apply(c.Request.Context(), ai.ID, args, a.actor(c, s))
	if err != nil {
		a.fail(c, err)
		return
	}
	msg := fmt.Sprintf("已执行：%s / Done: %s", ai.TitleZH, ai.TitleEN)
	if plan != nil && len(plan.Warnings) > 0 {
		msg += " — " + strings.Join(plan.Warnings, " ")
	}
	a.flash(c, msg)
	if entry != nil {
		c.Redirect(http.StatusSeeOther, "/admin/audit/"+strconv.FormatInt(entry.ID, 10))
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/doctor")
}

func (a *Admin) actor(c *gin.Context, s *models.AdminSession) repair.Actor {
	ua := c.GetHeader("User-Agent")
	if len(ua) > 255 {
		ua = ua[:255]
	}
	return repair.Actor{UID: s.UID, Name: s.Username, IP: c.ClientIP(), UserAgent: ua, Source: "web"}
}

type auditView struct {
	Entries []models.AuditEntry
	Entry   *models.AuditEntry
	Before  []repair.Change
	After   []repair.Change
	Reauth  bool
	Page    int
}

// AuditList is GET /admin/audit.
func (a *Admin) AuditList(c *gin.Context) {
	page, _ := strconv.Atoi(c.Query("page"))
	if page < 0 {
		page = 0
	}
	list, err := a.Store.ListAudit(c.Request.Context(), 50, page*50)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.render(c, http.StatusOK, "admin_audit.html", "审计日志 / Audit log", auditView{Entries: list, Page: page}, nil)
}

// AuditEntry is GET /admin/audit/:id, with the undo form.
func (a *Admin) AuditEntry(c *gin.Context) {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	e, err := a.Store.AuditByID(c.Request.Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		a.refuse(c, http.StatusNotFound, "没有这条审计记录", "No such audit entry.")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	v := auditView{Entry: e, Reauth: !a.freshlyAuthenticated(a.current(c))}
	_ = json.Unmarshal([]byte(e.BeforeJSON), &v.Before)
	_ = json.Unmarshal([]byte(e.AfterJSON), &v.After)
	a.render(c, http.StatusOK, "admin_audit_entry.html", fmt.Sprintf("审计记录 #%d / Audit entry", e.ID), v, nil)
}

// AuditUndo is POST /admin/audit/:id/undo.
func (a *Admin) AuditUndo(c *gin.Context) {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	s := a.current(c)
	if ok, err := a.reauth(c, s); err != nil {
		a.fail(c, err)
		return
	} else if !ok {
		a.refuse(c, http.StatusForbidden, "撤销前请重新输入您的密码（密码错误）", "Re-enter your password before an undo (wrong password).")
		return
	}
	entry, err := a.Repair.Undo(c.Request.Context(), id, a.actor(c, s))
	if err != nil {
		a.fail(c, err)
		return
	}
	a.flash(c, fmt.Sprintf("已撤销记录 #%d / Entry #%d undone", id, id))
	c.Redirect(http.StatusSeeOther, "/admin/audit/"+strconv.FormatInt(entry.ID, 10))
}

// flash keeps a one-time message for the next admin page, in a short-lived
// cookie scoped to /admin (no secrets ever go into it).
func (a *Admin) flash(c *gin.Context, msg string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: "qqc_admin_flash", Value: base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path: "/admin", MaxAge: 60, HttpOnly: true, Secure: a.Secure, SameSite: http.SameSiteStrictMode})
}

// TakeFlash is middleware that moves the flash cookie into the page.
func (a *Admin) takeFlash(c *gin.Context) string {
	v, err := c.Cookie("qqc_admin_flash")
	if err != nil || v == "" {
		return ""
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: "qqc_admin_flash", Value: "", Path: "/admin", MaxAge: -1,
		HttpOnly: true, Secure: a.Secure, SameSite: http.SameSiteStrictMode})
	b, _ := base64.RawURLEncoding.DecodeString(v)
	return string(b)
}

// sealed carries set-app-key's arguments from the preview to the confirm
// form encrypted with a key bound to this admin session, so the AppKey is
// never written into a page, and expires after the re-auth window.
type sealedArgs struct {
	Args repair.Args
	Exp  int64
}

func (a *Admin) sealKey(s *models.AdminSession) []byte {
	m := hmac.New(sha256.New, []byte(s.CSRF))
	m.Write([]byte("qqconnect repair args " + s.IDHash))
	return m.Sum(nil)
}

func (a *Admin) seal(s *models.AdminSession, args repair.Args) (string, error) {
	blk, err := aes.NewCipher(a.sealKey(s))
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(sealedArgs{Args: args, Exp: a.now().Add(ReauthWindow).Unix()})
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(gcm.Seal(nonce, nonce, plain, nil)), nil
}

func (a *Admin) unseal(s *models.AdminSession, v string) (repair.Args, error) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return repair.Args{}, err
	}
	blk, err := aes.NewCipher(a.sealKey(s))
	if err != nil {
		return repair.Args{}, err
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return repair.Args{}, err
	}
	if len(raw) < gcm.NonceSize() {
		return repair.Args{}, errors.New("sealed args too short")
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	if err != nil {
		return repair.Args{}, err
	}
	var sa sealedArgs
	if err := json.Unmarshal(plain, &sa); err != nil {
		return repair.Args{}, err
	}
	if a.now().Unix() > sa.Exp {
		return repair.Args{}, errors.New("sealed args expired")
	}
	return sa.Args, nil
}
