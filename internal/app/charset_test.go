package app

import (
	"encoding/hex"

	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"qqconnect/admin/doctor"
	"qqconnect/discuz"
	"qqconnect/internal/testdb"
	"qqconnect/plugin/sandbox"
)

// TestNonUTF8Sites (issue 10 part 2): on X3.4 converted to gbk and big5
// tables, a QQ user registers, logs in again, unbinds; the nickname and the
// username are stored in the site charset (MySQL converts from qqconnect's
// utf8mb4 connection) and read back the same; a character the charset
// lacks is dropped from the nickname; pages stay UTF-8.
func TestNonUTF8Sites(t *testing.T) {
	cases := []struct {
		charset, nick, storedNick, username string
	}{
		{"gbk", "企鹅小明🐧", "企鹅小明", "中文用户"},
		{"big5", "企鵝小明🐧", "企鵝小明", "繁體用戶"},
	}
	for _, c := range cases {
		t.Run(c.charset, func(t *testing.T) {
			db := testdb.NewCharset(t, testdb.X34, c.charset)
			var tableCharset string
			if err := db.SQL.QueryRow(`SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS
				WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'pre_common_connect_guest' AND COLUMN_NAME = 'conqqnick'`).Scan(&tableCharset); err != nil || tableCharset != c.charset {
				t.Fatalf("conqqnick charset %q, %v; want %s", tableCharset, err, c.charset)
			}
			// The connect setting as the edition stores it, with text in it
			// (PHP's byte counts are the site charset's).
			connectWithText := func(db *testdb.DB) map[string]string {
				arr, err := discuz.UnserializeArray([]byte(testdb.ConnectSettingInstalled))
				if err != nil {
					t.Fatal(err)
				}
				arr.Set("turl_code", discuz.Str("腾讯微博"))
				site, err := testdb.SiteSerialized(discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: arr}), c.charset)
				if err != nil {
					t.Fatal(err)
				}
				db.Exec(t, "UPDATE pre_common_setting SET svalue = UNHEX(?) WHERE skey = 'connect'", hex.EncodeToString(site))
				return nil
			}
			// qqconnect connects with config_global.php's own account and
			// dbcharset (no QQCONNECT_DB_DSN), as on a real site.
			root := db.DiscuzRoot(t, c.charset, "define('UC_CONNECT', 'mysql');\n")
			s := newTestSiteOn(t, db, map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_DB_DSN": ""}, connectWithText)
			// The doctor reads the plugin's modules and the connect setting
			// with the site's byte counts.
			for _, chk := range doctor.Run(t.Context(), DoctorEnv(s.Cfg, s.App, nil)).Checks {
				if (chk.ID == "plugin_row" || chk.ID == "connect_setting") && chk.Status != doctor.OK {
					t.Errorf("doctor %s: %s %s", chk.ID, chk.Status, chk.Detail)
				}
			}
			if s.Cfg.Charset != c.charset {
				t.Fatalf("site charset %q, want %q", s.Cfg.Charset, c.charset)
			}
			b := s.browser()
			if _, err := s.QQ.AddIdentity("99001", c.nick); err != nil {
				t.Fatal(err)
			}
			resp, body := b.qqLoginAs("99001", "/")
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/connect/qq/bind" {
				t.Fatalf("callback: %d %.300s", resp.StatusCode, body)
			}
			// The QQ游客's name for Discuz's header, in the site's bytes as PHP sets it.
			siteNick, _ := discuz.ToCharset(c.storedNick, c.charset)
			if ck := setCookie(resp, discuz.CookieName(s.Pre, "/", "", discuz.GuestNickCookie)); ck == nil || ck.Value != url.QueryEscape(siteNick) {
				t.Errorf("connect_qq_nick = %v, want %q", ck, url.QueryEscape(siteNick))
			}
			openid := sandbox.OpenID(s.AppID, "99001")
			var nick string
			var raw []byte
			if err := s.DB.SQL.QueryRow("SELECT conqqnick, CAST(conqqnick AS BINARY) FROM pre_common_connect_guest WHERE conopenid=?", openid).Scan(&nick, &raw); err != nil {
				t.Fatal(err)
			}
			want, err := discuz.ToCharset(c.storedNick, c.charset)
			if err != nil {
				t.Fatal(err)
			}
			if nick != c.storedNick || string(raw) != want {
				t.Fatalf("conqqnick reads %q (bytes % x), want %q stored as % x", nick, raw, c.storedNick, want)
			}
			resp, page := b.get("/connect/qq/bind")
			if !strings.Contains(resp.Header.Get("Content-Type"), "utf-8") || !strings.Contains(html.UnescapeString(page), c.nick) {
				t.Fatalf("bind page not UTF-8 with the whole nickname: %q", resp.Header.Get("Content-Type"))
			}
			resp, body = b.post(bindPath, "/connect/qq/register", url.Values{"username": {c.username}, "email": {"cs" + c.charset + "@example.com"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("register %q: %d %.400s", c.username, resp.StatusCode, body)
			}
			uid := b.discuzLogin()
			wantName, _ := discuz.ToCharset(c.username, c.charset)
			// The userstats cache is a blob in the site's bytes, as PHP serialized it.
			var stats []byte
			s.DB.SQL.QueryRow("SELECT data FROM pre_common_syscache WHERE cname = 'userstats'").Scan(&stats)
			if arr, err := discuz.UnserializeArray(stats); err != nil || arr.GetString("newsetuser") != wantName {
				t.Errorf("userstats %q (%v), want newsetuser in %s bytes", stats, err, c.charset)
			}
			for _, table := range []string{"pre_common_member", s.uc("members")} {
				var name string
				var rawName []byte
				if err := s.DB.SQL.QueryRow("SELECT username, CAST(username AS BINARY) FROM "+table+" WHERE uid=?", uid).Scan(&name, &rawName); err != nil {
					t.Fatal(err)
				}
				if name != c.username || strings.TrimRight(string(rawName), " ") != wantName {
					t.Errorf("%s.username reads %q (bytes % x), want %q in %s", table, name, rawName, c.username, c.charset)
				}
			}
			// A later QQ login from another browser; then unbind with a password.
			b2 := s.browser()
			if resp, body := b2.qqLoginAs("99001", "/"); resp.StatusCode != http.StatusFound || b2.discuzLogin() != uid {
				t.Fatalf("second login: %d %.300s", resp.StatusCode, body)
			}
			if resp, body := b2.post("/connect/qq/unbind", "/connect/qq/unbind", url.Values{"newpassword1": {"pw-12345"}, "newpassword2": {"pw-12345"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("unbind: %d %.300s", resp.StatusCode, body)
			}
			// The member logs in by the Chinese name typed in UTF-8.
			if resp, body := s.browser().adminLogin(c.username, "pw-12345"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "不是论坛管理员") {
				t.Fatalf("password check by a %s name: %d %.300s", c.charset, resp.StatusCode, body)
			}
		})
	}
}
