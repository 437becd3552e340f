package app

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"qqconnect/discuz"
)

// setCookie is the Set-Cookie of name in resp, or nil.
func setCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// jarCookie is the value of name the browser holds for the site ("" = none).
func (b *browser) jarCookie(name string) string {
	u, _ := url.Parse(b.s.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// restart is the browser closed and opened again: its session cookies
// (qqconnect's own session) are gone, and so is qqc_pending here, so only
// Discuz's day-long QQ游客 cookies remain.
func (b *browser) restart() {
	u, _ := url.Parse(b.s.URL)
	var keep []*http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, discuz.CookiePrefix(b.s.Pre, "/", "")) {
			keep = append(keep, &http.Cookie{Name: c.Name, Value: c.Value, Path: "/", MaxAge: 3600})
		}
	}
	b.c.Jar, _ = cookiejar.New(nil)
	b.c.Jar.SetCookies(u, keep)
}

// TestQQGuest (issue 14 item 3): an unbound QQ user is Discuz's QQ游客
// while deciding, as connect_login.php makes it: con_auth_hash opens with
// the browser's saltkey to the openid, connect_qq_nick names the guest,
// both a day, and the pending identity lives as long. member.php?mod=connect
// (the forum's 完善账号信息 / 绑定已有账号 prompts) leads to the bind page,
// which works from the QQ游客 cookie alone after the browser restarted, as
// Discuz's member_connect.php does, while the guest row exists and the QQ
// is neither banned nor bound. Binding or registering ends the guest state.
func TestQQGuest(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			name := func(short string) string { return discuz.CookieName(s.Pre, "/", "", short) }
			const nick = "企鹅𠀀小明🐧"
			if _, err := s.QQ.AddIdentity("64001", nick); err != nil {
				t.Fatal(err)
			}
			openid := sandboxOpenID(s, "64001")
			b := s.browser()
			start := time.Now()
			resp, body := b.qqLoginAs("64001", "/forum.php")
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/connect/qq/bind" {
				t.Fatalf("callback: %d %.300s", resp.StatusCode, body)
			}
			salt := setCookie(resp, name("saltkey"))
			hash := setCookie(resp, name(discuz.GuestHashCookie))
			nickCk := setCookie(resp, name(discuz.GuestNickCookie))
			pending := setCookie(resp, "qqc_pending")
			switch {
			case salt == nil || len(salt.Value) != 8 || !salt.HttpOnly:
				t.Fatalf("saltkey = %v: a browser without one gets one", salt)
			case hash == nil || hash.MaxAge != discuz.LifeGuest || !hash.HttpOnly || hash.Path != "/":
				t.Fatalf("con_auth_hash = %v, want a day, HttpOnly, path /", hash)
			case nickCk == nil || nickCk.MaxAge != discuz.LifeGuest || nickCk.Value != url.QueryEscape(nick):
				t.Fatalf("connect_qq_nick = %v, want %q for a day", nickCk, url.QueryEscape(nick))
			case pending == nil || pending.MaxAge != discuz.LifeGuest:
				t.Fatalf("qqc_pending = %v, want a day", pending)
			}
			got, err := discuz.ParseGuestAuthHash(hash.Value, s.Authkey, salt.Value, time.Now())
			if err != nil || got != openid {
				t.Fatalf("con_auth_hash opens to %q, %v; want %s", got, err, openid)
			}
			if n := s.count("SELECT COUNT(*) FROM pre_qqconnect_pending WHERE openid = ? AND expires_at >= ?", openid, start.Unix()+discuz.LifeGuest); n != 1 {
				t.Fatalf("%d pending rows living a day, want 1", n)
			}
			var guestNick string
			if err := s.DB.SQL.QueryRow("SELECT conqqnick FROM pre_common_connect_guest WHERE conopenid = ?", openid).Scan(&guestNick); err != nil || guestNick == "" {
				t.Fatalf("guest row: %q, %v", guestNick, err)
			}

			// A browser that already has a saltkey keeps it.
			kept := s.browser()
			u, _ := url.Parse(s.URL)
			kept.c.Jar.SetCookies(u, []*http.Cookie{{Name: name("saltkey"), Value: "Kp3dEf9H", Path: "/"}})
			s.QQ.AddIdentity("64002", "第二位")
			resp, _ = kept.qqLoginAs("64002", "/")
			if setCookie(resp, name("saltkey")) != nil {
				t.Error("the browser's saltkey was replaced")
			}
			if got, err := discuz.ParseGuestAuthHash(setCookie(resp, name(discuz.GuestHashCookie)).Value, s.Authkey, "Kp3dEf9H", time.Now()); err != nil || got != sandboxOpenID(s, "64002") {
				t.Errorf("con_auth_hash with the browser's saltkey opens to %q, %v", got, err)
			}

			// The forum's prompts: 完善账号信息 (register first) and 绑定已有账号.
			for path, want := range map[string]string{
				"/member.php?mod=connect":                       "/connect/qq/bind?tab=register",
				"/member.php?mod=connect&ac=bind":               "/connect/qq/bind",
				"/member.php?mod=connect&action=login&referer=": "/connect/qq/bind",
			} {
				resp, _ := b.get(path)
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
					t.Errorf("GET %s: %d → %q, want 303 → %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
				}
			}
			if resp, _ := b.get("/member.php?mod=register"); resp.StatusCode == http.StatusSeeOther {
				t.Error("member.php?mod=register was taken over; only mod=connect is qqconnect's")
			}

			// After a browser restart only Discuz's cookies are left: the bind
			// page recovers the identity from them, one record however often.
			for i := 0; i < 3; i++ {
				b.restart()
				resp, body = b.get("/connect/qq/bind?tab=register")
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "欢迎，"+guestNick) {
					t.Fatalf("bind page from the QQ游客 cookie: %d %.300s", resp.StatusCode, body)
				}
			}
			if n := s.count("SELECT COUNT(*) FROM pre_qqconnect_pending WHERE openid = ?", openid); n != 1 {
				t.Errorf("%d pending rows for the openid after three recoveries, want 1", n)
			}

			// Not from a cookie made for another browser's saltkey.
			thief := s.browser()
			thief.c.Jar.SetCookies(u, []*http.Cookie{{Name: name("saltkey"), Value: "Zz9yXw8V", Path: "/"},
				{Name: name(discuz.GuestHashCookie), Value: hash.Value, Path: "/"}})
			if resp, body := thief.get("/connect/qq/bind"); !strings.Contains(body, "QQ登录信息已过期") {
				t.Errorf("a con_auth_hash under another saltkey opened the bind page: %d %.300s", resp.StatusCode, body)
			}

			// Registering ends the QQ游客 state.
			resp, body = b.post("/connect/qq/bind?tab=register", "/connect/qq/register", url.Values{"username": {"qqyk" + v[1:2] + v[3:4]}, "email": {"gr@example.com"}})
			if resp.StatusCode != http.StatusSeeOther || b.discuzLogin() == 0 {
				t.Fatalf("register from the recovered identity: %d %s", resp.StatusCode, alertOf(body))
			}
			if ck := setCookie(resp, name(discuz.GuestHashCookie)); ck == nil || ck.MaxAge >= 0 {
				t.Errorf("register left con_auth_hash: %v", ck)
			}
			if n := s.count("SELECT COUNT(*) FROM pre_common_connect_guest WHERE conopenid = ?", openid); n != 0 {
				t.Errorf("%d guest rows after register", n)
			}
			// The old cookie of a bound QQ recovers nothing.
			stale := s.browser()
			stale.c.Jar.SetCookies(u, []*http.Cookie{{Name: name("saltkey"), Value: salt.Value, Path: "/"},
				{Name: name(discuz.GuestHashCookie), Value: hash.Value, Path: "/"}})
			if _, body := stale.get("/connect/qq/bind"); !strings.Contains(body, "QQ登录信息已过期") {
				t.Errorf("the QQ游客 cookie of a bound QQ opened the bind page: %.300s", body)
			}

			// A QQ banned meanwhile gets Discuz's refusal, not the form.
			kept.restart()
			s.DB.Exec(t, "INSERT INTO pre_common_uin_black (uin, uid, dateline) VALUES (?, 999, 0)", sandboxOpenID(s, "64002"))
			if _, body := kept.get("/connect/qq/bind"); !strings.Contains(body, "此QQ账号已被本站屏蔽") {
				t.Errorf("a banned QQ游客 got: %.300s", body)
			}
		})
	}
}

