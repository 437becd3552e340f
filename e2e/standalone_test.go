package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
)

// Selectors of the product's pages (templates/*.html).
const (
	// forum_index.html
	selCurrentUser   = "#current-user"
	selQQLogin       = "#qq-login"
	selBindQQButton  = `a.btn.qq[href^="/connect/qq/login"]`
	selManageBinding = `a[href="/connect/qq/unbind"]`
	selFlash         = ".flash"
	selQQGuest       = "#qq-guest"
	selGuestPrompt   = "#guest-prompt"
	selGuestRegister = `#guest-prompt a[href="/member.php?mod=connect"]`
	selLogout        = `form[action="/demo/logout"] button[type=submit]`
	selPasswordLogin = "details > summary"
	selLoginUser     = `form[action="/demo/login"] input[name=username]`
	selLoginPass     = `form[action="/demo/login"] input[name=password]`
	selLoginSubmit   = `form[action="/demo/login"] button[type=submit]`
	// connect_bind.html
	selBindHeading = ".qq-identity h1"
	selBindUser    = `form[action="/connect/qq/bind"] input[name=username]`
	selBindPass    = `form[action="/connect/qq/bind"] input[name=password]`
	selBindSubmit  = `form[action="/connect/qq/bind"] button[type=submit]`
	selBindError   = "#bind .alert"
	selRegUser     = `form[action="/connect/qq/register"] input[name=username]`
	selRegEmail    = `form[action="/connect/qq/register"] input[name=email]`
	selRegSubmit   = `form[action="/connect/qq/register"] button[type=submit]`
	// connect_unbind.html
	selUnbindPass1  = `form[action="/connect/qq/unbind"] input[name=newpassword1]`
	selUnbindPass2  = `form[action="/connect/qq/unbind"] input[name=newpassword2]`
	selUnbindSubmit = `form[action="/connect/qq/unbind"] button[type=submit]`
	// sandbox_login.html
	selSandboxBanner  = "header.banner"
	selSandboxNew     = `input[name=identity][value="new"]`
	selSandboxNewQQ   = "input[name=new_qq]"
	selSandboxNewNick = "input[name=new_nickname]"
	selSandboxLogin   = `button[name=action][value="login"]`
)

// sandboxAuthorizePath is where the forum's QQ login leads in standalone mode.
const sandboxAuthorizePath = "/sandbox/qq/oauth2.0/authorize"

// TestStandalone drives the standalone product (demo forum + QQ sandbox)
// through a real headless Chromium.
func TestStandalone(t *testing.T) {
	execPath := chromiumPath(t)
	start := time.Now()

	ctx, cancel := context.WithDeadline(context.Background(), suiteDeadline(t))
	t.Cleanup(cancel) // registered first, so it runs after the server and browser cleanups

	srv := startServer(ctx, t)
	b := startBrowser(ctx, t, execPath)

	t.Run("register_through_qq_then_unbind", func(t *testing.T) { testRegisterThroughQQ(t, srv, b) })
	t.Run("bind_existing_while_logged_in", func(t *testing.T) { testBindWhileLoggedIn(t, srv, b) })
	t.Run("bind_with_password_on_bind_page", func(t *testing.T) { testBindOnBindPage(t, srv, b) })
	t.Run("phone_layout", func(t *testing.T) { testPhoneLayout(t, srv, b) })
	t.Run("qq_guest_prompts", func(t *testing.T) { testQQGuest(t, srv, b) })

	t.Logf("end-to-end scenarios took %s", time.Since(start).Round(time.Millisecond))
}

// wantGuest checks that the forum index shows nobody logged in.
func wantGuest(p *tab) {
	p.t.Helper()
	if uid := p.attr(selCurrentUser, "data-uid"); uid != "0" {
		p.fatalf("forum shows uid %s logged in, want a guest", uid)
	}
	p.wantText(selCurrentUser, "游客")
	if !p.present(selQQLogin) {
		p.fatalf("a guest sees no QQ login button %s", selQQLogin)
	}
}

// wantMember checks that the forum index shows username logged in.
func wantMember(p *tab, username string) {
	p.t.Helper()
	if got := p.text(selCurrentUser); got != username {
		p.fatalf("forum shows %q logged in, want %q", got, username)
	}
	if uid := p.attr(selCurrentUser, "data-uid"); uid == "" || uid == "0" {
		p.fatalf("forum shows %s with uid %q", username, uid)
	}
}

