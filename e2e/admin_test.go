package e2e

import (
	"context"
	"fmt"
	"net/http"
	"qqconnect/admin/doctor"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
)

// Selectors of the admin panel (templates/admin_*.html, _admin.html).
const (
	// admin_login.html
	selAdminUser   = `form[action="/admin/login"] input[name=username]`
	selAdminPass   = `form[action="/admin/login"] input[name=password]`
	selAdminSubmit = `form[action="/admin/login"] button[type=submit]`
	selAlert       = ".alert"
	// _admin.html
	selNavDashboard = `nav.admin-nav a[href="/admin/"]`
	selNavDoctor    = `nav.admin-nav a[href="/admin/doctor"]`
	selNavRepair    = `nav.admin-nav a[href="/admin/repair"]`
	selNavAudit     = `nav.admin-nav a[href="/admin/audit"]`
	selAdminLogout  = `nav.admin-nav form[action="/admin/logout"] button[type=submit]`
	// admin_dashboard.html
	selVerdictOK  = "p.big.ok"
	selVerdictBad = "p.big.bad"
	selChecking   = "p.big.checking"
	// admin_doctor.html
	selCheckRows      = `table.checks-table tbody tr[id^="check-"]`
	selAppCredsDetail = "#check-app_credentials td:nth-child(3)" // the masked AppKey
	// admin_repair.html
	selDiffRows       = "table.diff tbody tr"
	selConfirmBox     = `form.confirm input[type=checkbox][name=confirm]`
	selConfirmRun     = `form.confirm button[type=submit]`
	selReauthPassword = `form.confirm input[name=password]`
	selAppIDField     = `input[name=appid]`
	selAppKeyField    = `input[name=appkey]`
	selPreviewForm    = `form[action="/admin/repair/set-app-key/preview"]`
	selPreviewSubmit  = selPreviewForm + ` button[type=submit]`
	selSealed         = `form.confirm input[type=hidden][name=sealed]`
	// admin_audit_entry.html
	selUndoButton = `form[action$="/undo"] button[type=submit]`
	// admin_audit.html
	selAuditRows = `table tbody tr td a[href^="/admin/audit/"]`
	// forum_index.html, connect_message.html
	selQQOff = "p.small"
)

// doctorChecks are the doctor's check ids, in order, from the package itself
// so a new check does not need this list edited.
func doctorChecks() []string {
	var ids []string
	for _, c := range doctor.Checks() {
		ids = append(ids, c.ID)
	}
	return ids
}

// networkChecks may warn or skip in sandbox mode (the QQ API is the
// emulator on this machine); every other check must be ok on a fresh demo.
var networkChecks = []string{"qq_dns", "qq_https", "clock_skew", "retired_hosts", "redirect_uri"}

var auditPath = regexp.MustCompile(`^/admin/audit/([0-9]+)$`)

// TestAdmin drives the admin toolbox of the standalone product through a
// real headless Chromium: sign-in, dashboard, doctor, a repair with its
// preview, confirmation, audit entry and undo (seen from a visitor's browser),
// set-app-key without ever showing the AppKey, and the phone layout.
func TestAdmin(t *testing.T) {
	execPath := chromiumPath(t)
	start := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), suiteDeadline(t))
	t.Cleanup(cancel) // registered first, so it runs after the server and browser cleanups

	srv := startServer(ctx, t)
	b := startBrowser(ctx, t, execPath)
	adm := b.newTab(t)
	visitor := b.newTab(t) // a second browser context: no admin cookie

	// The visitor sees QQ login before anything changes.
	visitor.open(srv.URL + "/")
	wantGuest(visitor)

	if !t.Run("sign_in_dashboard", func(t *testing.T) { testAdminSignIn(adm.with(t), srv) }) {
		return // every later step needs the admin signed in
	}
	var appCreds string
	t.Run("doctor", func(t *testing.T) { appCreds = testAdminDoctor(adm.with(t)) })
	t.Run("plugin_disable_and_undo", func(t *testing.T) {
		testPluginDisableUndo(adm.with(t), visitor.with(t), srv)
	})
	t.Run("set_app_key", func(t *testing.T) { testSetAppKey(adm.with(t), appCreds) })
	t.Run("phone_layout", func(t *testing.T) { testAdminPhone(adm.with(t)) })

	t.Logf("admin scenarios took %s", time.Since(start).Round(time.Millisecond))
}

