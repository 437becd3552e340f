package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"qqconnect/admin/repair"
	"qqconnect/discuz"
	"qqconnect/internal/config"
	"qqconnect/internal/memcache/memcachetest"
	"qqconnect/internal/testdb"
)

// TestCacheWiring: which invalidators each configuration gets.
func TestCacheWiring(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      config.Config
		setting  string // type of newSettingCache
		rows     string // type of newRowCache ("" = nil)
		warning  string // substring of the setting invalidator's Warning ("" = none)
		prefix   string
		memcache string
	}{
		{"nothing", config.Config{}, "*repair.ManualInvalidator", "", "", "", ""},
		{"redis", config.Config{MemoryBackend: "redis", MemoryRedis: "127.0.0.1:6379", MemoryPrefix: "abc_"}, "*repair.RedisInvalidator", "*rowcache.Redis", "", "abc_", ""},
		{"memcached", config.Config{MemoryBackend: "memcached", MemoryMemcache: "127.0.0.1", MemoryMemcachePort: 11211, MemoryPrefix: "abc_"},
			"*repair.MemcacheInvalidator", "*rowcache.Memcache", "", "abc_", "127.0.0.1:11211"},
		{"memcache on a socket", config.Config{MemoryBackend: "memcache", MemoryMemcache: "unix:///run/memcached.sock", MemoryPrefix: "abc_"},
			"*repair.MemcacheInvalidator", "*rowcache.Memcache", "", "abc_", "unix:/run/memcached.sock"},
		{"memcache beside the file cache", config.Config{MemoryBackend: "memcache", MemoryMemcache: "m", CacheType: "file", MemoryPrefix: "abc_"},
			"*repair.PartialInvalidator", "*rowcache.Memcache", "cache_setting.php", "abc_", "m:11211"},
		{"apcu with a later redis fallback", config.Config{MemoryBackend: "apcu", MemoryOther: []string{"apcu", "redis"}, MemoryPrefix: "abc_"},
			"*repair.ManualInvalidator", "", "apcu", "abc_", ""},
		{"yac", config.Config{MemoryBackend: "yac", MemoryOther: []string{"yac"}}, "*repair.ManualInvalidator", "", "yac", "", ""},
		{"empty prefix: md5 of the public host", config.Config{MemoryBackend: "memcached", MemoryMemcache: "m", PublicURL: "https://BBS.example.com:443"},
			"*repair.MemcacheInvalidator", "*rowcache.Memcache", "", discuz.MemoryPrefix("", "bbs.example.com"), "m:11211"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			inv := newSettingCache(&cfg)
			if got := typeName(inv); got != tc.setting {
				t.Errorf("setting invalidator %s, want %s", got, tc.setting)
			}
			if got := typeName(newRowCache(&cfg)); got != tc.rows && (tc.rows != "" || got != "<nil>") {
				t.Errorf("row invalidator %s, want %q", got, tc.rows)
			}
			w, _ := inv.(interface{ Warning() string })
			switch {
			case tc.warning == "" && w != nil && w.Warning() != "":
				t.Errorf("unexpected warning %q", w.Warning())
			case tc.warning != "" && (w == nil || !strings.Contains(w.Warning(), tc.warning) || !strings.Contains(w.Warning(), "更新缓存")):
				t.Errorf("warning lacks %q and 更新缓存", tc.warning)
			}
			if tc.prefix != "" && memoryPrefix(&cfg) != tc.prefix {
				t.Errorf("prefix %q, want %q", memoryPrefix(&cfg), tc.prefix)
			}
			if got := memcacheAddr(&cfg); got != tc.memcache {
				t.Errorf("memcache address %q, want %q", got, tc.memcache)
			}
		})
	}
	for _, tc := range []struct {
		version string
		want    int
	}{{"X3.5", 3}, {"X3.4", 0}, {"X3.3", 0}, {"X3.2", 0}, {"", 3}, {"X4.0", 3}} {
		if got := redisDB(&config.Config{DiscuzVersion: tc.version, MemoryRedisDB: 3}); got != tc.want {
			t.Errorf("redisDB(%q) = %d, want %d", tc.version, got, tc.want)
		}
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

// kv is Discuz's memory cache server as a test sees it.
type kv struct {
	set    func(key string)
	exists func(key string) bool
	del    func(keys ...string)
}

// TestMemoryCacheWholePath: qqconnect configured from a Discuz install
// whose config_global.php enables a memory cache deletes exactly what
// Discuz reads: a member's seven cached rows after a QQ bind, and the
// setting cache after a repair; another member's rows, another prefix and
// other caches stay.
func TestMemoryCacheWholePath(t *testing.T) {
	for _, tc := range []struct {
		name, version, memory string
		server                func(t *testing.T) kv
	}{
		{"memcache on X3.4", testdb.X34, "$_config['memory']['memcache']['server'] = '127.0.0.1';\n$_config['memory']['memcache']['port'] = 11211;\n$_config['memory']['memcache']['pconnect'] = 1;\n",
			memcachedKV(memcachetest.FlagsMemcacheSerializedCompressed)},
		{"memcached on X3.5", testdb.X35, "$_config['memory']['memcache']['server'] = '';\n$_config['memory']['memcached']['server'] = '127.0.0.1';\n$_config['memory']['memcached']['port'] = 11211;\n",
			memcachedKV(memcachetest.FlagsMemcachedSerialized)},
		{"redis on X3.5", testdb.X35, "$_config['memory']['redis']['server'] = '127.0.0.1';\n$_config['memory']['redis']['port'] = 6379;\n",
			redisKV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.server(t)
			prefix, other := "qqcw"+randHex(t, 4)+"_", "qqcw"+randHex(t, 4)+"_"
			root := t.TempDir()
			os.MkdirAll(filepath.Join(root, "config"), 0o755)
			global := "<?php\n$_config['db'][1]['dbhost'] = '127.0.0.1';\n$_config['db'][1]['dbname'] = 'x';\n$_config['db'][1]['tablepre'] = 'pre_';\n" +
				"$_config['cookie']['cookiepre'] = 'OqGo_';\n$_config['cookie']['cookiepath'] = '/';\n$_config['output']['charset'] = 'utf-8';\n" +
				"$_config['cache']['type'] = 'sql';\n$_config['memory']['prefix'] = '" + prefix + "';\n$_config['memory']['redis']['server'] = '';\n" +
				tc.memory + "$_config['memory']['apcu'] = 0;\n"
			if err := os.WriteFile(filepath.Join(root, "config", "config_global.php"), []byte(global), 0o600); err != nil {
				t.Fatal(err)
			}
			s := newTestSite(t, tc.version, map[string]string{"QQCONNECT_DISCUZ_ROOT": root})
			uid := s.addMember("alice", "correct horse", 10)
			bob := s.addMember("bob", "bob-secret", 10)
			own := discuz.MemberRowKeys(prefix, uid)
			keep := append(discuz.MemberRowKeys(prefix, bob), discuz.MemberRowKeys(other, uid)...)
			keep = append(keep, prefix+"usergroups", other+"setting", prefix+"common_member_"+itoa(uid)+"0")
			all := append(append([]string{prefix + "setting"}, own...), keep...)
			t.Cleanup(func() { srv.del(all...) })
			for _, k := range all {
				srv.set(k)
			}

			// X3.4's test database has no setting row yet: give it the measured one.
			s.DB.Exec(t, "INSERT IGNORE INTO pre_common_syscache (cname, ctype, dateline, data) VALUES ('setting', 1, 1700000000, ?)", fixtureSettingRow(t))

			b := s.browser()
			b.qqLogin("30001", "/")
			if resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"alice"}, "password": {"correct horse"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("bind: %d %.300s", resp.StatusCode, body)
			}
			for _, k := range own {
				if srv.exists(k) {
					t.Errorf("%s survived the bind", k)
				}
			}
			if !srv.exists(prefix + "setting") {
				t.Error("a bind deleted the setting cache")
			}

			_, plan, err := NewRepairer(s.App).Apply(context.Background(), repair.PluginDisable, repair.Args{},
				repair.Actor{UID: 1, Name: "admin", Source: "cli"})
			if err != nil {
				t.Fatalf("plugin-disable: %v", err)
			}
			if len(plan.Warnings) != 0 {
				t.Fatalf("plugin-disable warns: %q", plan.Warnings)
			}
			if srv.exists(prefix + "setting") {
				t.Error("the setting cache survived plugin-disable")
			}
			for _, k := range keep {
				if !srv.exists(k) {
					t.Errorf("%s was deleted but belongs to someone else", k)
				}
			}
		})
	}
}

func memcachedKV(flags int) func(t *testing.T) kv {
	return func(t *testing.T) kv {
		srv := memcachetest.Local(t)
		return kv{
			set:    func(k string) { srv.Set(k, flags, `a:1:{s:3:"uid";s:1:"1";}`) },
			exists: srv.Exists,
			del:    srv.Delete,
		}
	}
}

func redisKV(t *testing.T) kv {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DialTimeout: 2 * time.Second})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis required in CI at 127.0.0.1:6379: %v", err)
		}
		t.Skipf("Redis not available: %v", err)
	}
	return kv{
		set: func(k string) { c.Set(context.Background(), k, `a:1:{s:3:"uid";s:1:"1";}`, 0) },
		exists: func(k string) bool {
			return c.Exists(context.Background(), k).Val() == 1
		},
		del: func(keys ...string) { c.Del(context.Background(), keys...) },
	}
}

// fixtureSettingRow is the setting blob of the measured X3.5 "on" fixture.
func fixtureSettingRow(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdb.SharedDir(t), "discuz", "x3.5", "fixtures", "x35-qqconnect-on-syscache.sql"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\('setting', 1, \d+, X'([0-9A-Fa-f]+)'\)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no setting row in the fixture")
	}
	raw, err := hex.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
