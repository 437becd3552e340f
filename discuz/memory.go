package discuz

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
)

// Discuz's memory cache, as discuz_memory and the table classes use it
// (X3.4 = lhmouse/DiscuzX master, X3.5 = branch v3.5; paths under upload/):
//
//   - discuz_memory::init (source/class/discuz/discuz_memory.php, X3.4
//     l.28-47, X3.5 l.35-61) walks $_config['memory'] in the file's order,
//     skipping 'prefix', and keeps the FIRST entry that is "available"
//     (an array with a non-empty ['server'], or a non-empty scalar) and
//     whose driver starts (PHP extension loaded, server reachable).
//   - Every key is prefix + userprefix + name (_key, X3.4 l.156, X3.5
//     l.366): no hashing, no namespace. An empty prefix becomes
//     substr(md5($_SERVER['HTTP_HOST']), 0, 6).'_' (X3.4 l.30, X3.5 l.37).
//   - The setting cache is the name "setting" (table_common_syscache).
//   - A table row is <prefix><_pre_cache_key><id> (discuz_table::fetch_cache
//     and store_cache, l.144-161 in both).

// MemoryBackends are the driver names Discuz knows
// (source/class/memory/memory_driver_<name>.php, the same ten in X3.4 and X3.5).
var MemoryBackends = []string{"redis", "memcache", "memcached", "apc", "apcu", "xcache", "eaccelerator", "wincache", "yac", "file"}

// InProcessMemory reports whether a backend keeps its data inside PHP's own
// processes (opcode/user caches), where no other program can reach it.
func InProcessMemory(name string) bool {
	switch name {
	case "apc", "apcu", "xcache", "eaccelerator", "wincache", "yac":
		return true
	}
	return false
}

// MemoryOrder lists the memory backends config_global.php makes available,
// in the file's order, by discuz_memory::init's rule. Discuz uses the first
// one whose PHP extension is loaded and whose server answers; the others are
// only its fallbacks.
func (c *GlobalConfig) MemoryOrder() []string {
	mem := lookup(c.root, "memory")
	if mem == nil || mem.kind != valArray {
		return nil
	}
	known := map[string]bool{}
	for _, n := range MemoryBackends {
		known[n] = true
	}
	var out []string
	for _, k := range mem.arr.keys {
		v := mem.arr.get(k)
		if k == "prefix" || !known[k] {
			continue
		}
		available := v.truthy()
		if v.kind == valArray {
			s := v.arr.get("server")
			available = s != nil && s.truthy()
		}
		if available {
			out = append(out, k)
		}
	}
	return out
}

// MemoryBackend is the backend Discuz uses when its PHP extension is loaded:
// the first of MemoryOrder, "" when none is configured.
func (c *GlobalConfig) MemoryBackend() string {
	if o := c.MemoryOrder(); len(o) > 0 {
		return o[0]
	}
	return ""
}

// MemoryPrefix is the key prefix Discuz uses: the configured one, or, when
// it is empty, the first 6 hex digits of md5(HTTP_HOST) and "_". host is
// the Host header browsers send to the forum (host, or host:port for a
// non-default port).
func MemoryPrefix(configured, host string) string {
	if configured != "" {
		return configured
	}
	sum := md5.Sum([]byte(host))
	return hex.EncodeToString(sum[:])[:6] + "_"
}

// SettingCacheName is the memory key (without prefix) of the setting cache.
const SettingCacheName = "setting"

// MemberRowTables are the member tables whose rows Discuz keeps in the
// memory cache under <prefix><table>_<uid> and that qqconnect writes: the
// six of a registration (table_common_member*.php, _pre_cache_key) and
// common_member_connect (source/plugin/qqconnect/table/
// table_common_member_connect.php l.22-23, _cache_ttl 0, so always cached).
// Discuz's default TTL of the six is 0 too (pre_common_setting.memory in
// install_data.sql): a stale row stays until the cache is cleared.
var MemberRowTables = []string{"common_member", "common_member_status", "common_member_count",
	"common_member_field_forum", "common_member_field_home", "common_member_profile", "common_member_connect"}

// MemberRowKeys returns the memory keys of one member's cached rows.
func MemberRowKeys(prefix string, uid int64) []string {
	id := strconv.FormatInt(uid, 10)
	out := make([]string, len(MemberRowTables))
	for i, t := range MemberRowTables {
		out[i] = prefix + t + "_" + id
	}
	return out
}

// UpdateCacheStep is the one thing an admin does when qqconnect cannot
// clear Discuz's copy of the setting cache (an in-process memory cache, the
// file cache): Discuz's own rebuild, which rewrites the row, the memory copy
// and data/cache/cache_setting.php (admincp_tools.php updatecache →
// table_common_syscache::insert).
const UpdateCacheStep = "Discuz 后台 → 工具 → 更新缓存（勾选“数据缓存”）/ Discuz Admin CP → Tools → Update cache (工具 → 更新缓存, tick 数据缓存)"

// MemoryClearStep is the one thing an admin does about member rows in a
// memory cache qqconnect cannot reach: 更新缓存 does not touch them; 内存清理
// flushes Discuz's whole memory cache (admincp_setting.php operation=memory
// do=clear → C::memory()->clear()).
const MemoryClearStep = "Discuz 后台 → 全局 → 性能优化 → 内存优化 → 内存清理 / Discuz Admin CP → Global → Performance → Memory → 内存清理 (clear memory)"

// RedisNetwork is "unix" for a Redis server given as a socket path
// (phpredis's form of $_config['memory']['redis']['server']), else "tcp".
func RedisNetwork(addr string) string {
	if strings.HasPrefix(addr, "/") {
		return "unix"
	}
	return "tcp"
}
