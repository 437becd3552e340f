package discuz

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
)

// How Discuz's sendmail() (source/function/function_mail.php, X3.4 and
// X3.5) sends a mail with the forum's pre_common_setting.mail. qqconnect
// builds the same message and hands it to a transport (internal/mail).

// Mail transports, pre_common_setting.mail's mailsend.
const (
	MailSendmail   = 1 // PHP mail(): the sendmail binary (sendmail_path, "sendmail -t -i")
	MailSMTP       = 2 // a socket to an SMTP server, optional AUTH LOGIN
	MailPHPSMTP    = 3 // PHP mail() through an SMTP server: Windows only; elsewhere PHP uses sendmail
	MailPlugin     = 4 // X3.5: a plugin's mailsend class sends it
	defaultSMTPTTL = 30 * time.Second
)

// SMTPServer is one row of the setting's smtp list (admincp 邮件设置).
// Password is secret: never logged or shown.
type SMTPServer struct {
	Server     string // host, or ssl://host (the admin panel's way to ask for SSL)
	Port       int
	Timeout    time.Duration
	Auth       bool
	From       string // used as From when Auth is on, in the site's bytes
	Username   string
	Password   string
	Precedence string // recipient domains that prefer this server, comma-separated
}

// Addr is host:port without the ssl:// prefix; TLS reports the prefix.
func (s SMTPServer) Addr() (addr string, tls bool) {
	host := s.Server
	for _, p := range []string{"ssl://", "tls://"} {
		if len(host) > len(p) && strings.EqualFold(host[:len(p)], p) {
			host, tls = host[len(p):], true
		}
	}
	return host + ":" + strconv.Itoa(s.Port), tls
}

// MailSetting is the unserialized pre_common_setting.mail as sendmail()
// reads it; the strings hold the site's bytes.
type MailSetting struct {
	Send         int
	SMTP         []SMTPServer
	Delimiter    string // header delimiter of the sendmail transport (maildelimiter)
	MailUsername bool   // "name <addr>" recipients keep their name (mailusername, default on)
	Plugin       string // mailsend 4: "plugin:class"
}

// ParseMailSetting reads the setting with sendmail()'s defaults: mailsend 0
// is 1, a port of 0 is 25, an empty timeout 30 seconds. The top-level
// server/port/auth keys of old installs are ignored, as sendmail() blanks them.
func ParseMailSetting(a *Array) MailSetting {
	m := MailSetting{Send: int(phpIntval(a.GetString("mailsend"))), Delimiter: "\n", MailUsername: true,
		Plugin: a.GetString("plugin")}
	if m.Send == 0 {
		m.Send = MailSendmail
	}
	switch a.GetString("maildelimiter") {
	case "1":
		m.Delimiter = "\r\n"
	case "2":
		m.Delimiter = "\r"
	}
	if v, ok := a.Get("mailusername"); ok {
		m.MailUsername = v.Truthy()
	}
	if list, ok := a.Get("smtp"); ok && list.Kind == KindArray {
		for _, e := range list.Arr.Entries {
			if e.Val.Kind != KindArray {
				continue
			}
			r := e.Val.Arr
			s := SMTPServer{Server: r.GetString("server"), Port: int(phpIntval(r.GetString("port"))),
				Timeout: defaultSMTPTTL, From: r.GetString("from"), Username: r.GetString("auth_username"),
				Password: r.GetString("auth_password"), Precedence: r.GetString("precedence")}
			if s.Port == 0 {
				s.Port = 25
			}
			if t := r.GetString("timeout"); t != "" {
				if n := phpIntval(t); n > 0 {
					s.Timeout = time.Duration(n) * time.Second
				}
			}
			v, _ := r.Get("auth")
			s.Auth = v.Truthy()
			m.SMTP = append(m.SMTP, s)
		}
	}
	return m
}

