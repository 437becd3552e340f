// Package rowcache drops Discuz's memory-cached member rows after qqconnect
// writes the member tables directly. With a memory cache configured, Discuz
// keeps common_member, _status, _count, _field_forum, _field_home, _profile
// and common_member_connect rows under "<memory prefix><table>_<uid>"
// (discuz.md §7.3.6); without this, the forum would serve a stale conisbind
// after a bind or unbind until the cached row expires.
package rowcache

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// tables whose rows Discuz caches per uid (table classes with a memory cache).
var tables = []string{"common_member", "common_member_status", "common_member_count",
	"common_member_field_forum", "common_member_field_home", "common_member_profile", "common_member_connect"}

// Invalidator forgets the cached rows of one member.
type Invalidator interface {
	InvalidateMember(ctx context.Context, uid int64) error
}

// None is used when Discuz has no memory cache: rows are read from the database.
type None struct{}

// InvalidateMember does nothing.
func (None) InvalidateMember(context.Context, int64) error { return nil }

// Redis deletes the member's keys from Discuz's Redis memory cache.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis connects lazily to Discuz's Redis ($_config['memory']['redis']).
func NewRedis(addr, password string, db int, prefix string) *Redis {
	return &Redis{prefix: prefix, client: redis.NewClient(&redis.Options{Addr: addr, Password: password, DB: db,
		DialTimeout: 3 * time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second, MaxRetries: 1, PoolSize: 2})}
}

// Keys returns the cache keys of one member's rows.
func (r *Redis) Keys(uid int64) []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = r.prefix + t + "_" + strconv.FormatInt(uid, 10)
	}
	return out
}

// InvalidateMember deletes every cached row of uid, with a deadline.
func (r *Redis) InvalidateMember(ctx context.Context, uid int64) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := r.client.Del(ctx, r.Keys(uid)...).Err(); err != nil {
		return fmt.Errorf("drop cached rows of uid %d: %w", uid, err)
	}
	return nil
}

// Close releases the connection pool.
func (r *Redis) Close() error { return r.client.Close() }
