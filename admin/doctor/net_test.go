package doctor

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"qqconnect/discuz"
)

func TestQQDNS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  func(*Env)
		want want
	}{
		{"resolves", nil, want{status: OK, contains: []string{"graph.qq.com → 203.0.113.7"}}},
		{"many addresses", func(e *Env) {
			e.Resolver = &fakeResolver{addrs: map[string][]string{"graph.qq.com": {"a1", "a2", "a3", "a4", "a5", "a6"}}}
		}, want{status: OK, contains: []string{"a1, a2, a3, a4 and 2 more"}}},
		{"resolver error", func(e *Env) { e.Resolver = &fakeResolver{err: errors.New("server misbehaving")} },
			want{status: Fail, contains: []string{"cannot resolve graph.qq.com", "server misbehaving"}, fix: "resolv.conf"}},
		{"no address", func(e *Env) { e.Resolver = &fakeResolver{addrs: map[string][]string{"graph.qq.com": {}}} },
			want{status: Fail, contains: []string{"no address"}}},
		{"host taken from QQ_API_BASE", func(e *Env) {
			e.QQAPIBase = "https://qq.example.net"
			e.Resolver = &fakeResolver{addrs: map[string][]string{"qq.example.net": {"198.51.100.1"}}}
		}, want{status: OK, contains: []string{"qq.example.net → 198.51.100.1"}}},
		{"sandbox on loopback skips", func(e *Env) {
			e.Sandbox = true
			e.QQAPIBase = "http://127.0.0.1:8080/sandbox/qq"
			e.Resolver = &fakeResolver{panic: true}
		}, want{status: Skip, contains: []string{"sandbox"}}},
		{"sandbox towards a real host still resolves", func(e *Env) { e.Sandbox = true },
			want{status: OK, contains: []string{"203.0.113.7"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := offlineEnv()
			if tc.env != nil {
				tc.env(env)
			}
			tc.want.check(t, one(t, env, "qq_dns"))
		})
	}
}

