package repair

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"qqconnect/discuz"
	"qqconnect/internal/memcache"
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

// cacheTimeout bounds every call to Discuz's cache server.
const cacheTimeout = 3 * time.Second

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
			Network: discuz.RedisNetwork(addr), Addr: addr, Password: password, DB: db,
			DialTimeout: cacheTimeout, ReadTimeout: cacheTimeout, WriteTimeout: cacheTimeout,
			MaxRetries: 1, PoolSize: 2,
		}),
		addr: addr, db: db, prefix: prefix, key: prefix + "setting",
	}
}

// InvalidateSetting runs DEL <prefix>setting with a deadline.
func (r *RedisInvalidator) InvalidateSetting(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
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
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	keys := prefixed(r.prefix, names)
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

// MemcacheInvalidator deletes <memory prefix>setting from the memcached
// server behind Discuz's memcache or memcached driver. Both PHP extensions
// store under the plain key Discuz gives them (memory_driver_memcache.php /
// memory_driver_memcached.php, no prefix option, one server), so one
// text-protocol delete reaches what either wrote.
type MemcacheInvalidator struct {
	client *memcache.Client
	driver string // "memcache" or "memcached", for the messages
	prefix string
}

// NewMemcacheInvalidator talks to $_config['memory'][driver]['server'] and
// ['port'] (a "unix://…" or "/…" server is a Unix socket).
func NewMemcacheInvalidator(driver, server string, port int, prefix string) *MemcacheInvalidator {
	return &MemcacheInvalidator{client: memcache.New(server, port), driver: driver, prefix: prefix}
}

// InvalidateSetting deletes <prefix>setting with a deadline.
func (m *MemcacheInvalidator) InvalidateSetting(ctx context.Context) error {
	return m.InvalidateKeys(ctx, discuz.SettingCacheName)
}

// InvalidateKeys deletes <prefix>name… with a deadline.
func (m *MemcacheInvalidator) InvalidateKeys(ctx context.Context, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	keys := prefixed(m.prefix, names)
	if _, err := m.client.Delete(ctx, keys...); err != nil {
		return fmt.Errorf("%s: delete %s: %w", m.driver, strings.Join(keys, " "), err)
	}
	return nil
}

// Describe names the server and key.
func (m *MemcacheInvalidator) Describe() string {
	key := m.prefix + discuz.SettingCacheName
	return fmt.Sprintf("Discuz 的 %s 内存缓存 %s：修改后删除键 %s / Discuz's %s memory cache at %s: the key %s is deleted after each change",
		m.driver, m.client.Addr(), key, m.driver, m.client.Addr(), key)
}

// ManualInvalidator is used when qqconnect cannot reach the cache Discuz
// reads first: a memory backend inside PHP's own processes (apc, apcu,
// yac, wincache, xcache, eaccelerator), the memory "file" driver, or the
// file cache (data/cache/cache_setting.php). With neither, Discuz reads the
// setting row from the database on every request and nothing needs clearing.
type ManualInvalidator struct {
	Memory    []string // Discuz memory backends qqconnect cannot reach (apcu, yac, …)
	CacheType string   // $_config['cache']['type'] ("file" matters)
}

// NewManualInvalidator describes the caches qqconnect cannot clear itself.
func NewManualInvalidator(memory []string, cacheType string) *ManualInvalidator {
	return &ManualInvalidator{Memory: memory, CacheType: cacheType}
}

// InvalidateSetting does nothing: see Warning.
func (m *ManualInvalidator) InvalidateSetting(context.Context) error { return nil }

// memoryLabel says where a backend keeps its data, so the admin sees why
// qqconnect cannot reach it.
func memoryLabel(name string) (zh, en string) {
	switch {
	case discuz.InProcessMemory(name):
		return name + "（PHP 进程内的缓存）", name + " (inside PHP's own processes)"
	case name == "file":
		return "文件内存缓存 $_config['memory']['file']", "the file memory cache $_config['memory']['file']"
	}
	return name, name
}

func (m *ManualInvalidator) caches() (zh, en []string) {
	if len(m.Memory) > 0 {
		var z, e []string
		for _, n := range m.Memory {
			a, b := memoryLabel(n)
			z, e = append(z, a), append(e, b)
		}
		zh = append(zh, "内存缓存 "+strings.Join(z, "、"))
		en = append(en, "memory cache "+strings.Join(e, ", "))
	}
	if m.CacheType == "file" {
		zh = append(zh, "文件缓存 data/cache/cache_setting.php")
		en = append(en, "file cache data/cache/cache_setting.php")
	}
	return zh, en
}

// Describe says what Discuz reads the settings from.
func (m *ManualInvalidator) Describe() string {
	zh, en := m.caches()
	if len(zh) == 0 {
		return "Discuz 没有配置内存缓存或文件缓存，每次请求都从数据库读取 setting 缓存行，修改立即生效 / Discuz has no memory or file cache configured: it reads the setting row from the database on every request, so changes take effect at once"
	}
	return "qqconnect 无法清除 Discuz 的 " + strings.Join(zh, "、") + " / qqconnect cannot clear Discuz's " + strings.Join(en, " and ")
}

// Warning asks the admin to rebuild the caches when qqconnect cannot.
func (m *ManualInvalidator) Warning() string {
	zh, en := m.caches()
	if len(zh) == 0 {
		return ""
	}
	return "Discuz 从 " + strings.Join(zh, "、") + " 读取 setting 缓存，qqconnect 无法清除它：修改后请运行 " + discuz.UpdateCacheStep +
		"，否则论坛继续使用旧的设置 — Discuz reads the setting cache from the " + strings.Join(en, " and ") +
		", which qqconnect cannot clear: after the change run the step above, or the forum keeps the old settings"
}

// RowWarning asks the admin to clear Discuz's memory cache, which keeps a
// member's old rows (common_member, common_member_connect, …): by Discuz's
// default they never expire. The file cache holds no member rows.
func (m *ManualInvalidator) RowWarning() string {
	if len(m.Memory) == 0 {
		return ""
	}
	var z, e []string
	for _, n := range m.Memory {
		a, b := memoryLabel(n)
		z, e = append(z, a), append(e, b)
	}
	return "Discuz 的内存缓存 " + strings.Join(z, "、") + " 仍保存着该会员修改前的数据行（common_member_<uid>、common_member_connect_<uid> 等），qqconnect 无法清除，Discuz 默认也不让它们过期：请运行 " +
		discuz.MemoryClearStep + "（“更新缓存”不清除会员数据行）— Discuz's memory cache " + strings.Join(e, ", ") +
		" still holds the member's old rows (common_member_<uid>, common_member_connect_<uid>, …), which qqconnect cannot clear and which never expire by Discuz's default: run the step above (更新缓存 does not clear member rows)"
}

// PartialInvalidator clears the memory copy qqconnect can reach (Redis,
// memcached) and asks for 更新缓存 for what it cannot: the file cache
// data/cache/cache_setting.php, which Discuz reads right after a memory
// miss and would copy, stale, back into memory.
type PartialInvalidator struct {
	Clear  CacheInvalidator
	Manual *ManualInvalidator
}

// InvalidateSetting clears the reachable copy.
func (p *PartialInvalidator) InvalidateSetting(ctx context.Context) error {
	return p.Clear.InvalidateSetting(ctx)
}

// InvalidateKeys clears member rows when the reachable copy can.
func (p *PartialInvalidator) InvalidateKeys(ctx context.Context, names ...string) error {
	if ki, ok := p.Clear.(keyInvalidator); ok {
		return ki.InvalidateKeys(ctx, names...)
	}
	return nil
}

// Describe names both parts.
func (p *PartialInvalidator) Describe() string {
	return p.Clear.Describe() + "; " + p.Manual.Describe()
}

// Warning is the manual part's.
func (p *PartialInvalidator) Warning() string { return p.Manual.Warning() }

// RowWarning is the manual part's (none for the file cache alone).
func (p *PartialInvalidator) RowWarning() string { return p.Manual.RowWarning() }

// prefixed turns cache names into Discuz's memory keys.
func prefixed(prefix string, names []string) []string {
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = prefix + n
	}
	return keys
}