// pickSMTP is sendmail()'s choice: a random server, unless one lists the
// recipient's domain among its precedence domains.
func (m MailSetting) pickSMTP(to string) (SMTPServer, bool) {
	if len(m.SMTP) == 0 {
		return SMTPServer{}, false
	}
	_, domain, _ := strings.Cut(to, "@")
	for _, s := range m.SMTP {
		for _, d := range strings.Split(s.Precedence, ",") {
			if d == domain {
				return s, true
			}
		}
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(m.SMTP))))
	if err != nil {
		return m.SMTP[0], true
	}
	return m.SMTP[n.Int64()], true
}

// MailSite is what of the forum goes into a mail: UTF-8 text as read over
// qqconnect's connection; Charset is the site's (CHARSET), "" = utf-8.
type MailSite struct {
	Charset    string
	SiteName   string  // sitename: the From name and the subject's [prefix]
	AdminEmail string  // adminemail: the From address (no AUTH)
	Version    string  // DISCUZ_VERSION for X-Mailer, e.g. "X3.5"
	Host       string  // the forum's host name (HELO/EHLO, as $_SERVER['HTTP_HOST'])
	TimeOffset float64 // the site's timeoffset in hours, for the SMTP Date header
}

// OutgoingMail is a composed message ready for its transport.
type OutgoingMail struct {
	Transport    int        // MailSendmail or MailSMTP
	Server       SMTPServer // MailSMTP
	Helo         string
	EnvelopeFrom string // MAIL FROM (SMTP) ; "" for sendmail (it picks its own)
	Rcpt         string // RCPT TO
	Message      []byte // the whole message: headers, blank line, base64 body
}

// Reasons a mail cannot be sent by qqconnect at all (nothing was tried).
var (
	ErrMailByPlugin = errors.New("the forum sends mail through a plugin (邮件设置: 通过插件发送), which qqconnect cannot run")
	ErrMailNoSMTP   = errors.New("the forum's mail setting lists no SMTP server (邮件设置: SMTP 服务器)")
	ErrMailNoTo     = errors.New("no recipient address")
)

var angleAddr = regexp.MustCompile(`(?s).*<(.+?)>.*`)
var nameAddr = regexp.MustCompile(`^(.+?) <(.+?)>$`)

