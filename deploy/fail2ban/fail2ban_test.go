// Package fail2ban_test runs the shipped fail2ban filter and jail through
// the real fail2ban tools, on log lines written by qqconnect's own code.
package fail2ban_test

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"qqconnect/internal/web"
)

const (
	filterFile = "filter.d/qqconnect.conf"
	jailFile   = "jail.d/qqconnect.local"
	attacker   = "6.6.6.6" // the address hostile usernames try to get banned
)

// need finds a fail2ban tool: missing fails the test in CI (the project's
// rule for what tests need) and skips it elsewhere.
func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err == nil {
		return path
	}
	msg := tool + " not found (Debian package fail2ban: apt-get install fail2ban)"
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: %s", msg)
	}
	t.Skip(msg)
	return ""
}

// authFailures are the attempts the lines record: the real client address
// and what the visitor typed as username.
var authFailures = []struct{ ip, panel, user string }{
	{"203.0.113.7", "bind", "alice"},
	{"203.0.113.8", "bind", "x ip=" + attacker},
	{"203.0.113.9", "admin", `a" ip=` + attacker + ` "`},
	{"203.0.113.10", "bind", "x\nlevel=WARN msg=\"auth failure\" ip=" + attacker},
	{"203.0.113.11", "demo", `msg="auth failure" ip=` + attacker + ` panel=bind user=x`},
	{"203.0.113.12", "bind", "x\r\ntime=2026-12-02T16:00:00.000Z level=WARN msg=\"auth failure\" ip=" + attacker + " panel=bind user=y"},
	{"203.0.113.13", "bind", `\" ip=` + attacker + ` \"`},
	{"203.0.113.14", "bind", "企鹅🐧用户"},
	{"203.0.113.15", "admin", ""},
	{"203.0.113.16", "bind", attacker},
	{"2001:db8::1", "bind", "bob"},
	{"2001:db8:0:42::7", "admin", "ip=" + attacker + " 🐧"},
	{"2001:db8::abcd", "bind", "ip=::6"},
}

// logLines writes every attempt with web.LogAuthFailure through slog's
// TextHandler (what main.go uses), in the server's local zone and in
// China's (+08:00), plus lines that must never match. It returns the
// addresses fail2ban must find, in order.
func logLines(t *testing.T) (lines []byte, want []string) {
	t.Helper()
	var buf bytes.Buffer
	cst := time.FixedZone("CST", 8*3600)
	inCST := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			a.Value = slog.TimeValue(a.Value.Time().In(cst))
		}
		return a
	}
	for _, log := range []*slog.Logger{
		slog.New(slog.NewTextHandler(&buf, nil)),
		slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: inCST})),
	} {
		for _, a := range authFailures {
			web.LogAuthFailure(log, a.ip, a.panel, a.user)
			want = append(want, a.ip)
		}
		// Lines that are not auth failures, whatever they carry.
		log.Info("qqconnect listening", "addr", "127.0.0.1:8080")
		log.Info("login", "user", `x msg="auth failure" ip=`+attacker+" panel=bind user=")
		log.Warn("bind refused", "user", "auth failure ip="+attacker)
		log.Error("server stopped", "err", `msg="auth failure" ip=`+attacker)
	}
	// The journal form: fail2ban's systemd backend reads
	// "host identifier[pid]: MESSAGE" with the message's own time= kept.
	var jbuf bytes.Buffer
	jlog := slog.New(slog.NewTextHandler(&jbuf, nil))
	for _, a := range authFailures[:4] {
		web.LogAuthFailure(jlog, a.ip, a.panel, a.user)
		want = append(want, a.ip)
	}
	for _, l := range strings.SplitAfter(jbuf.String(), "\n") {
		if l != "" {
			buf.WriteString("bbs qqconnect[4242]: " + l)
		}
	}
	return buf.Bytes(), want
}

var summaryRe = regexp.MustCompile(`Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed`)

