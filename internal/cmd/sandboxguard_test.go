package cmd

import (
	"encoding/json"
	"strings"
	"testing"

	"qqconnect/internal/config"
)

// TestSandboxOnRealForum: the sandbox on a mysql database is refused at
// start-up (exit 2, naming the setting) without the explicit phrase, and with
// it the doctor fails loudly. No database is needed: the refusal comes
// first, and the doctor's sandbox check reads only the configuration.
func TestSandboxOnRealForum(t *testing.T) {
	forum := map[string]string{
		"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": "u:p@tcp(127.0.0.1:1)/discuz?timeout=1s",
		"QQCONNECT_AUTHKEY": "k", "QQCONNECT_PUBLIC_URL": "http://127.0.0.1:1", "QQCONNECT_SANDBOX": "true",
	}
	with := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return forum[k]
		}
	}
	consent := map[string]string{"QQCONNECT_SANDBOX_ON_REAL_FORUM": config.SandboxOnRealForumPhrase}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		out  []string
	}{
		{"serve refuses", []string{"serve"}, nil, 2, []string{"QQCONNECT_SANDBOX", "anyone could log in as any member bound to a sandbox QQ number"}},
		{"migrate refuses", []string{"migrate"}, nil, 2, []string{"QQCONNECT_SANDBOX"}},
		{"doctor refuses", []string{"doctor", "--json"}, nil, 2, []string{"QQCONNECT_SANDBOX"}},
		{"true is not the phrase", []string{"serve"}, map[string]string{"QQCONNECT_SANDBOX_ON_REAL_FORUM": "true"}, 2,
			[]string{"QQCONNECT_SANDBOX_ON_REAL_FORUM", config.SandboxOnRealForumPhrase}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb strings.Builder
			code := Run(tc.args, with(tc.env), &out, &errb)
			all := out.String() + errb.String()
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, all)
			}
			for _, s := range tc.out {
				if !strings.Contains(all, s) {
					t.Errorf("output lacks %q: %s", s, all)
				}
			}
		})
	}

	// With the phrase the configuration is accepted, and the doctor fails.
	var out, errb strings.Builder
	code := Run([]string{"doctor", "--json"}, with(consent), &out, &errb)
	var rep struct {
		OK     bool `json:"ok"`
		Checks []struct{ ID, Status, Detail, Fix string }
	}
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s%s", err, out.String(), errb.String())
	}
	if code != 1 || rep.OK {
		t.Fatalf("doctor with the sandbox on a real forum: exit %d ok=%v, want 1/false", code, rep.OK)
	}
	found := false
	for _, c := range rep.Checks {
		if c.ID == "sandbox" {
			found = true
			if c.Status != "fail" || !strings.Contains(c.Detail, "anyone can log in as any member bound to a sandbox QQ number") ||
				!strings.Contains(c.Fix, "unset QQCONNECT_SANDBOX") {
				t.Errorf("sandbox check: %+v", c)
			}
		}
	}
	if !found {
		t.Error("no sandbox check in the doctor's report")
	}
}