// onSandbox checks the sandbox login page: it says plainly that it is not
// QQ, and it shows the phone layout exactly when mobile is true.
func onSandbox(p *tab, status int64, mobile bool) {
	p.t.Helper()
	p.wantPage(status, http.StatusOK, sandboxAuthorizePath)
	p.do("sandbox banner visible", chromedp.WaitVisible(chromedp.CSS(selSandboxBanner)))
	banner := p.text(selSandboxBanner)
	for _, want := range []string{"QQ 登录沙箱", "这不是 QQ", "QQ login sandbox", "this is not QQ"} {
		if !strings.Contains(banner, want) {
			p.fatalf("sandbox banner %q does not say %q", banner, want)
		}
	}
	if title := run(p, "title", chromedp.Title()); !strings.Contains(title, "这不是 QQ") {
		p.errorf("sandbox page title %q does not say it is not QQ", title)
	}
	loc := p.location()
	if got := loc.Query().Get("display") == "mobile"; got != mobile {
		p.fatalf("sandbox authorize URL %s: display=mobile is %v, want %v", loc, got, mobile)
	}
	if got := strings.Contains(" "+p.attr("body", "class")+" ", " mobile "); got != mobile {
		p.fatalf("sandbox body class %q: mobile layout is %v, want %v", p.attr("body", "class"), got, mobile)
	}
}

// authorizeNew creates a sandbox identity on the sandbox login page and
// authorizes it; it returns the status of the page the forum then shows.
func authorizeNew(p *tab, qq, nickname string) int64 {
	p.t.Helper()
	p.click(selSandboxNew)
	p.fill(selSandboxNewQQ, qq)
	p.fill(selSandboxNewNick, nickname)
	return p.clickNav(selSandboxLogin)
}

// authorizeExisting picks the sandbox identity with QQ number qq.
func authorizeExisting(p *tab, qq string) int64 {
	p.t.Helper()
	sel := `input[name=identity][value="` + qq + `"]`
	p.click(sel)
	if !run(p, "radio checked", chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked")) {
		p.fatalf("sandbox identity %s is not selected after clicking it", qq)
	}
	return p.clickNav(selSandboxLogin)
}

// onBindPage checks the bind/register page greets the QQ nickname.
func onBindPage(p *tab, status int64, wantStatus int64, nickname string) {
	p.t.Helper()
	p.wantPage(status, wantStatus, "/connect/qq/bind")
	p.wantText(selBindHeading, nickname)
}

// Scenario 1: a guest registers a new forum account through QQ, then sets a
// password and unbinds QQ.
func testRegisterThroughQQ(t *testing.T, srv *server, b *browser) {
	p := b.newTab(t)
	p.open(srv.URL + "/")
	wantGuest(p)

	onSandbox(p, p.clickNav(selQQLogin), false)
	const nick = "E2E注册者"
	onBindPage(p, authorizeNew(p, "20001", nick), http.StatusOK, nick)
	p.screenshot("bind-desktop")

	const username, email = "e2ereg", "e2ereg@example.com"
	p.fill(selRegUser, username)
	p.fill(selRegEmail, email)
	p.wantPage(p.clickNav(selRegSubmit), http.StatusOK, "/")
	wantMember(p, username)
	p.wantText(selFlash, "注册成功")
	p.wantText("main", "已绑定QQ「"+nick+"」")
	p.screenshot("index-desktop")

	// Unbind: an account made through QQ must set a password first.
	p.wantPage(p.clickNav(selManageBinding), http.StatusOK, "/connect/qq/unbind")
	p.wantText("main", username)
	p.wantText("main", "设置登录密码")
	const password = "E2e-Passw0rd!"
	p.fill(selUnbindPass1, password)
	p.fill(selUnbindPass2, password)
	p.wantPage(p.clickNav(selUnbindSubmit), http.StatusOK, "/")
	p.wantText(selFlash, "已解除QQ绑定")
	wantGuest(p)

	// The password set while unbinding is the account's password now.
	p.click(selPasswordLogin)
	p.fill(selLoginUser, username)
	p.fill(selLoginPass, password)
	p.wantPage(p.clickNav(selLoginSubmit), http.StatusOK, "/")
	wantMember(p, username)
	if !p.present(selBindQQButton) || p.present(selManageBinding) {
		p.fatalf("after unbinding, %s should be offered a QQ bind button and no binding to manage", username)
	}
}

// Scenario 2: alice logs in with her password, binds a sandbox QQ identity,
// logs out, and logs in again through QQ alone.
func testBindWhileLoggedIn(t *testing.T, srv *server, b *browser) {
	alice := srv.member(t, "alice")
	p := b.newTab(t)
	p.open(srv.URL + "/")
	wantGuest(p)

	p.click(selPasswordLogin)
	p.fill(selLoginUser, alice.Username)
	p.fill(selLoginPass, alice.Password)
	p.wantPage(p.clickNav(selLoginSubmit), http.StatusOK, "/")
	wantMember(p, alice.Username)
	p.wantText(selBindQQButton, "绑定QQ")

	onSandbox(p, p.clickNav(selBindQQButton), false)
	const qq, nick = "10001", "沙箱企鹅" // a seeded identity, not the one scenario 1 created
	p.wantPage(authorizeExisting(p, qq), http.StatusOK, "/")
	wantMember(p, alice.Username)
	p.wantText(selFlash, "QQ绑定成功")
	p.wantText("main", "已绑定QQ「"+nick+"」")

	p.wantPage(p.clickNav(selLogout), http.StatusOK, "/")
	wantGuest(p)

	onSandbox(p, p.clickNav(selQQLogin), false)
	p.wantPage(authorizeExisting(p, qq), http.StatusOK, "/")
	wantMember(p, alice.Username)
	p.wantText("main", "已绑定QQ「"+nick+"」")
}