// with returns the tab reporting to t (a subtest) instead of its opener.
func (p *tab) with(t *testing.T) *tab {
	return &tab{t: t, ctx: p.ctx, b: p.b}
}

// openNav loads u and returns the HTTP status of the page it ends on.
func (p *tab) openNav(u string) int64 {
	p.t.Helper()
	resp := run(p, "open "+u, chromedp.NavigateResponse(u))
	if resp == nil {
		p.fatalf("open %s: no response", u)
	}
	return resp.Status
}

// html is the serialized DOM of the page (typed input values are not in it).
func (p *tab) html() string {
	p.t.Helper()
	return run(p, "page HTML", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
}

// rows returns the text of every cell of the table rows matching sel.
func (p *tab) rows(sel string) [][]string {
	p.t.Helper()
	return run(p, "rows of "+sel, chromedp.Evaluate[[][]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%q), tr => Array.from(tr.cells, td => td.innerText.trim()))`, sel)))
}

// count is the number of elements matching sel now.
func (p *tab) count(sel string) int {
	p.t.Helper()
	return run(p, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

// tick clicks a checkbox and checks it is ticked.
func (p *tab) tick(sel string) {
	p.t.Helper()
	p.click(sel)
	if !run(p, "checkbox state", chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked")) {
		p.fatalf("%s is not ticked after clicking it", sel)
	}
}

// noSecret fails when the page HTML or its URL holds any of secrets.
func (p *tab) noSecret(step string, secrets ...string) {
	p.t.Helper()
	page := strings.ToLower(p.html() + "\n" + p.location().String())
	for _, s := range secrets {
		if strings.Contains(page, strings.ToLower(s)) {
			p.errorf("%s: the page shows the AppKey %q in full", step, s)
		}
	}
}

// noSideScroll checks that the page does not scroll sideways.
func (p *tab) noSideScroll(page string) {
	p.t.Helper()
	if o := p.overflow(); o != "" {
		p.errorf("%s scrolls sideways: %s", page, o)
	}
}

// onAuditEntry checks the tab shows an audit entry and returns its id.
func onAuditEntry(p *tab, status int64) string {
	p.t.Helper()
	path := p.location().Path
	m := auditPath.FindStringSubmatch(path)
	if m == nil || status != http.StatusOK {
		p.fatalf("on %s with status %d, want an audit entry /admin/audit/<id> with status 200", path, status)
	}
	p.wantText("h1", "审计记录 #"+m[1])
	return m[1]
}

// change is one before → after row of a preview or an audit entry.
type change struct{ Where, Key, Before, After string }

func changes(p *tab) []change {
	p.t.Helper()
	var out []change
	for _, r := range p.rows(selDiffRows) {
		if len(r) != 4 {
			p.fatalf("before/after row with %d cells, want 4: %q", len(r), r)
		}
		out = append(out, change{r[0], r[1], r[2], r[3]})
	}
	return out
}

func findChange(p *tab, cs []change, where, key string) change {
	p.t.Helper()
	for _, c := range cs {
		if c.Where == where && c.Key == key {
			return c
		}
	}
	p.fatalf("no before → after row for %s %s in %+v", where, key, cs)
	return change{}
}

// Step 1: /admin/ sends a stranger to the sign-in page; a member is refused;
// the printed administrator gets the dashboard, which says QQ login works.
func testAdminSignIn(p *tab, srv *server) {
	alice := srv.member(p.t, "alice")
	status := p.openNav(srv.URL + "/admin/")
	p.wantPage(status, http.StatusOK, "/admin/login")
	if next := p.location().Query().Get("next"); next != "/admin/" {
		p.errorf("sign-in page next=%q, want /admin/", next)
	}
	if p.present("nav.admin-nav") {
		p.fatalf("the sign-in page shows the admin menu to a stranger")
	}

	p.fill(selAdminUser, alice.Username)
	p.fill(selAdminPass, alice.Password)
	p.wantPage(p.clickNav(selAdminSubmit), http.StatusUnprocessableEntity, "/admin/login")
	p.wantText(selAlert, "用户名或密码错误，或该账号不是论坛管理员")
	p.wantText(selAlert, "not a forum administrator")
	if p.present("nav.admin-nav") {
		p.fatalf("a member who is not an administrator sees the admin menu")
	}
	if got := p.value(selAdminPass); got != "" {
		p.errorf("after a refusal the password field still holds %d characters", len(got))
	}

	p.fill(selAdminUser, srv.Admin.Username)
	p.fill(selAdminPass, srv.Admin.Password)
	p.wantPage(p.clickNav(selAdminSubmit), http.StatusOK, "/admin/")
	p.wantText(selAdminLogout, srv.Admin.Username)
	wantQQWorks(p)
	p.noSideScroll("dashboard (desktop)")
	p.screenshot("admin-dashboard-desktop")
}

// wantQQWorks checks the dashboard's verdict: QQ login works, no check fails.
// The dashboard may first say it is checking (its doctor run goes on in
// the background): reload until the verdict is there.
func wantQQWorks(p *tab) {
	p.t.Helper()
	for i := 0; i < 20 && p.present(selChecking); i++ {
		time.Sleep(500 * time.Millisecond)
		p.openNav(p.location().String())
	}
	if p.present(selVerdictBad) {
		p.fatalf("the dashboard says QQ login does not work: %q", p.text(selVerdictBad))
	}
	p.wantText(selVerdictOK, "能用")
	p.wantText("main", "故障 0")
}

// Step 2: the doctor page lists every check; on a fresh demo all are ok but
// the network checks, which may warn or skip against the sandbox. It returns
// the app_credentials detail (the masked AppKey) for step 5.
func testAdminDoctor(p *tab) string {
	p.wantPage(p.clickNav(selNavDoctor), http.StatusOK, "/admin/doctor")
	p.wantText("h1", "诊断")
	type row struct{ ID, Class, Status string }
	rows := run(p, "doctor rows", chromedp.Evaluate[[]row](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%q), tr => ({ID: tr.id, Class: tr.className, Status: tr.querySelector('.st') ? tr.querySelector('.st').className : ''}))`,
		selCheckRows)))
	var ids []string
	for _, r := range rows {
		id := strings.TrimPrefix(r.ID, "check-")
		ids = append(ids, id)
		status := strings.TrimPrefix(r.Class, "row-")
		if !strings.Contains(r.Status, "st-"+status) {
			p.errorf("check %s: row class %q but status badge %q", id, r.Class, r.Status)
		}
		if status != "ok" && !(slices.Contains(networkChecks, id) && (status == "warn" || status == "skip")) {
			p.errorf("check %s is %q on a fresh demo: %s", id, status, p.text("#"+r.ID))
		}
	}
	if want := doctorChecks(); !slices.Equal(ids, want) {
		p.fatalf("doctor rows %q, want %q", ids, want)
	}
	p.wantText("main", "没有发现故障")
	creds := p.text(selAppCredsDetail)
	if !regexp.MustCompile(`appkey [0-9a-f]{2}\*{4}[0-9a-f]{2}`).MatchString(creds) {
		p.errorf("app_credentials does not show a masked AppKey: %q", creds)
	}
	p.noSideScroll("doctor (desktop)")
	p.screenshot("admin-doctor-desktop")
	return creds
}

