package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"qqconnect/admin/doctor"
	"qqconnect/discuz"
	"qqconnect/internal/config"
	"qqconnect/internal/testdb"
	"qqconnect/internal/web"
)

// TestLocalhostIsTheSocket (issue 11 #6): dbhost 'localhost' is reached the
// way PHP's mysqli reaches it, over the Unix socket, so a forum account
// that works only there works for qqconnect; a socket that is not there is
// named in the start-up error.
func TestLocalhostIsTheSocket(t *testing.T) {
	db := testdb.New(t, testdb.X35)
	if _, addr, _ := discuz.HostAddr("localhost", func(p string) bool { fi, err := os.Stat(p); return err == nil && fi.Mode()&os.ModeSocket != 0 }); !strings.HasPrefix(addr, "/") {
		testdb.Unavailable(t, "no MySQL socket where PHP looks (%s)", strings.Join(discuz.PHPSockets, ", "))
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "config"), 0o755)
	global := func(host string) {
		body := "<?php\n$_config['db'][1]['dbhost'] = '" + host + "';\n$_config['db'][1]['dbuser'] = 'root';\n$_config['db'][1]['dbpw'] = '';\n" +
			"$_config['db'][1]['dbcharset'] = 'utf8mb4';\n$_config['db'][1]['dbname'] = '" + db.Name + "';\n$_config['db'][1]['tablepre'] = 'pre_';\n" +
			"$_config['security']['authkey'] = 'sockauthkey';\n"
		if err := os.WriteFile(filepath.Join(root, "config", "config_global.php"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	global("localhost")
	s := newTestSiteOn(t, db, map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_DB_DSN": ""}, nil)
	dc, err := mysql.ParseDSN(s.Cfg.DBDSN)
	if err != nil || dc.Net != "unix" {
		t.Fatalf("dbhost 'localhost' reached over %v (%v), want the Unix socket", dc, err)
	}
	var host string
	if err := s.App.Store.DB.Raw("SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()").Scan(&host).Error; err != nil || host != "localhost" {
		t.Fatalf("connection host %q (%v), want localhost (the socket)", host, err)
	}
	// A socket path that does not exist: the error names it.
	global("localhost:/nonexistent/mysqld.sock")
	cfg, _, err := config.Load(nil, func(k string) string {
		return map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_PUBLIC_URL": "http://127.0.0.1:1"}[k]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openApp(t.Context(), cfg, testLogger(t), false); err == nil || !strings.Contains(err.Error(), "/nonexistent/mysqld.sock") || !strings.Contains(err.Error(), "dbhost") {
		t.Fatalf("start-up error %v does not name the socket", err)
	}
}

// TestDoctorPublicURL (issue 11 #3): the doctor fetches the login URL (and
// connect.php?mod=login when the callback is Discuz's) through PUBLIC_URL
// and proves that this forum's qqconnect answered: ok through the real
// server; fail with the routing fix when the web server answers itself (a
// missing proxy route: 404) or another forum's qqconnect answers.
func TestDoctorPublicURL(t *testing.T) {
	s := newTestSite(t, testdb.X35, map[string]string{"QQCONNECT_CALLBACK_PATH": "/connect.php?mod=login&op=callback"})
	check := func(env *doctor.Env) doctor.Result {
		t.Helper()
		for _, c := range doctor.Run(t.Context(), env).Checks {
			if c.ID == "public_url" {
				return c
			}
		}
		t.Fatal("no public_url check")
		return doctor.Result{}
	}
	env := doctorEnv(s.Cfg, s.App, nil)
	if c := check(env); c.Status != doctor.OK || !strings.Contains(c.Detail, "/connect/qq/login") || !strings.Contains(c.Detail, "connect.php?mod=login") {
		t.Fatalf("through the real server: %+v", c)
	}
	nginx404 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx/1.22.1")
		http.NotFound(w, r)
	}))
	defer nginx404.Close()
	env = doctorEnv(s.Cfg, s.App, nil)
	env.PublicURL = nginx404.URL
	if c := check(env); c.Status != doctor.Fail || !strings.Contains(c.Detail, "nginx/1.22.1") || !strings.Contains(c.Fix, "deploy/nginx/qqconnect.conf") {
		t.Fatalf("behind a web server without the routes: %+v", c)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(web.ProofHeader, web.InstanceProof("another forum's authkey", r.Header.Get(web.ProofNonceHeader)))
		w.WriteHeader(http.StatusFound)
	}))
	defer other.Close()
	env.PublicURL = other.URL
	if c := check(env); c.Status != doctor.Fail {
		t.Fatalf("another forum's qqconnect answering: %+v", c)
	}
}
