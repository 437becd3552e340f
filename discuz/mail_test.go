package discuz

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// mailSettingFixture is pre_common_setting.mail as X3.5's admin panel saves
// it: SMTP with AUTH, one server for qq.com recipients.
const mailSettingFixture = `a:6:{s:8:"mailsend";s:1:"2";s:13:"maildelimiter";s:1:"1";s:12:"mailusername";s:1:"1";s:15:"sendmail_silent";s:1:"1";s:4:"smtp";a:2:{i:0;a:8:{s:6:"server";s:14:"ssl://mx.local";s:4:"port";s:3:"465";s:7:"timeout";s:0:"";s:4:"auth";s:1:"1";s:4:"from";s:25:"Forum <bot@forum.example>";s:13:"auth_username";s:3:"bot";s:13:"auth_password";s:6:"s3cret";s:10:"precedence";s:6:"qq.com";}i:1;a:7:{s:6:"server";s:9:"127.0.0.1";s:4:"port";s:0:"";s:7:"timeout";s:1:"5";s:4:"auth";s:1:"0";s:4:"from";s:0:"";s:13:"auth_username";s:0:"";s:13:"auth_password";s:0:"";}}s:6:"plugin";s:0:"";}`

func TestParseMailSetting(t *testing.T) {
	a, err := UnserializeArray([]byte(mailSettingFixture))
	if err != nil {
		t.Fatal(err)
	}
	m := ParseMailSetting(a)
	if m.Send != MailSMTP || m.Delimiter != "\r\n" || !m.MailUsername || len(m.SMTP) != 2 {
		t.Fatalf("%+v", m)
	}
	s0, s1 := m.SMTP[0], m.SMTP[1]
	if addr, tls := s0.Addr(); addr != "mx.local:465" || !tls || !s0.Auth || s0.Timeout != 30*time.Second || s0.Password != "s3cret" {
		t.Errorf("server 0: %+v %s %v", s0, addr, tls)
	}
	if addr, tls := s1.Addr(); addr != "127.0.0.1:25" || tls || s1.Auth || s1.Timeout != 5*time.Second {
		t.Errorf("server 1 (port '' is 25, timeout 5): %+v %s", s1, addr)
	}
	if s, _ := m.pickSMTP("someone@qq.com"); s.Server != "ssl://mx.local" {
		t.Errorf("a qq.com recipient goes to the server listing qq.com, got %s", s.Server)
	}
	// The install default: mailsend 1, top-level keys ignored.
	def, _ := UnserializeArray([]byte(`a:3:{s:8:"mailsend";s:1:"1";s:6:"server";s:13:"smtp.21cn.com";s:13:"maildelimiter";s:1:"0";}`))
	if m := ParseMailSetting(def); m.Send != MailSendmail || len(m.SMTP) != 0 || m.Delimiter != "\n" {
		t.Errorf("install default: %+v", m)
	}
	if m := ParseMailSetting(&Array{}); m.Send != MailSendmail || !m.MailUsername {
		t.Errorf("no mail row: %+v", m)
	}
}

// splitMail returns the headers (unfolded map) and the decoded body.
func splitMail(t *testing.T, raw []byte, sep string) (map[string]string, []byte) {
	t.Helper()
	head, body, ok := bytes.Cut(raw, []byte(sep+sep))
	if !ok {
		t.Fatalf("no blank line in %q", raw)
	}
	h := map[string]string{}
	for _, l := range strings.Split(string(head), sep) {
		k, v, _ := strings.Cut(l, ": ")
		h[k] = strings.TrimSuffix(v, "\r") // mailsend 3: Discuz's CRLF headers after PHP's LF To/Subject
	}
	dec, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body)))
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return h, dec
}

