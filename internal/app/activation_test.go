package app

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"qqconnect/discuz"
	"qqconnect/internal/testdb"
	"qqconnect/internal/testsmtp"
)

const mailPassword = "Pw-secret-1"

// setMail stores pre_common_setting.mail as Discuz's admin panel saves it
// (mailsend 2, one SMTP server with AUTH, a From with a Chinese name), in
// the site's bytes.
func setMail(t *testing.T, s *testSite, charset string, mailsend, port int) {
	t.Helper()
	srv := discuz.NewArray()
	for _, kv := range [][2]string{{"server", "127.0.0.1"}, {"port", fmt.Sprint(port)}, {"timeout", "5"}, {"auth", "1"},
		{"from", "论坛 <bot@forum.example>"}, {"auth_username", "bot@forum.example"}, {"auth_password", mailPassword}, {"precedence", ""}} {
		srv.Arr.Set(kv[0], discuz.Str(kv[1]))
	}
	list := discuz.NewArray()
	list.Arr.Set("0", srv)
	mail := discuz.NewArray()
	mail.Arr.Set("mailsend", discuz.Str(fmt.Sprint(mailsend)))
	mail.Arr.Set("smtp", list)
	mail.Arr.Set("maildelimiter", discuz.Str("1"))
	mail.Arr.Set("mailusername", discuz.Str("1"))
	mail.Arr.Set("sendmail_silent", discuz.Str("1"))
	raw, err := testdb.SiteSerialized(discuz.Serialize(mail), charset)
	if err != nil {
		t.Fatal(err)
	}
	s.DB.Exec(t, "REPLACE INTO pre_common_setting (skey, svalue) VALUES ('mail', UNHEX(?))", hex.EncodeToString(raw))
}