// handlerTransport serves requests from an http.Handler in memory, so a
// test can use a non-loopback URL without any network.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	ht.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func TestQQHTTPS(t *testing.T) {
	t.Parallel()
	jsonQQ := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"error":100013,"error_description":"access token is illegal"}`)
	}))
	t.Cleanup(jsonQQ.Close)
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html>Please log in to the hotel wifi</html>")
	}))
	t.Cleanup(portal.Close)
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close() // connection refused from now on
	jsonp, _ := qqServer(t, nil)

	for _, tc := range []struct {
		name string
		env  func(*Env)
		want want
	}{
		{"QQ JSONP answer", func(e *Env) { e.QQAPIBase, e.HTTP = jsonp.URL, jsonp.Client() },
			want{status: OK, contains: []string{"HTTP 200", "error 100016 access token check failed", "/oauth2.0/me"}}},
		{"QQ JSON answer", func(e *Env) { e.QQAPIBase, e.HTTP = jsonQQ.URL, jsonQQ.Client() },
			want{status: OK, contains: []string{"error 100013"}}},
		{"not QQ", func(e *Env) { e.QQAPIBase, e.HTTP = portal.URL, portal.Client() },
			want{status: Warn, contains: []string{"not like QQ", "text/html"}, fix: "proxy"}},
		{"transport error", func(e *Env) { e.QQAPIBase, e.HTTP = goneURL, &http.Client{} },
			want{status: Fail, contains: []string{"failed after"}, fix: "firewall"}},
		{"sandbox not running", func(e *Env) { e.QQAPIBase, e.HTTP, e.Sandbox = goneURL, &http.Client{}, true },
			want{status: Warn, contains: []string{"failed after"}, fix: "qqconnect serve"}},
		{"plain http to a remote host", func(e *Env) {
			e.QQAPIBase = "http://graph.qq.com"
			e.HTTP = &http.Client{Transport: handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `callback( {"error":100016,"error_description":"access token check failed"} );`)
			})}}
		}, want{status: Warn, contains: []string{"plain http"}, fix: "https://graph.qq.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := offlineEnv()
			tc.env(env)
			tc.want.check(t, one(t, env, "qq_https"))
		})
	}
}

func TestClockSkew(t *testing.T) {
	t.Parallel()
	at := func(d time.Duration) func() string {
		return func() string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	}
	for _, tc := range []struct {
		name string
		date func() string // nil = the server's own Date header
		now  func() time.Time
		want want
	}{
		{"in sync", nil, nil, want{status: OK, contains: []string{"graph.qq.com (Date: "}}},
		{"two minutes slow", at(2 * time.Minute), nil, want{status: Warn, contains: []string{"behind"}, fix: "NTP"}},
		{"QQ ten minutes in the past", at(-10 * time.Minute), nil, want{status: Fail, contains: []string{"10m0s ahead of graph.qq.com", "5 minutes"}, fix: "timedatectl"}},
		{"local clock wrong", nil, func() time.Time { return time.Now().Add(-time.Hour) }, want{status: Fail, contains: []string{"1h0m0s behind"}}},
		{"no Date header", func() string { return "" }, nil, want{status: Skip, contains: []string{"no usable Date header"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := qqServer(t, tc.date)
			env := onlineEnv(srv)
			if tc.now != nil {
				env.Now = tc.now
			}
			tc.want.check(t, one(t, env, "clock_skew"))
		})
	}
	t.Run("no answer", func(t *testing.T) {
		env := offlineEnv() // every request fails
		want{status: Skip, contains: []string{"no answer"}}.check(t, one(t, env, "clock_skew"))
	})
}

func TestRedirectURI(t *testing.T) {
	t.Parallel()
	long := "/" + strings.Repeat("x", 460)
	for _, tc := range []struct {
		name         string
		public, path string
		sandbox      bool
		want         want
	}{
		{"https domain", "https://bbs.example.com", "/connect/qq/callback", false,
			want{status: OK, contains: []string{"register exactly https://bbs.example.com/connect/qq/callback as the callback"}}},
		{"default path", "https://bbs.example.com/", "", false,
			want{status: OK, contains: []string{"https://bbs.example.com/connect/qq/callback"}}},
		{"Discuz's own callback", "https://bbs.example.com", "/connect.php?mod=login&op=callback", false,
			want{status: OK, contains: []string{"https://bbs.example.com/connect.php?mod=login&op=callback"}}},
		{"http", "http://bbs.example.com", "/connect/qq/callback", false,
			want{status: Warn, contains: []string{"http, not https"}, fix: "https"}},
		{"IP address", "https://203.0.113.9", "/connect/qq/callback", false,
			want{status: Warn, contains: []string{"IP address"}, fix: "domain name"}},
		{"localhost", "https://localhost", "/connect/qq/callback", false,
			want{status: Warn, contains: []string{"localhost"}}},
		{"explicit port", "https://bbs.example.com:8443", "/connect/qq/callback", false,
			want{status: Warn, contains: []string{":8443", "100010"}, fix: "drop the port"}},
		{"trailing slash", "https://bbs.example.com", "/connect/qq/callback/", false,
			want{status: Warn, contains: []string{"ends with /"}, fix: "trailing slash"}},
		{"too long", "https://bbs.example.com", long, false,
			want{status: Fail, contains: []string{"at most 500"}}},
		{"no public URL", "", "/connect/qq/callback", false,
			want{status: Fail, contains: []string{"QQCONNECT_PUBLIC_URL is not set"}}},
		{"not a URL", "bbs.example.com", "/cb", false,
			want{status: Fail, contains: []string{"not an absolute http(s) URL"}}},
		{"sandbox on loopback", "http://127.0.0.1:8080", "/connect/qq/callback", true,
			want{status: OK, contains: []string{"sandbox mode", "http, not https", "localhost", ":8080"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := offlineEnv()
			env.PublicURL, env.CallbackPath, env.Sandbox = tc.public, tc.path, tc.sandbox
			tc.want.check(t, one(t, env, "redirect_uri"))
		})
	}
}

func TestMemoryCache(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  Env
		want want
	}{
		{"none", Env{}, want{status: OK, contains: []string{"no memory cache"}}},
		{"redis", Env{MemoryRedis: "127.0.0.1:6379", MemoryPrefix: "Xy12_"},
			want{status: OK, contains: []string{"redis at 127.0.0.1:6379", "deletes Xy12_setting"}}},
		{"memcache", Env{MemoryOther: []string{"memcache"}},
			want{status: Warn, contains: []string{"memcache", "cannot refresh"}, fix: "工具 → 更新缓存"}},
		{"apc beside redis: redis wins", Env{MemoryRedis: "r:6379", MemoryOther: []string{"apc"}}, want{status: OK}},
		{"file cache", Env{CacheType: "file", MemoryRedis: "r:6379"},
			want{status: Warn, contains: []string{"cache_setting.php"}, fix: "更新缓存"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := offlineEnv()
			env.MemoryRedis, env.MemoryPrefix, env.MemoryOther, env.CacheType = tc.env.MemoryRedis, tc.env.MemoryPrefix, tc.env.MemoryOther, tc.env.CacheType
			tc.want.check(t, one(t, env, "memory_cache"))
		})
	}
}

func TestDiscuzVersionGiven(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version string
		want    want
	}{
		{"X3.5", want{status: OK, contains: []string{"X3.5", "standalone"}}},
		{"X3.4", want{status: OK, contains: []string{"standalone"}}},
		{"X3.2", want{status: OK, contains: []string{"cloud era"}}},
		{"X3.3 R2", want{status: OK, contains: []string{"cloud era"}}},
		{"X2.5", want{status: Warn, contains: []string{"not a release qqconnect knows"}}},
		{"", want{status: Warn, contains: []string{"version unknown", "no database"}, fix: "QQCONNECT_DISCUZ_ROOT"}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			env := offlineEnv()
			env.DiscuzVersion = tc.version
			tc.want.check(t, one(t, env, "discuz_version"))
		})
	}
}

func TestPHPEqual(t *testing.T) {
	t.Parallel()
	// Covered through setting_cache on MariaDB too; here the corner cases.
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{`i:20;`, `s:2:"20";`, true},
		{`a:2:{s:1:"x";i:1;s:1:"y";s:1:"2";}`, `a:2:{s:1:"y";i:2;s:1:"x";s:1:"1";}`, true}, // order and int/string
		{`a:1:{s:1:"x";i:1;}`, `a:2:{s:1:"x";i:1;s:1:"y";i:1;}`, false},
		{`a:0:{}`, `s:0:"";`, false},
		{`N;`, `s:0:"";`, true},
		{`a:1:{i:0;a:1:{s:1:"k";s:1:"v";}}`, `a:1:{i:0;a:1:{s:1:"k";s:1:"w";}}`, false},
	} {
		a, b := mustValue(t, tc.a), mustValue(t, tc.b)
		if got := phpEqual(a, b); got != tc.want {
			t.Errorf("phpEqual(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

func mustValue(t *testing.T, s string) discuz.Value {
	t.Helper()
	v, err := discuz.Unserialize([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
