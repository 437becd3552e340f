package repair

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// CacheInvalidator drops Discuz's memory copy of the setting cache after the
// database row changed (discuz-cache.md §5.1, §7.5; discuz.md §7.3).
type CacheInvalidator interface {
	InvalidateSetting(ctx context.Context) error
	Describe() string
}

// cacheWarner is implemented by invalidators that cannot clear the cache
// themselves: the text goes into Plan.Warnings.
type cacheWarner interface {
	Warning() string
}

// keyInvalidator is implemented by invalidators that can drop any key of
// Discuz's memory cache, e.g. the cached rows of a member
// (<prefix>common_member_<uid>, discuz.md §7.3 item 6).
type keyInvalidator interface {
	InvalidateKeys(ctx context.Context, names ...string) error
}

// rowWarner is implemented by invalidators that cannot drop a member's
// cached rows: the text goes into Plan.Warnings of the member actions.
type rowWarner interface {
	RowWarning() string
}

// redisTimeout bounds every Redis call.
const redisTimeout = 3 * time.Second

// RedisInvalidator deletes <memory prefix>setting from Discuz's Redis. The
// same key holds either a serialized string (X3.4, X3.5 without eval/hash
// support) or, in X3.5's memory_setting_array, a hash with one field per
// top-level key: one DEL removes both forms, and Discuz reloads the row from
// the database on the next request.
type RedisInvalidator struct {
	client *redis.Client
	addr   string
	db     int
	prefix string
	key    string
}

// NewRedisInvalidator connects lazily to Discuz's Redis ($_config['memory']['redis']).
func NewRedisInvalidator(addr, password string, db int, prefix string) CacheInvalidator {
	return &RedisInvalidator{
		client: redis.NewClient(&redis.Options{
			Addr: addr, Password: password, DB: db,
			DialTimeout: redisTimeout, ReadTimeout: redisTimeout, WriteTimeout: redisTimeout,
			MaxRetries: 1, PoolSize: 2,
		}),
		addr: addr, db: db, prefix: prefix, key: prefix + "setting",
	}
}

// InvalidateSetting runs DEL <prefix>setting with a deadline.
func (r *RedisInvalidator) InvalidateSetting(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	if err := r.client.Del(ctx, r.key).Err(); err != nil {
		return fmt.Errorf("redis %s db %d: DEL %s: %w", r.addr, r.db, r.key, err)
	}
	return nil
}

// InvalidateKeys runs DEL <prefix>name… with a deadline.
func (r *RedisInvalidator) InvalidateKeys(ctx context.Context, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = r.prefix + n
	}
	if err := r.client.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("redis %s db %d: DEL %s: %w", r.addr, r.db, strings.Join(keys, " "), err)
	}
	return nil
}

// Describe names the server and key (never the password).
func (r *RedisInvalidator) Describe() string {
	return fmt.Sprintf("Discuz 的 Redis 内存缓存 %s（db %d）：修改后删除键 %s / Discuz's Redis memory cache %s (db %d): the key %s is deleted after each change",
		r.addr, r.db, r.key, r.addr, r.db, r.key)
}

// Close releases the connection pool.
func (r *RedisInvalidator) Close() error { return r.client.Close() }

// ManualInvalidator is used when qqconnect cannot reach the cache Discuz
// reads first: memcache/apc/… memory backends, or the file cache
// (data/cache/cache_setting.php). With neither, Discuz reads the setting row
// from the database on every request and nothing needs clearing.
type ManualInvalidator struct {
	Memory    []string // Discuz memory backends other than redis (memcache, apc, …)
	CacheType string   // $_config['cache']['type'] ("file" matters)
}

// NewManualInvalidator describes the caches qqconnect cannot clear itself.
func NewManualInvalidator(memory []string, cacheType string) *ManualInvalidator {
	return &ManualInvalidator{Memory: memory, CacheType: cacheType}
}

// InvalidateSetting does nothing: see Warning.
func (m *ManualInvalidator) InvalidateSetting(context.Context) error { return nil }

func (m *ManualInvalidator) caches() []string {
	var c []string
	if len(m.Memory) > 0 {
		c = append(c, "memory cache "+strings.Join(m.Memory, ", "))
	}
	if m.CacheType == "file" {
		c = append(c, "file cache data/cache/cache_setting.php")
	}
	return c
}

// Describe says what Discuz reads the settings from.
func (m *ManualInvalidator) Describe() string {
	c := m.caches()
	if len(c) == 0 {
		return "Discuz 没有配置内存缓存或文件缓存，每次请求都从数据库读取 setting 缓存行，修改立即生效 / Discuz has no memory or file cache configured: it reads the setting row from the database on every request, so changes take effect at once"
	}
	return "qqconnect 无法清除 Discuz 的 " + strings.Join(c, "、") + " / qqconnect cannot clear Discuz's " + strings.Join(c, " and ")
}

// Warning asks the admin to rebuild the caches when qqconnect cannot.
func (m *ManualInvalidator) Warning() string {
	c := m.caches()
	if len(c) == 0 {
		return ""
	}
	return "Discuz 使用 " + strings.Join(c, "、") + "，qqconnect 无法清除：修改后请在 Discuz 后台运行 工具 → 更新缓存 / Discuz uses the " +
		strings.Join(c, " and ") + ", which qqconnect cannot clear: after the change run 工具 → 更新缓存 in Discuz's admin panel"
}

// RowWarning asks the admin to flush Discuz's memory cache, which may keep
// a member's old rows (common_member, common_member_connect) until they
// expire; the file cache holds no member rows.
func (m *ManualInvalidator) RowWarning() string {
	if len(m.Memory) == 0 {
		return ""
	}
	mem := strings.Join(m.Memory, ", ")
	return "Discuz 使用内存缓存 " + mem + "，其中可能仍有该会员修改前的数据行（common_member_<uid>、common_member_connect_<uid>），qqconnect 无法清除：需要立即生效时请清空该缓存，否则等它们过期 / Discuz's memory cache (" + mem +
		") may still hold the member's old rows (common_member_<uid>, common_member_connect_<uid>), which qqconnect cannot clear: flush that cache if the change must show at once, or wait for them to expire"
}
