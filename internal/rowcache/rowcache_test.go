package rowcache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"qqconnect/internal/memcache/memcachetest"
)

// wantKeys is the layout Discuz reads (discuz_table::fetch_cache with each
// table class's _pre_cache_key), spelled out so a change to the list shows.
func wantKeys(prefix, uid string) []string {
	return []string{prefix + "common_member_" + uid, prefix + "common_member_status_" + uid, prefix + "common_member_count_" + uid,
		prefix + "common_member_field_forum_" + uid, prefix + "common_member_field_home_" + uid,
		prefix + "common_member_profile_" + uid, prefix + "common_member_connect_" + uid}
}

// neighbours must survive: another uid whose keys share a text prefix, and
// the same uid under another site's prefix, and the setting cache.
func neighbours(prefix, other string) []string {
	return []string{prefix + "common_member_70", prefix + "common_member_connect_8", prefix + "setting", other + "common_member_7", other + "common_member_connect_7"}
}

func TestKeys(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		uid    int64
	}{{"Xq7Lm2_", 7}, {"discuz_", 1}, {"a1b2c3_", 123456789}} {
		got := (&Memcache{prefix: tc.prefix}).Keys(tc.uid)
		want := wantKeys(tc.prefix, strconv.FormatInt(tc.uid, 10))
		if len(got) != len(want) {
			t.Fatalf("Keys = %q", got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("key %d = %q, want %q", i, got[i], want[i])
			}
		}
		if r := (&Redis{prefix: tc.prefix}).Keys(tc.uid); r[0] != want[0] || r[6] != want[6] {
			t.Errorf("redis keys %q", r)
		}
	}
}

func randomPrefix(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "qqc_t_" + hex.EncodeToString(b) + "_"
}

func TestRedisInvalidateMember(t *testing.T) {
	ctx := context.Background()
	probe := localRedis(t)
	prefix, other := randomPrefix(t), randomPrefix(t)
	r := NewRedis("127.0.0.1:6379", "", 0, prefix)
	defer r.Close()
	all := append(wantKeys(prefix, "7"), neighbours(prefix, other)...)
	// X3.5's driver stores a serialize()d array as a plain string (SERIALIZER_NONE).
	for _, k := range all {
		probe.Set(ctx, k, `a:1:{s:3:"uid";s:1:"7";}`, 0)
	}
	t.Cleanup(func() { probe.Del(context.Background(), all...) })
	if err := r.InvalidateMember(ctx, 7); err != nil {
		t.Fatal(err)
	}
	for _, k := range wantKeys(prefix, "7") {
		if n, _ := probe.Exists(ctx, k).Result(); n != 0 {
			t.Errorf("%s still cached", k)
		}
	}
	for _, k := range neighbours(prefix, other) {
		if n, _ := probe.Exists(ctx, k).Result(); n != 1 {
			t.Errorf("%s was deleted but belongs to someone else", k)
		}
	}
}

func TestMemcacheInvalidateMember(t *testing.T) {
	srv := memcachetest.Local(t)
	ctx := context.Background()
	host, port := memcachetest.HostPort(t)
	// Both PHP extensions Discuz drives write the plain key; only the
	// flags differ (X3.4's memcache driver compresses, memcached's marks
	// PHP serialization).
	for _, tc := range []struct {
		driver string
		flags  int
	}{
		{"memcache X3.4", memcachetest.FlagsMemcacheSerializedCompressed},
		{"memcache X3.5", memcachetest.FlagsMemcacheSerialized},
		{"memcached", memcachetest.FlagsMemcachedSerialized},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			prefix, other := memcachetest.Prefix(t), memcachetest.Prefix(t)
			all := append(wantKeys(prefix, "7"), neighbours(prefix, other)...)
			t.Cleanup(func() { srv.Delete(all...) })
			for _, k := range all {
				srv.Set(k, tc.flags, `a:1:{s:3:"uid";s:1:"7";}`)
			}
			if err := NewMemcache(host, port, prefix).InvalidateMember(ctx, 7); err != nil {
				t.Fatal(err)
			}
			for _, k := range wantKeys(prefix, "7") {
				if srv.Exists(k) {
					t.Errorf("%s still cached", k)
				}
			}
			for _, k := range neighbours(prefix, other) {
				if !srv.Exists(k) {
					t.Errorf("%s was deleted but belongs to someone else", k)
				}
			}
		})
	}
	// nothing cached is fine; an unreachable server is an error, quickly
	if err := NewMemcache(host, port, memcachetest.Prefix(t)).InvalidateMember(ctx, 9); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := NewMemcache("127.0.0.1", 1, "x_").InvalidateMember(ctx, 9); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("unreachable memcached: %v after %s", err, time.Since(start))
	}
}

// TestInvalidateSyscache: after a registration the memory copy of the
// userstats syscache row ("<prefix>userstats", table_common_syscache) goes,
// on a real Redis and a real memcached; "<prefix>setting" and another
// site's userstats stay.
func TestInvalidateSyscache(t *testing.T) {
	ctx := context.Background()
	probe := localRedis(t)
	prefix, other := randomPrefix(t), randomPrefix(t)
	keep := []string{prefix + "setting", other + "userstats"}
	for _, k := range append(keep, prefix+"userstats") {
		probe.Set(ctx, k, `a:2:{s:12:"totalmembers";i:2;s:10:"newsetuser";s:1:"a";}`, 0)
	}
	t.Cleanup(func() { probe.Del(context.Background(), append(keep, prefix+"userstats")...) })
	r := NewRedis("127.0.0.1:6379", "", 0, prefix)
	defer r.Close()
	if err := r.InvalidateSyscache(ctx, "userstats"); err != nil {
		t.Fatal(err)
	}
	if n, _ := probe.Exists(ctx, prefix+"userstats").Result(); n != 0 {
		t.Error("redis: userstats still cached")
	}
	for _, k := range keep {
		if n, _ := probe.Exists(ctx, k).Result(); n != 1 {
			t.Errorf("redis: %s was deleted", k)
		}
	}

	srv := memcachetest.Local(t)
	host, port := memcachetest.HostPort(t)
	mp, mo := memcachetest.Prefix(t), memcachetest.Prefix(t)
	mkeep := []string{mp + "setting", mo + "userstats"}
	t.Cleanup(func() { srv.Delete(append(mkeep, mp+"userstats")...) })
	for _, k := range append(mkeep, mp+"userstats") {
		srv.Set(k, memcachetest.FlagsMemcachedSerialized, `a:1:{s:12:"totalmembers";i:2;}`)
	}
	if err := NewMemcache(host, port, mp).InvalidateSyscache(ctx, "userstats"); err != nil {
		t.Fatal(err)
	}
	if srv.Exists(mp + "userstats") {
		t.Error("memcached: userstats still cached")
	}
	for _, k := range mkeep {
		if !srv.Exists(k) {
			t.Errorf("memcached: %s was deleted", k)
		}
	}
}

// localRedis is a client of the Redis on 127.0.0.1:6379, closed at cleanup;
// without one the test fails in CI and is skipped elsewhere.
func localRedis(t *testing.T) *redis.Client {
	t.Helper()
	probe := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DialTimeout: 2 * time.Second})
	t.Cleanup(func() { probe.Close() })
	if err := probe.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis on 127.0.0.1:6379 is required in CI: %v", err)
		}
		t.Skipf("no Redis: %v", err)
	}
	return probe
}
