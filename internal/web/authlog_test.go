package web

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestAuthFailureLineOrder pins the shape deploy/fail2ban/filter.d relies
// on: one line, ip= straight after the message, the username last, and no
// second unescaped message or address whatever the username holds.
func TestAuthFailureLineOrder(t *testing.T) {
	for _, tc := range []struct{ ip, panel, user string }{
		{"203.0.113.7", "bind", "alice"},
		{"2001:db8::1", "admin", "x ip=6.6.6.6"},
		{"198.51.100.9", "demo", `a" ip=6.6.6.6 "`},
		{"192.0.2.1", "bind", "x\nlevel=WARN msg=\"auth failure\" ip=6.6.6.6"},
		{"192.0.2.2", "bind", `msg="auth failure" ip=6.6.6.6 panel=bind user=x`},
		{"192.0.2.3", "bind", "企鹅🐧"},
		{"192.0.2.4", "bind", ""},
	} {
		var buf bytes.Buffer
		LogAuthFailure(slog.New(slog.NewTextHandler(&buf, nil)), tc.ip, tc.panel, tc.user)
		line := buf.String()
		if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
			t.Errorf("user %q: not exactly one line: %q", tc.user, line)
		}
		want := ` level=WARN msg="auth failure" ip=` + tc.ip + " panel=" + tc.panel + " user="
		if !strings.HasPrefix(line, "time=") || !strings.Contains(line, want) {
			t.Errorf("user %q: line %q lacks %q", tc.user, line, want)
		}
		if n := strings.Count(line, `msg="auth failure" ip=`); n != 1 {
			t.Errorf("user %q: %d unescaped messages in %q", tc.user, n, line)
		}
		if i := strings.Index(line, " user="); i < 0 || strings.Contains(line[:i], "6.6.6.6") {
			t.Errorf("user %q: the username is not last: %q", tc.user, line)
		}
	}
}
