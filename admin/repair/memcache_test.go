package repair_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"qqconnect/admin/repair"
	"qqconnect/internal/memcache/memcachetest"
	"qqconnect/internal/testdb"
)

// serializedSetting is what X3.4's memcache driver stores under
// <prefix>setting: the serialize()d array (the extension serializes it).
const serializedSetting = `a:1:{s:12:"connectappid";s:9:"101234567";}`

// TestMemcacheInvalidator deletes <prefix>setting, and a member's rows
// when asked, from the memcached server behind Discuz's memcache and
// memcached drivers; nothing else.
func TestMemcacheInvalidator(t *testing.T) {
	srv := memcachetest.Local(t)
	ctx := context.Background()
	host, port := memcachetest.HostPort(t)
	for _, tc := range []struct {
		driver string
		flags  int
	}{
		{"memcache", memcachetest.FlagsMemcacheSerializedCompressed},
		{"memcached", memcachetest.FlagsMemcachedSerialized},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			prefix, other := memcachetest.Prefix(t), memcachetest.Prefix(t)
			keep := []string{prefix + "usergroups", prefix + "setting_common_fields_eval_sha", other + "setting", prefix + "common_member_3"}
			t.Cleanup(func() {
				srv.Delete(append(keep, prefix+"setting", prefix+"common_member_2", prefix+"common_member_connect_2")...)
			})
			for _, k := range append(keep, prefix+"setting", prefix+"common_member_2", prefix+"common_member_connect_2") {
				srv.Set(k, tc.flags, serializedSetting)
			}
			inv := repair.NewMemcacheInvalidator(tc.driver, host, port, prefix)
			if d := inv.Describe(); !strings.Contains(d, prefix+"setting") || !strings.Contains(d, tc.driver) || !strings.Contains(d, memcachetest.Addr) {
				t.Errorf("Describe() = %q", d)
			}
			if err := inv.InvalidateSetting(ctx); err != nil {
				t.Fatal(err)
			}
			if srv.Exists(prefix + "setting") {
				t.Fatal("<prefix>setting not deleted")
			}
			if err := inv.InvalidateKeys(ctx, "common_member_2", "common_member_connect_2"); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{prefix + "common_member_2", prefix + "common_member_connect_2"} {
				if srv.Exists(k) {
					t.Errorf("%s not deleted", k)
				}
			}
			for _, k := range keep {
				if !srv.Exists(k) {
					t.Errorf("%s was deleted but is not the setting cache", k)
				}
			}
			// deleting again is fine
			if err := inv.InvalidateSetting(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	start := time.Now()
	if err := repair.NewMemcacheInvalidator("memcache", "127.0.0.1", 1, "x_").InvalidateSetting(ctx); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("unreachable memcached: %v after %s", err, time.Since(start))
	}
}

// TestApplyInvalidatesMemcached: a real repair, and a real member action,
// drop Discuz's memcached copies of what they changed.
func TestApplyInvalidatesMemcached(t *testing.T) {
	srv := memcachetest.Local(t)
	ctx := context.Background()
	host, port := memcachetest.HostPort(t)
	prefix := memcachetest.Prefix(t)
	keys := []string{prefix + "setting", prefix + "usergroups", prefix + "common_member_2", prefix + "common_member_connect_2", prefix + "common_member_3"}
	t.Cleanup(func() { srv.Delete(keys...) })
	for _, k := range keys {
		srv.Set(k, memcachetest.FlagsMemcachedSerialized, serializedSetting)
	}

	s, _ := newMemberSite(t, testdb.X35, false)
	s.R.Cache = repair.NewMemcacheInvalidator("memcached", host, port, prefix)
	if _, plan, err := s.R.Apply(ctx, repair.PluginDisable, repair.Args{}, cli); err != nil || len(plan.Warnings) != 0 {
		t.Fatalf("plugin-disable: %v %q", err, plan.Warnings)
	}
	if srv.Exists(prefix + "setting") {
		t.Fatal("the memcached copy of the setting cache survived plugin-disable")
	}
	if _, plan, err := s.R.Apply(ctx, repair.MemberUnbind, repair.Args{UID: 2}, cli); err != nil || len(plan.Warnings) != 0 {
		t.Fatalf("member-unbind: %v %q", err, plan.Warnings)
	}
	for _, k := range []string{prefix + "common_member_2", prefix + "common_member_connect_2"} {
		if srv.Exists(k) {
			t.Errorf("%s survived member-unbind of uid 2", k)
		}
	}
	for _, k := range []string{prefix + "usergroups", prefix + "common_member_3"} {
		if !srv.Exists(k) {
			t.Errorf("%s was deleted but neither action changed it", k)
		}
	}

	// Beside the file cache, the key is still deleted and the plan asks for
	// 更新缓存 for data/cache/cache_setting.php.
	srv.Set(prefix+"setting", memcachetest.FlagsMemcachedSerialized, serializedSetting)
	s.R.Cache = &repair.PartialInvalidator{Clear: repair.NewMemcacheInvalidator("memcached", host, port, prefix), Manual: repair.NewManualInvalidator(nil, "file")}
	_, plan, err := s.R.Apply(ctx, repair.PluginEnable, repair.Args{}, cli)
	if err != nil || len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "cache_setting.php") || !strings.Contains(plan.Warnings[0], "工具 → 更新缓存") {
		t.Fatalf("plugin-enable beside the file cache: %v %q", err, plan.Warnings)
	}
	if srv.Exists(prefix + "setting") {
		t.Fatal("the memcached copy survived plugin-enable")
	}
}