// TestFilterOnRealLines: the real fail2ban-regex with the shipped filter
// finds the real client address of every auth failure line, never the one
// a username carries, and matches nothing else.
func TestFilterOnRealLines(t *testing.T) {
	regexTool := need(t, "fail2ban-regex")
	filter, err := filepath.Abs(filterFile) // fail2ban-regex reads a relative name as a filter name
	if err != nil {
		t.Fatal(err)
	}
	lines, want := logLines(t)
	logFile := filepath.Join(t.TempDir(), "qqconnect.log")
	if err := os.WriteFile(logFile, lines, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(regexTool, append([]string{"-e", "UTF-8", "-r"}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("fail2ban-regex %v: %v\n%s%s", args, err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}

	// -o ip prints the address of each failure found, one per line, in order.
	var got []string
	for _, l := range strings.Split(run("-o", "ip", logFile, filter), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			got = append(got, l)
		}
	}
	for i, g := range got {
		ip := net.ParseIP(g)
		if ip == nil {
			t.Errorf("fail2ban-regex printed %q where an address was expected", g)
			continue
		}
		if ip.Equal(net.ParseIP(attacker)) || strings.Contains(g, "6.6.6") {
			t.Errorf("failure %d was attributed to %s, the address in the username", i+1, g)
		}
		if i < len(want) && !ip.Equal(net.ParseIP(want[i])) {
			t.Errorf("failure %d: fail2ban found %s, want %s", i+1, g, want[i])
		}
	}
	if len(got) != len(want) {
		t.Errorf("fail2ban found %d failures, want %d: %v", len(got), len(want), got)
	}

	// The summary confirms the decoy lines are missed, not matched.
	out := run(logFile, filter)
	m := summaryRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary in the fail2ban-regex output:\n%s", out)
	}
	total, _ := strconv.Atoi(m[1])
	matched, _ := strconv.Atoi(m[3])
	if matched != len(want) || total != bytes.Count(lines, []byte("\n")) {
		t.Errorf("fail2ban-regex: %d of %d lines matched, want %d of %d\n%s",
			matched, total, len(want), bytes.Count(lines, []byte("\n")), out)
	}
	if strings.Contains(out, "no valid date") || strings.Contains(out, "Found a match but no valid date") {
		t.Errorf("fail2ban could not read the date of some lines:\n%s", out)
	}
}

// TestJail: the shipped jail and filter load in a real fail2ban
// configuration with qqconnect's own limits (10 failures per IP in 15
// minutes) and read the journal of qqconnect.service.
func TestJail(t *testing.T) {
	client := need(t, "fail2ban-client")
	const etc = "/etc/fail2ban"
	if _, err := os.Stat(filepath.Join(etc, "jail.conf")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %s/jail.conf missing: %v", etc, err)
		}
		t.Skipf("%s/jail.conf missing: %v", etc, err)
	}
	// A copy of the system configuration, without the site's own jails,
	// plus the shipped files.
	conf := filepath.Join(t.TempDir(), "fail2ban")
	if err := os.CopyFS(conf, os.DirFS(etc)); err != nil {
		t.Fatalf("copy %s: %v", etc, err)
	}
	for _, dir := range []string{"jail.d"} {
		entries, _ := os.ReadDir(filepath.Join(conf, dir))
		for _, e := range entries {
			_ = os.Remove(filepath.Join(conf, dir, e.Name()))
		}
	}
	for _, f := range []string{filterFile, jailFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(conf, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(client, "-c", conf, "-t").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("fail2ban-client -t: %v\n%s", err, out)
	}
	out, err = exec.Command(client, "-c", conf, "-d").CombinedOutput()
	if err != nil {
		t.Fatalf("fail2ban-client -d: %v\n%s", err, out)
	}
	dump := string(out)
	for _, want := range []string{
		`['add', 'qqconnect', 'systemd']`,
		`['set', 'qqconnect', 'maxretry', 10]`,
		`['set', 'qqconnect', 'findtime', '15m']`,
		`['set', 'qqconnect', 'bantime', '15m']`,
		`['set', 'qqconnect', 'addjournalmatch', '_SYSTEMD_UNIT=qqconnect.service']`,
		`msg="auth failure" ip=<ADDR> panel=`,
		`['start', 'qqconnect']`,
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("jail dump lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("fail2ban-client -d:\n%s", dump)
	}
}