// Steps 3 and 4: disable the plugin through its preview, see QQ login gone
// for a visitor, undo from the audit entry, see it back and working.
func testPluginDisableUndo(p, visitor *tab, srv *server) {
	p.wantPage(p.clickNav(selNavRepair), http.StatusOK, "/admin/repair")
	p.wantPage(p.clickNav(`a[href="/admin/repair/plugin-disable"]`), http.StatusOK, "/admin/repair/plugin-disable")
	p.wantText("h1", "关闭 QQ互联插件")
	preview := changes(p)
	c := findChange(p, preview, "pre_common_plugin", "qqconnect.available")
	if c.Before != "1" || c.After != "0" {
		p.errorf("pre_common_plugin qqconnect.available: %s → %s, want 1 → 0", c.Before, c.After)
	}
	c = findChange(p, preview, "pre_common_syscache[setting]", "plugins")
	if !strings.Contains(c.Before, "available=[qqconnect") || strings.Contains(c.After, "qqconnect") {
		p.errorf("setting cache plugins: %q → %q, want qqconnect removed from available", c.Before, c.After)
	}
	c = findChange(p, preview, "pre_common_syscache[setting]", "connect")
	if !strings.Contains(c.Before, "allow='1'") || c.After != "array()" {
		p.errorf("setting cache connect: %q → %q, want allow='1' → array()", c.Before, c.After)
	}
	if p.present(selReauthPassword) {
		p.errorf("the repair asks for the password again right after sign-in (re-auth window is 5 minutes)")
	}
	p.noSideScroll("repair preview (desktop)")
	p.screenshot("admin-repair-preview-desktop")

	p.tick(selConfirmBox)
	id := onAuditEntry(p, p.clickNav(selConfirmRun))
	p.wantText(".flash", "已执行：关闭 QQ互联插件")
	if got := changes(p); !slices.Equal(got, preview) {
		p.errorf("the audit entry's before → after\n%+v\ndiffers from the preview\n%+v", got, preview)
	}

	// A visitor: no QQ button, and the login URL says QQ login is off.
	visitor.open(srv.URL + "/")
	if visitor.present(selQQLogin) {
		visitor.fatalf("after plugin-disable a visitor still sees the QQ login button")
	}
	visitor.wantText(selQQOff, "QQ登录未开启")
	status := visitor.openNav(srv.URL + "/connect/qq/login?referer=/")
	if path := visitor.location().Path; path != "/connect/qq/login" {
		visitor.fatalf("/connect/qq/login went to %s (status %d) with the plugin off", path, status)
	}
	visitor.wantText(selAlert, "尚未开启")

	// Undo, without a password inside the re-auth window.
	if p.present(selReauthPassword) {
		p.errorf("undo asks for the password again right after sign-in (re-auth window is 5 minutes)")
	}
	p.wantText(selUndoButton, "撤销此修改")
	undoID := onAuditEntry(p, p.clickNav(selUndoButton))
	if undoID == id {
		p.fatalf("undo shows entry #%s, the entry it undid", id)
	}
	p.wantText(".flash", "已撤销记录 #"+id)
	p.wantText("dl.kv", "撤销了 Undid")
	p.wantPage(p.clickNav(`dl.kv a[href="/admin/audit/`+id+`"]`), http.StatusOK, "/admin/audit/"+id)
	p.wantText("dl.kv", "已被撤销 Undone by")
	if p.present(selUndoButton) {
		p.errorf("entry #%s is undone but still offers 撤销此修改", id)
	}
	p.wantPage(p.clickNav(selNavDashboard), http.StatusOK, "/admin/")
	wantQQWorks(p)

	// The visitor has QQ login back, and it works through the sandbox.
	visitor.open(srv.URL + "/")
	wantGuest(visitor)
	onSandbox(visitor, visitor.clickNav(selQQLogin), false)
	const nick = "E2E管理撤销"
	onBindPage(visitor, authorizeNew(visitor, "20101", nick), http.StatusOK, nick)
}

