package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

func TestCommandsAndExitCodes(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		args []string
		env  map[string]string
		code int
		out  string
	}{
		{[]string{"version"}, nil, 0, "qqconnect " + version},
		{[]string{"frobnicate"}, nil, 2, "unknown command"},
		{[]string{"serve", "--public-url", "ftp://x"}, nil, 2, "QQCONNECT_PUBLIC_URL"},
		{[]string{"migrate"}, map[string]string{"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": "x"}, 2, "QQCONNECT_AUTHKEY"},
		{[]string{"migrate", "--db-dsn", filepath.Join(t.TempDir(), "q.db")}, nil, 0, "migrations applied"},
	}
	for _, c := range cases {
		var out, errb strings.Builder
		code := run(c.args, env(c.env), &out, &errb)
		if code != c.code || !strings.Contains(out.String()+errb.String(), c.out) {
			t.Errorf("%v: exit %d (want %d), output %q lacks %q", c.args, code, c.code, out.String()+errb.String(), c.out)
		}
	}
}