func TestComposeMail(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	site := MailSite{Charset: "gbk", SiteName: "测试|站", AdminEmail: "admin@forum.example", Version: "X3.4", Host: "forum.example", TimeOffset: 8}
	html := "<p>您好，链接 http://x/?a=1&amp;b=2</p>\n第二行"
	gbk := func(s string) string { b, _ := simplifiedchinese.GBK.NewEncoder().String(s); return b }
	word := func(cs, s string) string {
		return "=?" + cs + "?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
	}

	cases := []struct {
		name                 string
		set                  MailSetting
		sep                  string
		from, envFrom, extra string
		transport            int
	}{
		{"smtp with AUTH: From as typed", MailSetting{Send: MailSMTP, SMTP: []SMTPServer{{Server: "127.0.0.1", Port: 25, Auth: true, From: "Bot <bot@forum.example>"}}},
			"\r\n", "Bot <bot@forum.example>", "bot@forum.example", "Date", MailSMTP},
		{"smtp without AUTH: the site's name and adminemail", MailSetting{Send: MailSMTP, SMTP: []SMTPServer{{Server: "127.0.0.1", Port: 25}}},
			"\r\n", word("gbk", gbk("测试|站")) + " <admin@forum.example>", "admin@forum.example", "Date", MailSMTP},
		{"sendmail, LF delimiter", MailSetting{Send: MailSendmail, Delimiter: "\n"}, "\n", word("gbk", gbk("测试|站")) + " <admin@forum.example>", "", "", MailSendmail},
		{"mailsend 3 off Windows: sendmail, From = adminemail", MailSetting{Send: MailPHPSMTP, Delimiter: "\n"}, "\n", "admin@forum.example", "", "", MailSendmail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ComposeMail(c.set, site, "member@example.com", EmailVerifySubject, html, now)
			if err != nil {
				t.Fatal(err)
			}
			if m.Transport != c.transport || m.Rcpt != "member@example.com" || m.EnvelopeFrom != c.envFrom || m.Helo != "forum.example" {
				t.Errorf("envelope %+v", m)
			}
			h, body := splitMail(t, m.Message, c.sep)
			if h["From"] != c.from || h["To"] != "member@example.com" || h["Content-type"] != "text/html; charset=gbk" ||
				h["Content-Transfer-Encoding"] != "base64" || h["X-Mailer"] != "Discuz! X3.4 " || h["MIME-Version"] != "1.0" {
				t.Errorf("headers %q", h)
			}
			// sendmail()'s subject: "[sitename] subject", newlines and '|' dropped, in the site's charset.
			if want := word("gbk", gbk("[测试站] Email 地址验证")); h["Subject"] != want {
				t.Errorf("subject %q, want %q", h["Subject"], want)
			}
			if want := gbk(strings.ReplaceAll(html, "\n", "\r\n")); string(body) != want {
				t.Errorf("body %q, want the GBK bytes with CRLF %q", body, want)
			}
			if c.extra == "Date" && (h["Date"] != "Wed, 04 Mar 2026 13:06:07 +0800" || !strings.HasPrefix(h["Message-ID"], "<202603041307.") || !strings.HasSuffix(h["Message-ID"], "@forum.example>")) {
				t.Errorf("SMTP Date/Message-ID in the site's zone: %q %q", h["Date"], h["Message-ID"])
			}
		})
	}
	if _, err := ComposeMail(MailSetting{Send: MailPlugin}, site, "a@b.c", "s", "x", now); !errors.Is(err, ErrMailByPlugin) {
		t.Errorf("mailsend 4: %v", err)
	}
	if _, err := ComposeMail(MailSetting{Send: MailSMTP}, site, "a@b.c", "s", "x", now); !errors.Is(err, ErrMailNoSMTP) {
		t.Errorf("SMTP without a server: %v", err)
	}
	// A Big5 site given simplified text: the body keeps it as character references.
	m, err := ComposeMail(MailSetting{Send: MailSendmail, Delimiter: "\n"}, MailSite{Charset: "big5", SiteName: "論壇"}, "a@b.c", "验证", "这", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, body := splitMail(t, m.Message, "\n"); string(body) != "&#36825;" {
		t.Errorf("big5 body %q", body)
	}
}

func TestActivationLink(t *testing.T) {
	const authkey = "0123456789abcdef"
	if got := ActivationAuthStr(1767225600, "member@example.com"); got != "1767225600\t3\t"+md5hex("member@example.com")[:6] {
		t.Errorf("authstr %q", got)
	}
	link, err := ActivationURL("http://forum.example/bbs/", authkey, 42, "member@example.com", 1767225600, bytes.NewReader([]byte{1, 2}))
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "http://forum.example/bbs/home.php?mod=misc&amp;ac=emailcheck&amp;hash="
	if !strings.HasPrefix(link, prefix) {
		t.Fatalf("link %q", link)
	}
	hash, err := url.QueryUnescape(strings.TrimPrefix(link, prefix))
	if err != nil {
		t.Fatal(err)
	}
	// misc_emailcheck.php's decode: authcode(hash, DECODE, md5(substr(md5(authkey), 0, 16))).
	plain, err := AuthcodeDecode(hash, md5hex(md5hex(authkey)[:16]), time.Now())
	if err != nil || plain != "42\tmember@example.com\t1767225600" {
		t.Errorf("decoded %q, %v", plain, err)
	}
	for _, x35 := range []bool{false, true} {
		h := EmailVerifyHTML(x35, ActivationVars{Username: "小明", BBName: "论坛", SiteURL: "http://forum.example/bbs/", URL: link, Charset: "gbk"})
		for _, want := range []string{`<a href="` + link + `" target="_blank">` + link + `</a>`, "小明，", "论坛 管理团队.<br />\nhttp://forum.example/bbs/</p>", "charset=gbk", "<title>Email 地址验证</title>"} {
			if x35 && want == "charset=gbk" {
				want = `<meta charset="gbk" />`
			}
			if !strings.Contains(h, want) {
				t.Errorf("x35=%v: %q missing from\n%s", x35, want, h)
			}
		}
	}
}
