package app

import (
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"qqconnect/internal/testdb"
)

// adminSite is a test site whose database carries a real X3.5 setting cache
// (the qqconnect-on fixture) and a forum administrator.
func adminSite(t *testing.T) (*testSite, *browser) {
	t.Helper()
	s := newTestSite(t, testdb.X35, nil)
	s.DB.LoadFile(t, filepath.Join(testdb.SharedDir(t), "discuz", "x3.5", "fixtures", "x35-qqconnect-on-syscache.sql"))
	uid := s.addMember("root", "root-pw-123", 1)
	s.DB.Exec(t, "UPDATE pre_common_member SET adminid=1 WHERE uid=?", uid)
	return s, s.browser()
}

func (b *browser) adminLogin(user, pw string) (*http.Response, string) {
	return b.do(http.MethodPost, "/admin/login", url.Values{"username": {user}, "password": {pw}, "next": {"/admin/"}}, nil)
}

var auditRe = regexp.MustCompile(`^/admin/audit/(\d+)$`)

func TestAdminAccess(t *testing.T) {
	s, b := adminSite(t)
	s.addMember("member", "member-pw-1", 10)

	// Not signed in: pages redirect to the sign-in form, POSTs are refused.
	if resp, _ := b.get("/admin/doctor"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
		t.Fatalf("anonymous /admin/doctor: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A normal member cannot sign in.
	if resp, body := b.adminLogin("member", "member-pw-1"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "不是论坛管理员") {
		t.Fatalf("member sign-in: %d %.300s", resp.StatusCode, body)
	}
	// A cross-site sign-in POST is refused.
	if resp, _ := b.do(http.MethodPost, "/admin/login", url.Values{"username": {"root"}, "password": {"root-pw-123"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign-in: %d", resp.StatusCode)
	}
	resp, body := b.adminLogin("root", "root-pw-123")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin sign-in: %d %.300s", resp.StatusCode, body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "qqc_admin" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/admin" {
		t.Fatalf("admin cookie flags: %+v", cookie)
	}
	if resp, body := b.get("/admin/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "QQ登录现在能用吗") {
		t.Fatalf("dashboard: %d %.300s", resp.StatusCode, body)
	}
	if _, body := b.get("/admin/doctor"); !strings.Contains(body, "check-plugin_row") || strings.Contains(body, s.AppKey) {
		t.Fatalf("doctor page: lacks checks or leaks the AppKey")
	}

	before := s.checksum()
	form := url.Values{"confirm": {"yes"}}
	// No CSRF token.
	if resp, _ := b.do(http.MethodPost, "/admin/repair/clear-app-key", form, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("repair without CSRF token: %d", resp.StatusCode)
	}
	// Password entered more than 5 minutes ago: a repair needs it again.
	s.DB.Exec(t, "UPDATE pre_qqconnect_admin_session SET reauth_at = 0")
	token := csrfOf(b, "/admin/repair/clear-app-key")
	form.Set("_csrf", token)
	if resp, _ := b.do(http.MethodPost, "/admin/repair/clear-app-key", form, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("repair without re-authentication: %d", resp.StatusCode)
	}
	form.Set("password", "wrong")
	if resp, _ := b.do(http.MethodPost, "/admin/repair/clear-app-key", form, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("repair with a wrong password: %d", resp.StatusCode)
	}
	if s.checksum() != before || s.count("SELECT count(*) FROM pre_common_setting WHERE skey='connectappid' AND svalue<>''") != 1 {
		t.Fatal("a refused repair changed something")
	}
	form.Set("password", "root-pw-123")
	resp, body = b.do(http.MethodPost, "/admin/repair/clear-app-key", form, nil)
	m := auditRe.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("repair: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if n := s.count("SELECT count(*) FROM pre_common_setting WHERE skey IN ('connectappid','connectappkey') AND svalue=''"); n != 2 {
		t.Fatalf("clear-app-key left %d empty rows, want 2", n)
	}
	if n := s.count("SELECT count(*) FROM pre_qqconnect_audit WHERE id=? AND action='clear-app-key' AND actor_name='root' AND source='web' AND actor_ip<>''", m[1]); n != 1 {
		t.Fatal("audit record missing")
	}
	_, page := b.get("/admin/audit/" + m[1])
	if !strings.Contains(page, "connectappid") || !strings.Contains(page, "101234567") {
		t.Fatalf("audit page lacks before/after: %.500s", page)
	}
	// Undo restores the previous values.
	resp, _ = b.do(http.MethodPost, "/admin/audit/"+m[1]+"/undo", url.Values{"_csrf": {token}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo: %d", resp.StatusCode)
	}
	if n := s.count("SELECT count(*) FROM pre_common_setting WHERE skey='connectappid' AND svalue='101234567'"); n != 1 {
		t.Fatal("undo did not restore connectappid")
	}
	// Undoing twice is refused.
	if resp, _ := b.do(http.MethodPost, "/admin/audit/"+m[1]+"/undo", url.Values{"_csrf": {token}}, nil); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a second undo of the same entry was accepted")
	}

	// Idle for more than 30 minutes: signed out.
	s.DB.Exec(t, "UPDATE pre_qqconnect_admin_session SET last_seen = last_seen - 1801")
	if resp, _ := b.get("/admin/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("idle session still accepted: %d", resp.StatusCode)
	}
}

func TestAdminSignInRateLimit(t *testing.T) {
	s, b := adminSite(t)
	for i := 0; i < 5; i++ {
		b.adminLogin("root", "nope")
	}
	if resp, _ := b.adminLogin("root", "root-pw-123"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("6th sign-in for one account: %d, want 429", resp.StatusCode)
	}
	if n := s.count("SELECT count(*) FROM pre_qqconnect_admin_session"); n != 0 {
		t.Fatalf("%d sessions after refused sign-ins", n)
	}
}

// TestAdminMembers: find a member, see the binding, unbind and ban through
// the admin page; both are audited and undoable.
func TestAdminMembers(t *testing.T) {
	s, adminB := adminSite(t)
	uid := s.addMember("frank", "frank-pw-1", 10)
	b := s.browser()
	b.qqLogin("33001", "/")
	if resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"frank"}, "password": {"frank-pw-1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bind: %d %.300s", resp.StatusCode, body)
	}
	if resp, _ := adminB.adminLogin("root", "root-pw-123"); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("admin sign-in failed")
	}
	openid := strings.ToUpper(sandboxOpenID(s, "33001"))
	// Without a query: the list of bound members; frank bound an existing account.
	if _, page := adminB.get("/admin/members"); !strings.Contains(page, openid) || !strings.Contains(page, `?q=`+itoa(uid)+`"`) {
		t.Fatalf("the bindings list lacks frank: %.600s", page)
	}
	if _, page := adminB.get("/admin/members?registered=1"); strings.Contains(page, openid) {
		t.Fatal("the list of accounts created through QQ shows frank, who bound an existing account")
	}
	for _, q := range []string{"frank", openid, "fra"} {
		_, page := adminB.get("/admin/members?q=" + url.QueryEscape(q))
		if !strings.Contains(page, openid) || !strings.Contains(page, "企鹅33001") {
			t.Fatalf("search %q does not show the binding: %.400s", q, page)
		}
	}
	token := csrfOf(adminB, "/admin/members?q=frank")
	resp, _ := adminB.do(http.MethodPost, "/admin/members/"+itoa(uid)+"/blacklist", url.Values{"_csrf": {token}}, nil)
	m := auditRe.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("blacklist: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if s.count("SELECT count(*) FROM pre_common_uin_black WHERE uin=? AND uid=?", openid, uid) != 1 ||
		s.count("SELECT count(*) FROM pre_common_member_connect WHERE uid=?", uid) != 0 ||
		s.count("SELECT count(*) FROM pre_connect_memberbindlog WHERE uid=? AND type=2", uid) != 1 {
		t.Fatal("unbind + ban rows not as Discuz writes them")
	}
	// The banned QQ can no longer log in.
	if _, body := s.browser().qqLogin("33001", "/"); !strings.Contains(body, "此QQ账号已被本站屏蔽") {
		t.Fatal("banned QQ still logs in")
	}
	// Unbound now, the member is still found by the openid, with the ban and its lift button.
	if _, page := adminB.get("/admin/members?q=" + openid); !strings.Contains(page, "/admin/members/"+itoa(uid)+"/unban") || !strings.Contains(page, "已禁止") {
		t.Fatalf("the banned member's page offers no 取消QQ黑名单: %.600s", page)
	}
	// Lifting the ban (audited, undoable) lets the QQ log in again, as a QQ user to bind.
	resp, _ = adminB.do(http.MethodPost, "/admin/members/"+itoa(uid)+"/unban", url.Values{"_csrf": {token}}, nil)
	lift := auditRe.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || lift == nil || s.count("SELECT count(*) FROM pre_common_uin_black") != 0 {
		t.Fatalf("unban: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := s.browser().qqLogin("33001", "/"); resp.Header.Get("Location") != "/connect/qq/bind" {
		t.Fatalf("after the ban was lifted the QQ does not log in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := adminB.do(http.MethodPost, "/admin/audit/"+lift[1]+"/undo", url.Values{"_csrf": {token}}, nil); resp.StatusCode != http.StatusSeeOther ||
		s.count("SELECT count(*) FROM pre_common_uin_black WHERE uin=? AND uid=?", openid, uid) != 1 {
		t.Fatalf("undo of the unban: %d", resp.StatusCode)
	}
	if resp, _ := adminB.do(http.MethodPost, "/admin/audit/"+m[1]+"/undo", url.Values{"_csrf": {token}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo ban: %d", resp.StatusCode)
	}
	if s.count("SELECT count(*) FROM pre_common_uin_black") != 0 || s.count("SELECT count(*) FROM pre_common_member_connect WHERE uid=? AND conopenid=?", uid, openid) != 1 {
		t.Fatal("undo did not restore the binding")
	}
	// A cloud-era binding (OAuth 1.0 token kept in conuin) is marked as legacy, its token never shown.
	if _, page := adminB.get("/admin/members?q=frank"); strings.Contains(page, "云平台时代绑定") {
		t.Fatal("an OAuth 2.0 binding is shown as legacy")
	}
	s.DB.Exec(t, "UPDATE pre_common_member_connect SET conuin='LEGACYTOKEN0123456789ABCDEF', conuinsecret='legacysecret0001' WHERE uid=?", uid)
	if _, page := adminB.get("/admin/members?q=frank"); !strings.Contains(page, "云平台时代绑定") || strings.Contains(page, "LEGACYTOKEN") || strings.Contains(page, "legacysecret") {
		t.Fatal("legacy binding not marked, or its OAuth 1.0 token shown")
	}
}
