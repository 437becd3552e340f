package plugin

import (
	"context"
	"errors"
	"net/url"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/mail"
)

// Mailer delivers a composed mail (internal/mail.Sender).
type Mailer interface {
	Send(ctx context.Context, m *discuz.OutgoingMail) error
}

// Activation is what became of the activation mail of a registration on a
// site with regverify=1.
type Activation struct {
	Email  string
	BBName string
	Sent   bool
	// Reason: why qqconnect cannot send through the forum's mail setting
	// at all (a plugin sends its mail, no sendmail binary, no SMTP
	// server), for the administrator; no secrets. "" when it tried.
	Reason string
}

// sendActivation is emailcheck_send() after a registration: the link
// (authstr already written with the account), the email_verify mail, sent
// through the forum's own mail setting. A failure is logged for the
// administrator without secrets, and reported; the account stays.
func (s *Service) sendActivation(ctx context.Context, uid int64, username, email string, now time.Time) *Activation {
	act := &Activation{Email: email}
	log := s.Log.With("uid", uid)
	ms, err := s.Store.LoadMailSettings(ctx)
	if err != nil {
		log.Error("activation mail not sent: could not read the forum's mail settings", "err", err)
		return act
	}
	act.BBName = ms.BBName
	if ms.MailBroken {
		log.Warn("the forum's mail setting does not unserialize; sending with Discuz's defaults (sendmail)")
	}
	link, err := discuz.ActivationURL(s.SiteURL, s.Authkey, uid, email, now.Unix(), s.rnd())
	if err != nil {
		log.Error("activation mail not sent", "err", err)
		return act
	}
	html := discuz.EmailVerifyHTML(s.Store.UCenterBcrypt(), discuz.ActivationVars{Username: username,
		BBName: ms.BBName, SiteURL: s.SiteURL, URL: link, Charset: s.SiteCharset})
	site := discuz.MailSite{Charset: s.SiteCharset, SiteName: ms.SiteName, AdminEmail: ms.AdminEmail,
		Version: s.discuzVersion(), Host: hostOf(s.SiteURL), TimeOffset: ms.TimeOffset}
	m, err := discuz.ComposeMail(ms.Mail, site, email, discuz.EmailVerifySubject, html, now)
	if err == nil && s.Mailer == nil {
		err = errors.New("no mailer configured")
	}
	if err == nil {
		// The account exists already: a browser that goes away does not stop the mail.
		err = s.Mailer.Send(context.WithoutCancel(ctx), m)
	}
	if err != nil {
		if errors.Is(err, discuz.ErrMailByPlugin) || errors.Is(err, discuz.ErrMailNoSMTP) || errors.Is(err, mail.ErrNoSendmail) {
			act.Reason = "qqconnect 无法按本站的邮件设置发送激活邮件（" + err.Error() + "）。请在 Discuz 后台 全局 → 邮件设置 改用“通过 SOCKET 连接 SMTP 服务器发送”，或在 qqconnect 所在主机安装 sendmail。" +
				" / qqconnect cannot send mail with this forum's mail setting. Choose SMTP (SOCKET) in 全局 → 邮件设置, or install sendmail on qqconnect's host."
		}
		attrs := []any{"mailsend", ms.Mail.Send, "err", err}
		if m != nil && m.Transport == discuz.MailSMTP {
			addr, _ := m.Server.Addr()
			attrs = append(attrs, "server", addr)
		}
		// As Discuz's runlog('sendmail', "$email sendmail failed."), minus the address.
		log.Warn("activation mail not sent; the member can ask for it again on the forum's 个人资料 → 密码安全 page once the mail setting works", attrs...)
		return act
	}
	act.Sent = true
	return act
}

// discuzVersion is DISCUZ_VERSION for X-Mailer: from DISCUZ_ROOT when
// known, else from the schema (UCenter 1.7 comes with X3.5).
func (s *Service) discuzVersion() string {
	switch {
	case s.DiscuzVersion != "":
		return s.DiscuzVersion
	case s.Store.UCenterBcrypt():
		return "X3.5"
	}
	return "X3.4"
}

func hostOf(siteURL string) string {
	u, err := url.Parse(siteURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
