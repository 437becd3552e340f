package mail

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/testsmtp"
)

func composed(t *testing.T, set discuz.MailSetting) *discuz.OutgoingMail {
	t.Helper()
	m, err := discuz.ComposeMail(set, discuz.MailSite{SiteName: "Forum", AdminEmail: "admin@forum.example", Version: "X3.5", Host: "forum.example"},
		"member@example.com", "Email 地址验证", "<p>.leading dot\nline</p>", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSendSMTP(t *testing.T) {
	srv := testsmtp.Start(t, "bot@forum.example", "p@ss-Wörd")
	server := func(pass string, port int) discuz.MailSetting {
		return discuz.MailSetting{Send: discuz.MailSMTP, SMTP: []discuz.SMTPServer{{Server: "127.0.0.1", Port: port, Timeout: 5 * time.Second,
			Auth: true, From: "Forum <bot@forum.example>", Username: "bot@forum.example", Password: pass}}}
	}
	s := &Sender{}
	m := composed(t, server("p@ss-Wörd", srv.Port))
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	g := got[0]
	if g.Helo != "forum.example" || g.User != "bot@forum.example" || g.Pass != "p@ss-Wörd" || g.From != "bot@forum.example" ||
		len(g.Rcpt) != 1 || g.Rcpt[0] != "member@example.com" {
		t.Errorf("conversation %+v", g)
	}
	// The message arrives byte for byte (net/smtp dot-stuffs, the server unstuffs).
	if !bytes.HasPrefix(m.Message, []byte("Date: ")) || !bytes.Equal(bytes.TrimSuffix(g.Data, []byte("\r\n")), bytes.TrimSuffix(m.Message, []byte("\r\n"))) {
		t.Errorf("data %q\nsent %q", g.Data, m.Message)
	}

	// A wrong password: refused, and the error does not carry it.
	err := s.Send(t.Context(), composed(t, server("wrong-secret-42", srv.Port)))
	if err == nil || strings.Contains(err.Error(), "wrong-secret-42") || !strings.Contains(err.Error(), "535") {
		t.Errorf("bad password: %v", err)
	}
	if srv.AuthFailures() != 1 {
		t.Errorf("auth failures %d", srv.AuthFailures())
	}
	// The server is down: a connect error, quickly.
	start := time.Now()
	if err := s.Send(t.Context(), composed(t, server("x", testsmtp.DeadPort(t)))); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("down: %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("a refused connection took %s", time.Since(start))
	}
}

// TestSendmail: mailsend 1 runs `sendmail -t -i` with the message on stdin.
func TestSendmail(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "sendmail")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" > "+out+".args\ncat > "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := composed(t, discuz.MailSetting{Send: discuz.MailSendmail, Delimiter: "\n"})
	if err := (&Sender{SendmailPath: script}).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(out + ".args")
	body, _ := os.ReadFile(out)
	if string(args) != "-t -i\n" || !bytes.Equal(body, m.Message) || !bytes.HasPrefix(body, []byte("To: member@example.com\nSubject: =?utf-8?B?")) {
		t.Errorf("args %q, stdin %q", args, body)
	}
	t.Setenv("PATH", t.TempDir())
	if err := (&Sender{}).Send(t.Context(), m); err != ErrNoSendmail && !fileExists("/usr/sbin/sendmail") && !fileExists("/usr/lib/sendmail") {
		t.Errorf("no sendmail: %v", err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
