package doctor

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"qqconnect/admin/repair"
	"qqconnect/internal/testdb"
)

// TestMemoryCacheBackends: what the memory_cache check says for each
// backend Discuz may use.
func TestMemoryCacheBackends(t *testing.T) {
	t.Parallel()
	up := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("dial tcp 127.0.0.1:11211: connection refused") }
	for _, tc := range []struct {
		name string
		env  func(*Env)
		want want
	}{
		{"memcached reachable", func(e *Env) {
			e.MemoryBackend, e.MemoryMemcache, e.MemoryPrefix, e.MemoryProbe = "memcached", "127.0.0.1:11211", "Ab12Cd_", up
		}, want{status: OK, contains: []string{"memcached at 127.0.0.1:11211", "deletes Ab12Cd_setting", "Ab12Cd_common_member_<uid>"}}},
		{"memcache unreachable", func(e *Env) {
			e.MemoryBackend, e.MemoryMemcache, e.MemoryPrefix, e.MemoryProbe = "memcache", "127.0.0.1:11211", "p_", down
		}, want{status: Warn, contains: []string{"memcache at 127.0.0.1:11211", "cannot reach it", "connection refused"}, fix: "工具 → 更新缓存"}},
		{"redis with apcu as fallback", func(e *Env) {
			e.MemoryBackend, e.MemoryRedis, e.MemoryPrefix, e.MemoryOther, e.MemoryProbe = "redis", "127.0.0.1:6379", "p_", []string{"apcu"}, up
		}, want{status: OK, contains: []string{"redis at 127.0.0.1:6379", "also configured: apcu"}}},
		{"apcu", func(e *Env) { e.MemoryBackend, e.MemoryOther = "apcu", []string{"apcu"} },
			want{status: Warn, contains: []string{"apcu (inside PHP's own processes)", "cannot refresh", "common_member_connect_<uid>"}, fix: "内存优化 → 内存清理"}},
		{"yac", func(e *Env) { e.MemoryBackend = "yac" }, want{status: Warn, contains: []string{"yac"}, fix: "工具 → 更新缓存"}},
		{"wincache", func(e *Env) { e.MemoryBackend = "wincache" }, want{status: Warn, contains: []string{"wincache"}, fix: "工具 → 更新缓存"}},
		{"memory file driver", func(e *Env) { e.MemoryBackend = "file" }, want{status: Warn, contains: []string{"memory cache is file"}, fix: "更新缓存"}},
		{"memcached beside the file cache", func(e *Env) {
			e.MemoryBackend, e.MemoryMemcache, e.MemoryPrefix, e.CacheType, e.MemoryProbe = "memcached", "127.0.0.1:11211", "p_", "file", up
		}, want{status: Warn, contains: []string{"cache_setting.php", "qqconnect does delete p_setting from memcached"}, fix: "更新缓存"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := offlineEnv()
			tc.env(env)
			tc.want.check(t, one(t, env, "memory_cache"))
		})
	}
}