// TestActivationMail (issue 14 #1): with regverify=1 and QQ registrations
// not exempt, a QQ registration gets Discuz's authstr and the email_verify
// mail through the forum's own SMTP setting (a real server on loopback),
// whose link misc_emailcheck.php accepts: the right uid, email and time, in
// the site's charset. SMTP down or a mail setting qqconnect cannot use:
// the account stays and the page says the mail failed. Exempt, or no
// regverify: no mail.
func TestActivationMail(t *testing.T) {
	cases := []struct{ version, charset, username string }{
		{testdb.X35, "utf-8", "mail_x35"},
		{testdb.X34, "utf-8", "mail_x34"},
		{testdb.X34, "gbk", "中文会员"},
	}
	for i, c := range cases {
		t.Run(c.version+"-"+c.charset, func(t *testing.T) {
			var s *testSite
			if c.charset == "gbk" {
				db := testdb.NewCharset(t, c.version, c.charset)
				root := db.DiscuzRoot(t, c.charset, "define('UC_CONNECT', 'mysql');\n")
				s = newTestSiteOn(t, db, map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_DB_DSN": ""}, nil)
			} else {
				s = newTestSite(t, c.version, nil)
			}
			siteBytes := func(v string) string { return testdb.ToSite(v, c.charset) }
			for k, v := range map[string]string{"regverify": "1", "bbname": "测试论坛", "sitename": "测试站点", "adminemail": "admin@forum.example"} {
				s.DB.Exec(t, "REPLACE INTO pre_common_setting (skey, svalue) VALUES (?, ?)", k, v)
			}
			exempt := func(on bool) {
				from, to := "1", "0"
				if on {
					from, to = "0", "1"
				}
				s.DB.Exec(t, "UPDATE pre_common_setting SET svalue=REPLACE(svalue, ?, ?) WHERE skey='connect'",
					`s:18:"register_regverify";s:1:"`+from+`"`, `s:18:"register_regverify";s:1:"`+to+`"`)
				s.settingsChanged()
			}
			exempt(false)
			smtp := testsmtp.Start(t, "bot@forum.example", mailPassword)
			setMail(t, s, c.charset, 2, smtp.Port)

			qq := 49000 + i*10
			register := func(name, email string) (*http.Response, string, *browser) {
				qq++
				b := s.browser()
				b.qqLogin(fmt.Sprint(qq), "/forum.php")
				resp, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {name}, "email": {email}})
				if strings.Contains(body, mailPassword) {
					t.Fatal("the SMTP password is on the page")
				}
				return resp, body, b
			}
			member := func(name string) (uid, groupid, regdate int64, authstr string) {
				t.Helper()
				if err := s.DB.SQL.QueryRow(`SELECT m.uid, m.groupid, m.regdate, f.authstr FROM pre_common_member m
					JOIN pre_common_member_field_forum f ON f.uid = m.uid WHERE m.username = ?`, name).Scan(&uid, &groupid, &regdate, &authstr); err != nil {
					t.Fatalf("member %q: %v", name, err)
				}
				return
			}
			md5hex := func(v string) string { h := md5.Sum([]byte(v)); return hex.EncodeToString(h[:]) }

			email := "member" + fmt.Sprint(i) + "@example.com"
			resp, body, b := register(c.username, email)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "系统给您发送了一封激活邮件") || !strings.Contains(body, email) {
				t.Fatalf("register: %d %.600s", resp.StatusCode, body)
			}
			uid, groupid, regdate, authstr := member(c.username)
			// emailcheck_send(): "timestamp\t3\tsubstr(md5(email), 0, 6)", the registration's own time.
			if groupid != 8 || authstr != fmt.Sprintf("%d\t3\t%s", regdate, md5hex(email)[:6]) {
				t.Errorf("group %d authstr %q (regdate %d)", groupid, authstr, regdate)
			}
			if got := b.discuzLogin(); got != uid {
				t.Errorf("logged in as %d, want %d (Discuz logs the new member in)", got, uid)
			}
			resend := false // register_ctl's dsetcookie('resendemail', TIMESTAMP), a session cookie
			for _, ck := range resp.Cookies() {
				resend = resend || strings.HasSuffix(ck.Name, "_resendemail") && ck.Value != "" && ck.MaxAge == 0
			}
			if !resend {
				t.Error("no resendemail cookie")
			}
			msgs := smtp.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d mails", len(msgs))
			}
			m := msgs[0]
			if m.User != "bot@forum.example" || m.Pass != mailPassword || m.From != "bot@forum.example" || len(m.Rcpt) != 1 || m.Rcpt[0] != email {
				t.Errorf("SMTP conversation %+v", m)
			}
			head, rawBody, ok := bytes.Cut(m.Data, []byte("\r\n\r\n"))
			if !ok {
				t.Fatalf("mail %q", m.Data)
			}
			headers := map[string]string{}
			for _, l := range strings.Split(string(head), "\r\n") {
				k, v, _ := strings.Cut(l, ": ")
				headers[k] = v
			}
			word := func(v string) string {
				return "=?" + c.charset + "?B?" + base64.StdEncoding.EncodeToString([]byte(siteBytes(v))) + "?="
			}
			if headers["Subject"] != word("[测试站点] Email 地址验证") || headers["To"] != email ||
				headers["From"] != siteBytes("论坛 <bot@forum.example>") || headers["Content-type"] != "text/html; charset="+c.charset ||
				headers["Content-Transfer-Encoding"] != "base64" || !strings.HasPrefix(headers["X-Mailer"], "Discuz! X3.") {
				t.Errorf("headers %q", headers)
			}
			body8, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(rawBody)))
			if err != nil {
				t.Fatal(err)
			}
			if c.charset == "gbk" && utf8.Valid(body8) {
				t.Error("the body of a GBK site's mail is UTF-8")
			}
			text, err := discuz.FromCharset(string(body8), strings.Replace(c.charset, "utf-8", "utf8", 1))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{c.username + "，", "您只需点击下面的链接即可激活您的账号", "测试论坛 管理团队.<br />\r\n" + s.URL + "/</p>"} {
				if !strings.Contains(text, want) {
					t.Errorf("%q missing from the mail:\n%s", want, text)
				}
			}
			x35 := strings.Contains(text, `<meta charset="`+c.charset+`" />`)
			if x35 != (c.version == testdb.X35) {
				t.Errorf("X3.5 template on %s: %v", c.version, x35)
			}
			link := regexp.MustCompile(`<a href="([^"]+)"`).FindStringSubmatch(text)
			prefix := s.URL + "/home.php?mod=misc&amp;ac=emailcheck&amp;hash="
			if link == nil || !strings.HasPrefix(link[1], prefix) {
				t.Fatalf("link %q", link)
			}
			hash, _ := url.QueryUnescape(strings.TrimPrefix(link[1], prefix))
			plain, err := discuz.AuthcodeDecode(hash, md5hex(md5hex(s.Authkey)[:16]), time.Now())
			if want := fmt.Sprintf("%d\t%s\t%d", uid, email, regdate); err != nil || plain != want {
				t.Errorf("the link decodes to %q (%v), want %q", plain, err, want)
			}

			// SMTP down: the account stays, the page says the mail failed.
			setMail(t, s, c.charset, 2, testsmtp.DeadPort(t))
			resp, body, _ = register(c.username+"2", "down"+email)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "激活邮件发送失败，请联系管理员") {
				t.Errorf("SMTP down: %d %.600s", resp.StatusCode, body)
			}
			if _, g, rd, as := member(c.username + "2"); g != 8 || as != fmt.Sprintf("%d\t3\t%s", rd, md5hex("down" + email)[:6]) {
				t.Errorf("SMTP down: group %d authstr %q", g, as)
			}
			// A plugin sends the forum's mail: qqconnect cannot, and says so.
			setMail(t, s, c.charset, 4, smtp.Port)
			resp, body, _ = register(c.username+"3", "plugin"+email)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "激活邮件发送失败") || !strings.Contains(body, "通过插件发送") {
				t.Errorf("mailsend 4: %d %.600s", resp.StatusCode, body)
			}
			setMail(t, s, c.charset, 2, smtp.Port)
			// QQ registrations exempt (register_regverify), then no regverify: no mail, no authstr.
			exempt(true)
			if resp, body, _ := register(c.username+"4", "free"+email); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("exempt: %d %.300s", resp.StatusCode, body)
			}
			exempt(false)
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue='0' WHERE skey='regverify'")
			s.settingsChanged()
			if resp, body, _ := register(c.username+"5", "none"+email); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("regverify 0: %d %.300s", resp.StatusCode, body)
			}
			for _, n := range []string{c.username + "4", c.username + "5"} {
				if _, g, _, as := member(n); g == 8 || as != "" {
					t.Errorf("%s: group %d authstr %q", n, g, as)
				}
			}
			if n := len(smtp.Messages()); n != 1 {
				t.Errorf("%d mails in all, want the first one only", n)
			}
		})
	}
}
