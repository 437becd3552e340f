package app

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"qqconnect/internal/testdb"
)

var sealedRe = regexp.MustCompile(`name="sealed" value="([^"]+)"`)

// TestAdminConnectSettings: the QQ互联 settings editor shows the current
// values with Discuz's labels and choices; a POST without the CSRF token is
// refused; a bad group is refused on the form with what was typed; the
// preview lists every key; the confirmed change writes the connect row and
// its undo gives back the exact previous value.
func TestAdminConnectSettings(t *testing.T) {
	s, b := adminSite(t)
	s.DB.Exec(t, `REPLACE INTO pre_common_usergroup (groupid, type, grouptitle, allowvisit, color, stars) VALUES (20, 'special', 'QQ游客', 1, '', 0)`)
	if resp, _ := b.adminLogin("root", "root-pw-123"); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("admin sign-in failed")
	}
	const page = "/admin/repair/connect-settings"
	resp, body := b.get(page)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("editor: %d %.300s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"QQ注册用户初始用户组", "通过QQ注册后，用户的初始用户组", "Usergroup of members created through QQ",
		`<option value="20" selected>QQ游客 (20)</option>`, // guest_groupid is "20"
		`<option value="0" selected>普通用户`,                // register_groupid is "0"
		`<option value="1" selected>extcredits1 (威望)</option>`, `<option value="2">extcredits2 (金钱)</option>`,
		`name="allow" value="1" checked`, `name="newbiespan" value=""`, `action="/admin/repair/connect-settings/preview"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the editor lacks %s", want)
		}
	}
	if strings.Contains(body, s.AppKey) {
		t.Error("the editor shows the AppKey")
	}
	state := func() string {
		var out strings.Builder
		for _, q := range []string{"SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT(skey, '=', svalue))), 0) FROM pre_common_setting",
			"SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT(cname, '=', HEX(data)))), 0) FROM pre_common_syscache",
			"SELECT COUNT(*), 0 FROM pre_qqconnect_audit"} {
			var n, sum int64
			if err := s.DB.SQL.QueryRow(q).Scan(&n, &sum); err != nil {
				t.Fatal(err)
			}
			out.WriteString(strconv.FormatInt(n, 10) + "/" + strconv.FormatInt(sum, 10) + ";")
		}
		return out.String()
	}
	before := state()
	connect := func() string {
		var v string
		if err := s.DB.SQL.QueryRow("SELECT svalue FROM pre_common_setting WHERE skey='connect'").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	original := connect()

	form := url.Values{"register_groupid": {"20"}, "newbiespan": {"30"}, "allow": {"1"}}
	if resp, _ := b.do(http.MethodPost, page+"/preview", form, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("preview without CSRF token: %d", resp.StatusCode)
	}
	token := csrfOf(b, page)
	form.Set("_csrf", token)
	bad := url.Values{"_csrf": {token}, "register_groupid": {"99"}, "newbiespan": {"45"}}
	resp, body = b.do(http.MethodPost, page+"/preview", bad, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "用户组 99 不存在或不是特殊用户组") ||
		!strings.Contains(body, `name="newbiespan" value="45"`) || sealedRe.MatchString(body) {
		t.Fatalf("bad group: %d %.600s", resp.StatusCode, body)
	}
	resp, body = b.do(http.MethodPost, page+"/preview", form, nil)
	m := sealedRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, "connect[register_groupid]") || !strings.Contains(body, "connect[newbiespan]") ||
		strings.Contains(body, "connect[allow]") {
		t.Fatalf("preview: %d %.800s", resp.StatusCode, body)
	}
	if state() != before {
		t.Fatal("the preview or a refusal wrote something")
	}
	confirm := url.Values{"sealed": {html.UnescapeString(m[1])}, "confirm": {"yes"}, "password": {"root-pw-123"}}
	if resp, _ := b.do(http.MethodPost, page, confirm, nil); resp.StatusCode != http.StatusForbidden || state() != before {
		t.Fatalf("apply without CSRF token: %d", resp.StatusCode)
	}
	confirm.Set("_csrf", token)
	resp, body = b.do(http.MethodPost, page, confirm, nil)
	a := auditRe.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || a == nil {
		t.Fatalf("apply: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	want := strings.Replace(strings.Replace(testdb.ConnectSettingInstalled,
		`s:16:"register_groupid";s:1:"0";`, `s:16:"register_groupid";s:2:"20";`, 1),
		`s:10:"newbiespan";s:0:"";`, `s:10:"newbiespan";s:2:"30";`, 1)
	if original != testdb.ConnectSettingInstalled || connect() != want {
		t.Fatalf("connect after the editor:\n%s\nwant\n%s", connect(), want)
	}
	if n := s.count("SELECT count(*) FROM pre_qqconnect_audit WHERE id=? AND action='connect-settings' AND source='web' AND actor_name='root'", a[1]); n != 1 {
		t.Fatal("audit record missing")
	}
	if resp, _ := b.do(http.MethodPost, "/admin/audit/"+a[1]+"/undo", url.Values{"_csrf": {token}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo: %d", resp.StatusCode)
	}
	if connect() != original {
		t.Fatal("undo did not restore the exact connect value")
	}
}