// ComposeMail builds what sendmail($to, $subject, $html) sends: Discuz's
// headers, the subject "[sitename] subject" and the body base64 in the
// site's charset. html is the rendered mail (UTF-8); characters the
// charset lacks become HTML character references, which mail clients show
// as the character (a Big5 site given simplified text).
func ComposeMail(set MailSetting, site MailSite, to, subject, html string, now time.Time) (*OutgoingMail, error) {
	if to == "" {
		return nil, ErrMailNoTo
	}
	if set.Send == MailPlugin {
		return nil, ErrMailByPlugin
	}
	cs := site.Charset
	if cs == "" {
		cs = "utf-8"
	}
	word := func(s string) string { return encodedWord(s, site.Charset) }
	out := &OutgoingMail{Transport: MailSendmail, Helo: site.Host}
	var srv SMTPServer
	if set.Send != MailSendmail {
		var ok bool
		if srv, ok = set.pickSMTP(to); !ok && set.Send == MailSMTP {
			return nil, ErrMailNoSMTP
		}
	}
	var from string
	if set.Send == MailPHPSMTP {
		from = site.AdminEmail
	} else {
		from = word(site.SiteName) + " <" + site.AdminEmail + ">"
	}
	if set.Send == MailSMTP && srv.Auth {
		from = srv.From // as typed in the admin panel, not encoded
	}
	toHdr := to
	if m := nameAddr.FindStringSubmatch(to); m != nil {
		if set.MailUsername {
			toHdr = word(m[1]) + " <" + m[2] + ">"
		} else {
			toHdr = m[2]
		}
	}
	// sendmail()'s /[\r|\n]/ also drops '|'.
	subj := word(strings.NewReplacer("\r", "", "\n", "", "|", "").Replace("[" + site.SiteName + "] " + subject))
	body, err := siteHTML(html, site.Charset)
	if err != nil {
		return nil, err
	}
	b64 := chunkSplit(base64.StdEncoding.EncodeToString([]byte(normalizeNewlines(body))))
	d := "\r\n"
	if set.Send == MailSendmail {
		d = set.Delimiter
	}
	headers := "From: " + from + d + "X-Mailer: Discuz! " + site.Version + " " + d + "MIME-Version: 1.0" + d +
		"Content-type: text/html; charset=" + cs + d + "Content-Transfer-Encoding: base64" + d
	if set.Send != MailSMTP {
		// PHP's mail() writes To and Subject itself, then the headers
		// (right-trimmed), a blank line and the body; sendmail -t reads
		// the recipient from To.
		out.Rcpt = angleAddr.ReplaceAllString(to, "$1")
		out.Message = []byte("To: " + toHdr + "\n" + "Subject: " + subj + "\n" + strings.TrimRight(headers, " \r\n\t") + "\n\n" + b64 + "\n")
		return out, nil
	}
	out.Transport, out.Server = MailSMTP, srv
	out.EnvelopeFrom = angleAddr.ReplaceAllString(from, "$1")
	out.Rcpt = angleAddr.ReplaceAllString(to, "$1")
	zone := siteZone(site.TimeOffset)
	local := now.In(zone)
	// Discuz takes everything after the last @ of From (strrchr), a
	// trailing '>' included; the Message-ID gets the bare domain.
	domain := ""
	if i := strings.LastIndex(out.EnvelopeFrom, "@"); i >= 0 {
		domain = out.EnvelopeFrom[i+1:]
	}
	sum := md5.Sum([]byte(b64 + now.Format(time.RFC3339Nano)))
	// Discuz's Message-ID: date('YmdHs') (sic), 6 hex of an md5, 6 random digits.
	n, _ := rand.Int(rand.Reader, big.NewInt(900000))
	headers += "Message-ID: <" + local.Format("20060102") + fmt.Sprintf("%02d%02d", local.Hour(), local.Second()) + "." +
		hex.EncodeToString(sum[:])[:6] + strconv.FormatInt(100000+n.Int64(), 10) + "@" + domain + ">" + d
	out.Message = []byte("Date: " + local.Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\r\n" + "To: " + toHdr + "\r\n" +
		"Subject: " + subj + "\r\n" + headers + "\r\n" + "\r\n\r\n" + b64)
	return out, nil
}

// siteZone is PHP's Etc/GMT±N zone that sendmail() sets from timeoffset.
func siteZone(hours float64) *time.Location {
	return time.FixedZone("", int(hours*3600))
}

// encodedWord is '=?CHARSET?B?'.base64(s).'?=' with s in the site's bytes;
// text the charset cannot hold is sent as a UTF-8 word instead.
func encodedWord(s, charset string) string {
	if charset == "" {
		return "=?utf-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
	}
	site, err := ToCharset(s, charset)
	if err != nil {
		return "=?utf-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
	}
	return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString([]byte(site)) + "?="
}

// siteHTML converts an HTML body to the site's bytes, characters the charset
// lacks written as &#N; references.
func siteHTML(s, charset string) (string, error) {
	if charset == "" {
		return s, nil
	}
	enc, err := siteEncoding(charset)
	if err != nil || enc == nil {
		return s, err
	}
	out, err := encoding.HTMLEscapeUnsupported(enc.NewEncoder()).String(s)
	if err != nil {
		return "", fmt.Errorf("mail body to %s: %w", charset, err)
	}
	return out, nil
}

// normalizeNewlines is sendmail()'s: every \n\r, \r\n, \r and \n becomes \r\n.
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\n\r", "\r")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// chunkSplit is PHP's chunk_split(): 76 characters, then \r\n, after every chunk.
func chunkSplit(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}
