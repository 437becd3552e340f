package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"qqconnect/admin/doctor"
	"qqconnect/admin/repair"
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
	if _, err := Open(t.Context(), cfg, testLogger(t), false); err == nil || !strings.Contains(err.Error(), "/nonexistent/mysqld.sock") || !strings.Contains(err.Error(), "dbhost") {
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
	env := DoctorEnv(s.Cfg, s.App, nil)
	if c := check(env); c.Status != doctor.OK || !strings.Contains(c.Detail, "/connect/qq/login") || !strings.Contains(c.Detail, "connect.php?mod=login") {
		t.Fatalf("through the real server: %+v", c)
	}
	nginx404 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx/1.22.1")
		http.NotFound(w, r)
	}))
	defer nginx404.Close()
	env = DoctorEnv(s.Cfg, s.App, nil)
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

// TestConfigGlobalFollowed (issue 11 #4): turning on Redis as Discuz's
// memory cache in config_global.php while qqconnect runs takes effect
// without a restart: the next unbind drops the member's cached rows, the
// next repair the cached setting, and the doctor reports the file as it is
// now. SIGHUP re-reads it at once.
func TestConfigGlobalFollowed(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DialTimeout: 2 * time.Second})
	defer rdb.Close()
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		testdb.Unavailable(t, "Redis on 127.0.0.1:6379: %v", err)
	}
	db := testdb.New(t, testdb.X35)
	db.LoadFile(t, filepath.Join(testdb.SharedDir(t), "discuz", "x3.5", "fixtures", "x35-qqconnect-on-syscache.sql"))
	root := db.DiscuzRoot(t, "utf8mb4", "define('UC_CONNECT', 'mysql');\n")
	globalPath := filepath.Join(root, "config", "config_global.php")
	s := newTestSiteOn(t, db, map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_DB_DSN": ""}, nil)
	if s.Cfg.MemoryBackend != "" {
		t.Fatalf("memory backend %q at start, want none", s.Cfg.MemoryBackend)
	}
	b := s.browser()
	b.qqLogin("95001", "/")
	if resp, body := b.post(bindPath, "/connect/qq/register", url.Values{"username": {"liveuser"}, "email": {"live@example.com"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d %.300s", resp.StatusCode, body)
	}
	uid := b.discuzLogin()

	// The admin turns Redis on.
	turnOn := func(prefix string) {
		t.Helper()
		orig, err := os.ReadFile(globalPath)
		if err != nil {
			t.Fatal(err)
		}
		src := strings.Split(string(orig), "$_config['memory']")[0]
		src += "$_config['memory']['prefix'] = '" + prefix + "';\n$_config['memory']['redis']['server'] = '127.0.0.1';\n$_config['memory']['redis']['port'] = 6379;\n"
		if err := os.WriteFile(globalPath, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(2 * time.Second)
		os.Chtimes(globalPath, later, later)
	}
	prefix := "qqcLive" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "_"
	turnOn(prefix)
	keys := append(discuz.MemberRowKeys(prefix, uid), prefix+"setting")
	for _, k := range keys {
		rdb.Set(t.Context(), k, "a:0:{}", time.Minute)
	}
	t.Cleanup(func() { rdb.Del(context.Background(), keys...) })
	time.Sleep(1100 * time.Millisecond) // the file is looked at once a second

	if resp, body := b.post("/connect/qq/unbind", "/connect/qq/unbind", url.Values{"newpassword1": {"live-pw-1"}, "newpassword2": {"live-pw-1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unbind: %d %.300s", resp.StatusCode, body)
	}
	for _, k := range discuz.MemberRowKeys(prefix, uid) {
		if n, _ := rdb.Exists(t.Context(), k).Result(); n != 0 {
			t.Errorf("%s still cached after the unbind: the new memory cache was not followed", k)
		}
	}
	if _, _, err := liveRepairer(s.App).Apply(t.Context(), repair.PluginDisable, repair.Args{}, repair.Actor{Name: "test", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(t.Context(), prefix+"setting").Result(); n != 0 {
		t.Error("the cached setting survived plugin-disable")
	}
	for _, c := range doctor.Run(t.Context(), liveDoctorEnv(s.App)).Checks {
		if c.ID == "memory_cache" && (!strings.Contains(c.Detail, "redis") || !strings.Contains(c.Detail, globalPath)) {
			t.Errorf("doctor memory_cache after the change: %+v", c)
		}
	}

	// SIGHUP: the next prefix at once, without waiting for the look.
	prefix2 := prefix + "b_"
	turnOn(prefix2)
	s.App.Live.Reload()
	if cur, _, _ := s.App.Live.current(); memoryPrefix(cur) != prefix2 {
		t.Fatalf("after Reload the prefix is %q, want %q", memoryPrefix(cur), prefix2)
	}
}