// alertOf is the page's alert text, for failure messages.
func alertOf(body string) string {
	if i := strings.Index(body, `role="alert">`); i >= 0 {
		body = body[i:]
		if j := strings.Index(body, "</div>"); j >= 0 {
			return body[:j]
		}
	}
	return body
}

// TestQQGuestDemoForum: the standalone demo forum shows a QQ游客 as
// Discuz's header does (the nickname, the two prompts), and the prompts
// lead to the bind page.
func TestQQGuestDemoForum(t *testing.T) {
	s := standaloneSite(t)
	b := s.browser()
	if _, body := b.get("/"); strings.Contains(body, "QQ游客") {
		t.Fatalf("a plain visitor is shown as a QQ游客")
	}
	b.qqLogin("64101", "/")
	_, body := b.get("/")
	if !strings.Contains(body, `id="qq-guest">企鹅64101<`) || !strings.Contains(body, `href="/member.php?mod=connect&amp;ac=bind"`) {
		t.Fatalf("demo forum for a QQ游客: %.600s", body)
	}
	resp, _ := b.get("/member.php?mod=connect")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("member.php?mod=connect: %d", resp.StatusCode)
	}
	if resp, body := b.get(resp.Header.Get("Location")); resp.StatusCode != http.StatusOK || !strings.Contains(body, "欢迎，企鹅64101") {
		t.Fatalf("bind page: %d", resp.StatusCode)
	}
}