// Step 5: set-app-key refuses a malformed AppKey and changes nothing; a good
// one is previewed masked, applied and audited, never shown in full.
func testSetAppKey(p *tab, credsBefore string) {
	const (
		appID  = "101000001"
		badKey = "3f9c0e7a5b1d4c2e8f6a0b9c7d5e3f1g" // 32 characters, the last not hex
		newKey = "3f9c0e7a5b1d4c2e8f6a0b9c7d5e3f1a"
		masked = "3f****1a"
	)
	p.wantPage(p.clickNav(selNavAudit), http.StatusOK, "/admin/audit")
	entries := p.count(selAuditRows)

	p.wantPage(p.clickNav(selNavRepair), http.StatusOK, "/admin/repair")
	p.wantPage(p.clickNav(`a[href="/admin/repair/set-app-key"]`), http.StatusOK, "/admin/repair/set-app-key")
	p.wantText("h1", "设置 QQ互联 AppID/AppKey")
	if p.present(selConfirmBox) {
		p.fatalf("set-app-key offers to run before any preview")
	}
	p.fill(selAppIDField, appID)
	p.fill(selAppKeyField, badKey)
	p.noSecret("AppKey form", badKey)

	// The browser refuses the malformed key itself (pattern attribute) …
	type validity struct {
		Valid   bool   `json:"valid"`
		Message string `json:"message"`
	}
	v := run(p, "AppKey field validity", chromedp.Evaluate[validity](fmt.Sprintf(
		`(() => { const el = document.querySelector(%q); window.__e2eSamePage = true; return {valid: el.checkValidity(), message: el.validationMessage}; })()`,
		selAppKeyField)))
	if v.Valid || v.Message == "" {
		p.errorf("the browser accepts the malformed AppKey (valid=%v, message %q)", v.Valid, v.Message)
	}
	p.click(selPreviewSubmit)
	p.do("let a blocked submission settle", chromedp.Sleep(500*time.Millisecond))
	if !run(p, "same page", chromedp.Evaluate[bool](`window.__e2eSamePage === true`)) {
		p.fatalf("the preview form was submitted with a malformed AppKey")
	}
	// … and so does the server when the browser does not (novalidate).
	run(p, "disable the form's own validation", chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { document.querySelector(%q).noValidate = true; return true; })()`, selPreviewForm)))
	p.wantPage(p.clickNav(selPreviewSubmit), http.StatusUnprocessableEntity, "/admin/repair/set-app-key/preview")
	p.wantText(selAlert, "AppKey 必须正好是 32 位十六进制字符")
	p.noSecret("AppKey refused", badKey)
	if got := p.value(selAppKeyField); got != "" {
		p.errorf("after a refusal the AppKey field holds %d characters, want it empty", len(got))
	}
	if got := p.value(selAppIDField); got != appID {
		p.errorf("after a refusal the AppID field holds %q, want %q kept", got, appID)
	}
	if p.present(selConfirmBox) || p.present(selDiffRows) {
		p.fatalf("a refused AppKey still gets a preview and a confirmation")
	}
	// Nothing changed: same credentials, no new audit entry.
	p.wantPage(p.clickNav(selNavDoctor), http.StatusOK, "/admin/doctor")
	if got := p.text(selAppCredsDetail); got != credsBefore {
		p.errorf("after a refused AppKey app_credentials says %q, want unchanged %q", got, credsBefore)
	}
	p.wantPage(p.clickNav(selNavAudit), http.StatusOK, "/admin/audit")
	if got := p.count(selAuditRows); got != entries {
		p.errorf("a refused AppKey left %d audit entries, want %d", got, entries)
	}

	// A good key: preview shows it masked only.
	p.wantPage(p.clickNav(selNavRepair), http.StatusOK, "/admin/repair")
	p.wantPage(p.clickNav(`a[href="/admin/repair/set-app-key"]`), http.StatusOK, "/admin/repair/set-app-key")
	p.fill(selAppIDField, appID)
	p.fill(selAppKeyField, newKey)
	p.noSecret("AppKey form", newKey)
	p.wantPage(p.clickNav(selPreviewSubmit), http.StatusOK, "/admin/repair/set-app-key/preview")
	p.noSecret("set-app-key preview", newKey)
	preview := changes(p)
	c := findChange(p, preview, "pre_common_setting", "connectappkey")
	if c.After != "'"+masked+"'" {
		p.errorf("preview shows the new AppKey as %q, want '%s'", c.After, masked)
	}
	if !regexp.MustCompile(`^'[0-9a-f]{2}\*{4}[0-9a-f]{2}'$`).MatchString(c.Before) {
		p.errorf("preview shows the old AppKey as %q, want it masked", c.Before)
	}
	c = findChange(p, preview, "pre_common_syscache[setting]", "connectappkey")
	if c.After != "'"+masked+"'" {
		p.errorf("preview shows the cached AppKey as %q, want '%s'", c.After, masked)
	}
	if !p.present(selSealed) {
		p.errorf("the confirmation form carries no sealed arguments")
	}
	p.screenshot("admin-set-app-key-preview-desktop")

	p.tick(selConfirmBox)
	onAuditEntry(p, p.clickNav(selConfirmRun))
	p.wantText(".flash", "已执行：设置 QQ互联 AppID/AppKey")
	p.noSecret("set-app-key audit entry", newKey)
	if got := changes(p); !slices.Equal(got, preview) {
		p.errorf("the audit entry's before → after\n%+v\ndiffers from the preview\n%+v", got, preview)
	}
	p.wantText("main", masked)

	p.wantPage(p.clickNav(selNavAudit), http.StatusOK, "/admin/audit")
	p.noSecret("audit log", newKey)
	p.wantPage(p.clickNav(selNavDoctor), http.StatusOK, "/admin/doctor")
	p.wantText(selAppCredsDetail, "appkey "+masked)
	p.noSecret("doctor", newKey)
	p.wantPage(p.clickNav(selNavDashboard), http.StatusOK, "/admin/")
	p.noSecret("dashboard", newKey)
	wantQQWorks(p)
}

// Step 6: on a phone the dashboard, the doctor page and a repair preview do
// not scroll sideways (the doctor table may scroll inside its .table-wrap).
func testAdminPhone(p *tab) {
	p.do("emulate an iPhone 12 (390x844, mobile UA)", chromedp.Emulate(device.IPhone12))

	p.wantPage(p.clickNav(selNavDashboard), http.StatusOK, "/admin/")
	if w := run(p, "viewport width", chromedp.Evaluate[int](`document.documentElement.clientWidth`)); w != 390 {
		p.fatalf("phone viewport is %d CSS pixels wide, want 390", w)
	}
	wantQQWorks(p)
	p.noSideScroll("dashboard (phone)")
	p.screenshot("admin-dashboard-phone")

	p.wantPage(p.clickNav(selNavDoctor), http.StatusOK, "/admin/doctor")
	p.noSideScroll("doctor (phone)")
	p.screenshot("admin-doctor-phone")

	p.wantPage(p.clickNav(selNavRepair), http.StatusOK, "/admin/repair")
	p.noSideScroll("repair list (phone)")
	p.wantPage(p.clickNav(`a[href="/admin/repair/plugin-disable"]`), http.StatusOK, "/admin/repair/plugin-disable")
	if !p.present(selConfirmBox) {
		p.fatalf("no confirmation form on the plugin-disable preview")
	}
	p.noSideScroll("repair preview (phone)")
	// The after values are what the admin confirms: they must be on screen,
	// not hidden to the right inside the table's scroll box.
	hidden := run(p, "after cells out of view", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('table.diff tbody td:nth-child(4)')).filter(td => { const r = td.getBoundingClientRect(); return r.width < 1 || r.right > document.documentElement.clientWidth + 0.5; }).map(td => td.innerText.trim())`))
	if len(hidden) > 0 {
		p.errorf("on a phone the repair preview hides after values to the right of the screen: %q", hidden)
	}
	p.screenshot("admin-repair-preview-phone")
}