// TestSettingCacheAge runs the setting_cache_age check on the measured X3.5
// fixtures: a real qqconnect repair on a site whose memory cache is out of
// qqconnect's reach leaves Discuz's copy older than the settings until
// Discuz rebuilds (its dateline then moves past the repair).
func TestSettingCacheAge(t *testing.T) {
	t.Parallel()
	f := newForum(t, testdb.X35)
	ctx := context.Background()
	apcu := func(e *Env) { e.MemoryBackend, e.MemoryOther = "apcu", []string{"apcu"} }
	dateline := func(t *testing.T) int64 {
		var d int64
		if err := f.d.SQL.QueryRow("SELECT dateline FROM pre_common_syscache WHERE cname='setting'").Scan(&d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	audit := func(at int64, action, target, result string) string {
		return "INSERT INTO pre_qqconnect_audit (at, action, target, before_json, after_json, undo_data, result) VALUES (" +
			strconv.FormatInt(at, 10) + ", '" + action + "', '" + target + "', '[]', '[]', '', '" + result + "')"
	}
	const settingTarget = "pre_common_setting, pre_common_plugin, pre_common_syscache[setting]"
	for _, tc := range []struct {
		name  string
		env   func(*Env)
		setup func(t *testing.T) []string
		want  want
	}{
		{name: "no memory cache: nothing to be old", want: want{status: OK, contains: []string{"from the database on every request"}}},
		{name: "memcached: qqconnect deletes the copy",
			env:  func(e *Env) { e.MemoryBackend, e.MemoryMemcache = "memcached", "127.0.0.1:11211" },
			want: want{status: OK, contains: []string{"deletes the memcached copy"}}},
		{name: "apcu, qqconnect never changed the cache", env: apcu,
			want: want{status: OK, contains: []string{"has not changed the setting cache", "UTC"}}},
		{name: "apcu, qqconnect changed the settings after Discuz's rebuild", env: apcu,
			setup: func(t *testing.T) []string {
				return []string{audit(dateline(t)+3600, "plugin-disable", settingTarget, "ok")}
			},
			want: want{status: Warn, contains: []string{"plugin-disable", "has not rebuilt", "apcu (inside PHP's own processes)", "older than the settings"}, fix: "工具 → 更新缓存"}},
		{name: "apcu, Discuz rebuilt after qqconnect's change", env: apcu,
			setup: func(t *testing.T) []string {
				return []string{audit(dateline(t)-3600, "clear-app-key", settingTarget, "ok")}
			},
			want: want{status: OK, contains: []string{"Discuz rebuilt the setting cache", "clear-app-key"}}},
		{name: "a failed repair and a member action do not count", env: apcu,
			setup: func(t *testing.T) []string {
				return []string{audit(dateline(t)+3600, "plugin-disable", settingTarget, "failed"),
					audit(dateline(t)+3600, "member-unbind", "pre_common_member, pre_common_member_connect", "ok")}
			},
			want: want{status: OK, contains: []string{"has not changed the setting cache"}}},
		{name: "file cache without a memory cache", env: func(e *Env) { e.CacheType = "file" },
			setup: func(t *testing.T) []string {
				return []string{audit(dateline(t)+10, "switch-oauth2", settingTarget, "ok")}
			},
			want: want{status: Warn, contains: []string{"data/cache/cache_setting.php"}, fix: "更新缓存"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.reset(t, fxOn)
			f.exec(t, "DELETE FROM pre_qqconnect_audit")
			if tc.setup != nil {
				f.exec(t, tc.setup(t)...)
			}
			env := f.env()
			if tc.env != nil {
				tc.env(env)
			}
			tc.want.check(t, one(t, env, "setting_cache_age"))
		})
	}

	// The real sequence: a qqconnect repair stamps the row and the audit
	// log in the same second; Discuz's 更新缓存 later moves the dateline on.
	t.Run("real repair, then Discuz's rebuild", func(t *testing.T) {
		f.reset(t, fxOn)
		f.exec(t, "DELETE FROM pre_qqconnect_audit")
		r := &repair.Repairer{Store: f.store, Authkey: "doctor-test-authkey", Cache: repair.NewManualInvalidator([]string{"apcu"}, ""),
			Now: time.Now, Log: slog.New(slog.DiscardHandler)}
		_, plan, err := r.Apply(ctx, repair.PluginDisable, repair.Args{}, repair.Actor{UID: 1, Name: "admin", Source: "cli"})
		if err != nil || len(plan.Warnings) == 0 {
			t.Fatalf("plugin-disable: %v %q", err, plan.Warnings)
		}
		env := f.env()
		apcu(env)
		want{status: Warn, contains: []string{"plugin-disable", "has not rebuilt"}, fix: "工具 → 更新缓存"}.check(t, one(t, env, "setting_cache_age"))
		f.exec(t, "UPDATE pre_common_syscache SET dateline = dateline + 60 WHERE cname = 'setting'") // Discuz's updatecache
		want{status: OK, contains: []string{"Discuz rebuilt the setting cache", "plugin-disable"}}.check(t, one(t, env, "setting_cache_age"))
	})
}
