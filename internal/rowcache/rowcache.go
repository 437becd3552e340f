// Package rowcache drops Discuz's memory-cached member rows after qqconnect
// writes the member tables directly. With a memory cache configured, Discuz
// keeps common_member, _status, _count, _field_forum, _field_home, _profile
// and common_member_connect rows under "<memory prefix><table>_<uid>"
// (discuz.MemberRowKeys; discuz_table::fetch_cache/store_cache); without
// this, the forum would serve a stale conisbind after a bind or unbind until
// the cached row expires, and Discuz's default TTL for them is 0 (never).
package rowcache

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"qqconnect/discuz"
	"qqconnect/internal/memcache"
)

// Invalidator forgets the cached rows of one member, and Discuz's memory
// copy of a syscache row other than setting (userstats after a register:
// table_common_syscache keeps it under "<memory prefix><cname>").
type Invalidator interface {
	InvalidateMember(ctx context.Context, uid int64) error
	InvalidateSyscache(ctx context.Context, cname string) error
}

// None is used when Discuz has no memory cache: rows are read from the database.
type None struct{}

// InvalidateMember does nothing.
func (None) InvalidateMember(context.Context, int64) error { return nil }

// InvalidateSyscache does nothing.
func (None) InvalidateSyscache(context.Context, string) error { return nil }

// timeout bounds every call to Discuz's cache server.
const timeout = 3 * time.Second

// Redis deletes the member's keys from Discuz's Redis memory cache.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis connects lazily to Discuz's Redis ($_config['memory']['redis']).
func NewRedis(addr, password string, db int, prefix string) *Redis {
	return &Redis{prefix: prefix, client: redis.NewClient(&redis.Options{Network: discuz.RedisNetwork(addr), Addr: addr, Password: password, DB: db,
		DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, MaxRetries: 1, PoolSize: 2})}
}

// Keys returns the cache keys of one member's rows.
func (r *Redis) Keys(uid int64) []string { return discuz.MemberRowKeys(r.prefix, uid) }

// InvalidateMember deletes every cached row of uid, with a deadline.
func (r *Redis) InvalidateMember(ctx context.Context, uid int64) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := r.client.Del(ctx, r.Keys(uid)...).Err(); err != nil {
		return fmt.Errorf("drop cached rows of uid %d from redis: %w", uid, err)
	}
	return nil
}

// InvalidateSyscache deletes Discuz's memory copy of a syscache row.
func (r *Redis) InvalidateSyscache(ctx context.Context, cname string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := r.client.Del(ctx, r.prefix+cname).Err(); err != nil {
		return fmt.Errorf("drop cached %s from redis: %w", cname, err)
	}
	return nil
}

// Close releases the connection pool.
func (r *Redis) Close() error { return r.client.Close() }

// Memcache deletes the member's keys from the memcached server behind
// Discuz's memcache or memcached memory driver (both store under the plain
// key, so one delete covers either).
type Memcache struct {
	client *memcache.Client
	prefix string
}

// NewMemcache talks to $_config['memory']['memcache'|'memcached'] server:port.
func NewMemcache(server string, port int, prefix string) *Memcache {
	return &Memcache{client: memcache.New(server, port), prefix: prefix}
}

// Keys returns the cache keys of one member's rows.
func (m *Memcache) Keys(uid int64) []string { return discuz.MemberRowKeys(m.prefix, uid) }

// InvalidateMember deletes every cached row of uid, with a deadline.
func (m *Memcache) InvalidateMember(ctx context.Context, uid int64) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := m.client.Delete(ctx, m.Keys(uid)...); err != nil {
		return fmt.Errorf("drop cached rows of uid %d (%s): %w", uid, strings.Join(m.Keys(uid), " "), err)
	}
	return nil
}

// InvalidateSyscache deletes Discuz's memory copy of a syscache row.
func (m *Memcache) InvalidateSyscache(ctx context.Context, cname string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := m.client.Delete(ctx, m.prefix+cname); err != nil {
		return fmt.Errorf("drop cached %s (%s): %w", cname, m.prefix+cname, err)
	}
	return nil
}
