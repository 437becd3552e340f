// Package mail delivers a message composed by discuz.ComposeMail the way
// Discuz's sendmail() does: to an SMTP server over a socket (optionally
// ssl://, optionally AUTH LOGIN), or to the local sendmail binary as PHP's
// mail() does. Errors never carry the SMTP password.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"os/exec"
	"strings"
	"time"

	"qqconnect/discuz"
)

// ErrNoSendmail: mailsend 1 (or 3, which PHP off Windows also hands to
// sendmail) and no sendmail binary on this host.
var ErrNoSendmail = errors.New("the forum sends mail with PHP's mail() (邮件设置: 通过 PHP 函数的 sendmail 发送), and this host has no sendmail binary")

// Sender delivers mail. SendmailPath "" looks the binary up at each send
// (PATH, then /usr/sbin/sendmail and /usr/lib/sendmail, as PHP's default
// sendmail_path "sendmail -t -i").
type Sender struct {
	SendmailPath string
}

// Send delivers m within ctx; an SMTP server's own timeout (its row's
// timeout, Discuz's default 30 s) bounds the conversation too.
func (s *Sender) Send(ctx context.Context, m *discuz.OutgoingMail) error {
	if m.Transport == discuz.MailSMTP {
		ctx, cancel := context.WithTimeout(ctx, m.Server.Timeout)
		defer cancel()
		return sendSMTP(ctx, m)
	}
	return s.sendmail(ctx, m)
}

func (s *Sender) sendmail(ctx context.Context, m *discuz.OutgoingMail) error {
	path := s.SendmailPath
	if path == "" {
		path = lookSendmail()
	}
	if path == "" {
		return ErrNoSendmail
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-t", "-i")
	cmd.Stdin = bytes.NewReader(m.Message)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("sendmail -t -i: %w: %.200s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

func lookSendmail() string {
	if p, err := exec.LookPath("sendmail"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/sendmail", "/usr/lib/sendmail"} {
		if p, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	return ""
}

// sendSMTP is sendmail()'s socket conversation. Like Discuz it does not
// start TLS on a plain connection; ssl:// (or tls://) in the server field
// means TLS from the first byte, with the server's certificate checked.
func sendSMTP(ctx context.Context, m *discuz.OutgoingMail) (err error) {
	addr, useTLS := m.Server.Addr()
	host, _, _ := net.SplitHostPort(addr)
	var conn net.Conn
	if useTLS {
		d := &tls.Dialer{Config: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}}
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("smtp %s: connect: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: greeting: %w", addr, err)
	}
	defer c.Close()
	helo := m.Helo
	if helo == "" || strings.ContainsAny(helo, "\r\n") {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return fmt.Errorf("smtp %s: HELO/EHLO: %w", addr, err)
	}
	if m.Server.Auth {
		if err := c.Auth(&loginAuth{user: m.Server.Username, pass: m.Server.Password}); err != nil {
			return fmt.Errorf("smtp %s: AUTH LOGIN: %w", addr, scrub(err, m.Server.Password))
		}
	}
	if err := c.Mail(m.EnvelopeFrom); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM: %w", addr, err)
	}
	if err := c.Rcpt(m.Rcpt); err != nil {
		return fmt.Errorf("smtp %s: RCPT TO: %w", addr, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if _, err := w.Write(m.Message); err != nil {
		return fmt.Errorf("smtp %s: message: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: end of message: %w", addr, err)
	}
	_ = c.Quit()
	return nil
}

// loginAuth is AUTH LOGIN as Discuz speaks it: the username after the
// first 334, the password after the second, whatever their prompt text
// (net/smtp base64-encodes both).
type loginAuth struct {
	user, pass string
	step       int
}

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("AUTH LOGIN: the server asked for more than a username and a password")
}

// scrub drops the password from an error text, should a server echo it.
func scrub(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, discuz.Mask(secret)))
}