// TestManualWarnings: for every cache qqconnect cannot reach, the plan names
// it and the one step to take; member rows get Discuz's 内存清理, which
// 更新缓存 is not.
func TestManualWarnings(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inv       *repair.ManualInvalidator
		setting   []string // substrings of Warning(); nil = no warning
		rows      []string // substrings of RowWarning(); nil = no warning
		describes string
	}{
		{"none", repair.NewManualInvalidator(nil, "sql"), nil, nil, "from the database on every request"},
		{"apcu", repair.NewManualInvalidator([]string{"apcu"}, ""),
			[]string{"apcu", "PHP 进程内", "工具 → 更新缓存", "Tools → Update cache", "cannot clear"},
			[]string{"apcu", "内存优化 → 内存清理", "common_member_connect_<uid>", "更新缓存 does not clear member rows"}, "apcu"},
		{"yac", repair.NewManualInvalidator([]string{"yac"}, ""), []string{"yac", "inside PHP's own processes", "更新缓存"}, []string{"yac", "内存清理"}, "yac"},
		{"wincache", repair.NewManualInvalidator([]string{"wincache"}, ""), []string{"wincache", "更新缓存"}, []string{"内存清理"}, "wincache"},
		{"memory file driver", repair.NewManualInvalidator([]string{"file"}, ""), []string{"$_config['memory']['file']", "更新缓存"}, []string{"内存清理"}, "file memory cache"},
		{"file cache", repair.NewManualInvalidator(nil, "file"), []string{"data/cache/cache_setting.php", "更新缓存"}, nil, "cache_setting.php"},
		{"apc and the file cache", repair.NewManualInvalidator([]string{"apc"}, "file"), []string{"apc", "cache_setting.php", "更新缓存"}, []string{"apc", "内存清理"}, "apc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what, got string, want []string) {
				t.Helper()
				if want == nil && got != "" {
					t.Errorf("%s = %q, want none", what, got)
				}
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("%s = %q lacks %q", what, got, w)
					}
				}
			}
			check("Warning()", tc.inv.Warning(), tc.setting)
			check("RowWarning()", tc.inv.RowWarning(), tc.rows)
			check("Describe()", tc.inv.Describe(), []string{tc.describes})
		})
	}
}
