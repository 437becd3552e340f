package config

import (
	"errors"
	"strings"
	"testing"
)

// realForum is the minimum configuration of a mysql (real Discuz) site.
func realForum(extra map[string]string) map[string]string {
	env := map[string]string{"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": "u:p@tcp(127.0.0.1:3306)/discuz",
		"QQCONNECT_AUTHKEY": "k", "QQCONNECT_PUBLIC_URL": "https://bbs.example.com"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// TestSecuritySettingsRefused: the settings that would open qqconnect up are
// refused, and the error names the setting and says why.
func TestSecuritySettingsRefused(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		setting string
		says    []string
	}{
		{"sandbox on a mysql forum", nil, realForum(map[string]string{"QQCONNECT_SANDBOX": "true"}),
			"QQCONNECT_SANDBOX", []string{"anyone could log in as any member bound to a sandbox QQ number", "QQCONNECT_SANDBOX_ON_REAL_FORUM"}},
		{"sandbox flag on a mysql forum", []string{"--sandbox=1"}, realForum(nil),
			"QQCONNECT_SANDBOX", []string{"anyone could log in"}},
		{"consent that is not the phrase", nil, realForum(map[string]string{"QQCONNECT_SANDBOX": "true", "QQCONNECT_SANDBOX_ON_REAL_FORUM": "true"}),
			"QQCONNECT_SANDBOX_ON_REAL_FORUM", []string{SandboxOnRealForumPhrase}},
		{"consent flag that is not the phrase", []string{"--sandbox-on-real-forum", "I-KNOW-THIS-IS-NOT-QQ"},
			realForum(map[string]string{"QQCONNECT_SANDBOX": "true"}), "QQCONNECT_SANDBOX_ON_REAL_FORUM", nil},
		{"sandbox on a DISCUZ_ROOT forum is mysql too", nil, map[string]string{"QQCONNECT_DISCUZ_ROOT": "/nonexistent/discuz", "QQCONNECT_SANDBOX": "true"},
			"QQCONNECT_DISCUZ_ROOT", nil},
		{"metrics address not host:port", nil, map[string]string{"QQCONNECT_METRICS_ADDR": "9100"}, "QQCONNECT_METRICS_ADDR", []string{"host:port"}},
		{"metrics address without port", nil, map[string]string{"QQCONNECT_METRICS_ADDR": "127.0.0.1:"}, "QQCONNECT_METRICS_ADDR", nil},
		{"metrics flag not host:port", []string{"--metrics-addr", "localhost"}, nil, "QQCONNECT_METRICS_ADDR", nil},
		{"metrics address equal to ADDR", nil, map[string]string{"QQCONNECT_ADDR": "127.0.0.1:9000", "QQCONNECT_METRICS_ADDR": "127.0.0.1:9000"},
			"QQCONNECT_METRICS_ADDR", []string{"differ from QQCONNECT_ADDR"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.args, tc.env)
			var ce *Error
			if !errors.As(err, &ce) || ce.Setting != tc.setting {
				t.Fatalf("got %v, want an error naming %s", err, tc.setting)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestSecuritySettingsAccepted: the explicit phrase allows the sandbox on a
// mysql forum; standalone sqlite keeps it on by default; METRICS_ADDR is kept.
func TestSecuritySettingsAccepted(t *testing.T) {
	cases := []struct {
		name               string
		args               []string
		env                map[string]string
		sandbox, consented bool
		metrics            string
	}{
		{"mysql, sandbox off by default", nil, realForum(nil), false, false, ""},
		{"mysql, sandbox explicitly off", nil, realForum(map[string]string{"QQCONNECT_SANDBOX": "false"}), false, false, ""},
		{"mysql, sandbox with the phrase", nil,
			realForum(map[string]string{"QQCONNECT_SANDBOX": "true", "QQCONNECT_SANDBOX_ON_REAL_FORUM": SandboxOnRealForumPhrase}), true, true, ""},
		{"mysql, sandbox with the phrase as flag", []string{"--sandbox=true", "--sandbox-on-real-forum=" + SandboxOnRealForumPhrase},
			realForum(nil), true, true, ""},
		{"sqlite demo, sandbox on by default", nil, nil, true, false, ""},
		{"sqlite demo, sandbox explicitly on", nil, map[string]string{"QQCONNECT_SANDBOX": "true"}, true, false, ""},
		{"metrics address", nil, map[string]string{"QQCONNECT_METRICS_ADDR": "127.0.0.1:9100"}, true, false, "127.0.0.1:9100"},
		{"metrics flag over env", []string{"--metrics-addr", "[::1]:9100"}, map[string]string{"QQCONNECT_METRICS_ADDR": "127.0.0.1:9100"},
			true, false, "[::1]:9100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Sandbox != tc.sandbox || c.SandboxOnRealForum != tc.consented || c.MetricsAddr != tc.metrics {
				t.Errorf("sandbox %v consented %v metrics %q, want %v %v %q",
					c.Sandbox, c.SandboxOnRealForum, c.MetricsAddr, tc.sandbox, tc.consented, tc.metrics)
			}
		})
	}
}
