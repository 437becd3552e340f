package rowcache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestRedisInvalidateMember(t *testing.T) {
	ctx := context.Background()
	probe := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer probe.Close()
	if err := probe.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis on 127.0.0.1:6379 is required in CI: %v", err)
		}
		t.Skipf("no Redis: %v", err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	prefix := "qqc_t_" + hex.EncodeToString(b) + "_"
	r := NewRedis("127.0.0.1:6379", "", 0, prefix)
	defer r.Close()
	for _, k := range append(r.Keys(7), prefix+"common_member_8", prefix+"setting") {
		probe.Set(ctx, k, "x", 0)
	}
	t.Cleanup(func() { probe.Del(ctx, append(r.Keys(7), prefix+"common_member_8", prefix+"setting")...) })
	if err := r.InvalidateMember(ctx, 7); err != nil {
		t.Fatal(err)
	}
	for _, k := range r.Keys(7) {
		if n, _ := probe.Exists(ctx, k).Result(); n != 0 {
			t.Errorf("%s still cached", k)
		}
	}
	for _, k := range []string{prefix + "common_member_8", prefix + "setting"} {
		if n, _ := probe.Exists(ctx, k).Result(); n != 1 {
			t.Errorf("%s was deleted but belongs to someone else", k)
		}
	}
	if got := r.Keys(7)[0]; got != prefix+"common_member_7" {
		t.Fatalf("key layout %q", got)
	}
}