// Scenario 3: a new QQ identity links bob's account with bob's password on
// the bind page, after one wrong password.
func testBindOnBindPage(t *testing.T, srv *server, b *browser) {
	bob := srv.member(t, "bob")
	p := b.newTab(t)
	p.open(srv.URL + "/")
	wantGuest(p)

	onSandbox(p, p.clickNav(selQQLogin), false)
	const nick = "E2E鲍勃"
	onBindPage(p, authorizeNew(p, "20003", nick), http.StatusOK, nick)
	if p.present(selBindError) {
		p.fatalf("the bind page shows an error before any attempt")
	}

	p.fill(selBindUser, bob.Username)
	p.fill(selBindPass, "wrong-"+bob.Password)
	onBindPage(p, p.clickNav(selBindSubmit), http.StatusUnprocessableEntity, nick)
	p.wantText(selBindError, "用户名或密码错误")
	if got := p.value(selBindUser); got != bob.Username {
		p.fatalf("after a wrong password the username field holds %q, want %q kept", got, bob.Username)
	}
	if got := p.value(selBindPass); got != "" {
		p.errorf("after a wrong password the password field still holds %d characters", len(got))
	}

	p.fill(selBindPass, bob.Password)
	p.wantPage(p.clickNav(selBindSubmit), http.StatusOK, "/")
	wantMember(p, bob.Username)
	p.wantText(selFlash, "QQ绑定成功")
	p.wantText("main", "已绑定QQ「"+nick+"」")
}

// Scenario 4: on a phone the QQ login asks the sandbox for its mobile page,
// and no page of the flow scrolls sideways.
func testPhoneLayout(t *testing.T, srv *server, b *browser) {
	p := b.newTab(t)
	p.do("emulate an iPhone 12 (390x844, mobile UA)", chromedp.Emulate(device.IPhone12))
	p.open(srv.URL + "/")
	wantGuest(p)
	noSideScroll := func(page string) {
		t.Helper()
		if o := p.overflow(); o != "" {
			p.errorf("%s scrolls sideways on a phone: %s", page, o)
		}
	}
	noSideScroll("forum index (guest)")

	onSandbox(p, p.clickNav(selQQLogin), true)
	noSideScroll("sandbox login page")
	p.screenshot("sandbox-phone")

	const nick = "E2E手机用户"
	onBindPage(p, authorizeNew(p, "20004", nick), http.StatusOK, nick)
	noSideScroll("bind page")
	p.screenshot("bind-phone")

	const username = "e2ephone"
	p.fill(selRegUser, username)
	p.fill(selRegEmail, "e2ephone@example.com")
	p.wantPage(p.clickNav(selRegSubmit), http.StatusOK, "/")
	wantMember(p, username)
	noSideScroll("forum index (logged in)")
	p.screenshot("index-phone")
}

// Scenario 5: a QQ user who leaves the bind page is the forum's QQ游客
// (Discuz's con_auth_hash): the forum shows the QQ nickname with Discuz's
// 完善账号信息 / 绑定已有账号 prompts, and 完善账号信息 leads back to the
// register form, which still works.
func testQQGuest(t *testing.T, srv *server, b *browser) {
	p := b.newTab(t)
	p.open(srv.URL + "/")
	wantGuest(p)

	onSandbox(p, p.clickNav(selQQLogin), false)
	const nick = "E2E游客"
	onBindPage(p, authorizeNew(p, "20005", nick), http.StatusOK, nick)

	p.open(srv.URL + "/")
	p.wantText(selCurrentUser, "QQ游客")
	p.wantText(selQQGuest, nick)
	p.wantText(selGuestPrompt, "完善账号信息")
	p.wantText(selGuestPrompt, "绑定已有账号")

	onBindPage(p, p.clickNav(selGuestRegister), http.StatusOK, nick)
	if got := p.location().Query().Get("tab"); got != "register" {
		p.errorf("完善账号信息 led to %s, want the register tab", p.location())
	}
	const username = "e2eguest"
	p.fill(selRegUser, username)
	p.fill(selRegEmail, "e2eguest@example.com")
	p.wantPage(p.clickNav(selRegSubmit), http.StatusOK, "/")
	wantMember(p, username)
	if p.present(selGuestPrompt) {
		p.fatalf("a registered member still sees the QQ游客 prompts")
	}
}
