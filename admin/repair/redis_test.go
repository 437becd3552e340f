package repair_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"qqconnect/admin/repair"
	"qqconnect/internal/testdb"
)

const testRedisAddr = "127.0.0.1:6379"

// localRedis returns a client of the local Redis: the test fails in CI when
// it is down, and is skipped elsewhere.
func localRedis(t *testing.T) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: testRedisAddr, DialTimeout: 2 * time.Second})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis required in CI at %s: %v", testRedisAddr, err)
		}
		t.Skipf("Redis not available at %s: %v", testRedisAddr, err)
	}
	return c
}

func randomPrefix(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "qqc_test_" + hex.EncodeToString(b) + "_"
}

// TestRedisInvalidator deletes <prefix>setting in both forms Discuz writes
// (a serialized string, and X3.5's hash), and nothing else.
func TestRedisInvalidator(t *testing.T) {
	ctx := context.Background()
	c := localRedis(t)
	prefix := randomPrefix(t)
	t.Cleanup(func() { c.Del(context.Background(), prefix+"setting", prefix+"usergroups") })
	inv := repair.NewRedisInvalidator(testRedisAddr, "", 0, prefix)
	defer inv.(*repair.RedisInvalidator).Close()
	if d := inv.Describe(); !strings.Contains(d, prefix+"setting") {
		t.Errorf("Describe() = %q", d)
	}

	c.Set(ctx, prefix+"usergroups", "keep", 0)
	c.Set(ctx, prefix+"setting", `a:1:{s:3:"foo";s:3:"bar";}`, 0)
	if err := inv.InvalidateSetting(ctx); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, prefix+"setting").Val(); n != 0 {
		t.Fatal("string form not deleted")
	}
	c.HSet(ctx, prefix+"setting", "connectappid", `s:9:"101234567";`, "plugins", "a:0:{}")
	if err := inv.InvalidateSetting(ctx); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, prefix+"setting").Val(); n != 0 {
		t.Fatal("hash form not deleted")
	}
	if v := c.Get(ctx, prefix+"usergroups").Val(); v != "keep" {
		t.Fatalf("another key was touched: %q", v)
	}
	// a deleted key is fine; an unreachable server is an error with a deadline
	if err := inv.InvalidateSetting(ctx); err != nil {
		t.Fatal(err)
	}
	dead := repair.NewRedisInvalidator("127.0.0.1:1", "", 0, prefix)
	start := time.Now()
	if err := dead.InvalidateSetting(ctx); err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("unreachable redis: %v after %s", err, time.Since(start))
	}
}

// TestApplyInvalidatesRedis: a real repair drops Discuz's cached copy.
func TestApplyInvalidatesRedis(t *testing.T) {
	ctx := context.Background()
	c := localRedis(t)
	prefix := randomPrefix(t)
	t.Cleanup(func() { c.Del(context.Background(), prefix+"setting") })
	s := newSite(t, testdb.X35)
	s.R.Cache = repair.NewRedisInvalidator(testRedisAddr, "", 0, prefix)
	c.HSet(ctx, prefix+"setting", "connectappid", `s:9:"101234567";`)
	if _, plan, err := s.R.Apply(ctx, repair.ClearAppKey, repair.Args{}, cli); err != nil || len(plan.Warnings) != 0 {
		t.Fatalf("apply: %v %q", err, plan.Warnings)
	}
	if n := c.Exists(ctx, prefix+"setting").Val(); n != 0 {
		t.Fatal("the Redis copy of the setting cache survived the repair")
	}
}
