package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"qqconnect/discuz"
)

// Discuz reads its settings through layers (table_common_syscache::fetch_all):
// the memory cache, then data/cache/cache_setting.php when
// $_config['cache']['type']='file', then the `setting` row. qqconnect patches
// the row and deletes the Redis/memcached copy itself; a memory cache inside
// PHP's processes (apc, apcu, yac, wincache, xcache, eaccelerator), the
// memory "file" driver and the file cache are out of its reach, and keep
// the old settings until Discuz rebuilds them (工具 → 更新缓存).

// memView is what the memory checks need to know about Discuz's caches.
type memView struct {
	backend string   // the memory backend Discuz uses, "" = none
	cleared string   // "redis", "memcache", "memcached" when qqconnect clears it
	addr    string   // its server
	manual  []string // the memory backend qqconnect cannot reach (at most one)
	others  []string // further configured backends (Discuz's fallbacks)
	file    bool     // $_config['cache']['type']='file'
}

func (e *Env) memView() memView {
	v := memView{backend: e.MemoryBackend, file: strings.TrimSpace(e.CacheType) == "file"}
	var rest []string
	for _, o := range e.MemoryOther {
		if o = strings.TrimSpace(o); o != "" && o != v.backend {
			rest = append(rest, o)
		}
	}
	if v.backend == "" { // an Env built without MemoryBackend
		switch {
		case e.MemoryRedis != "":
			v.backend = "redis"
		case e.MemoryMemcache != "":
			v.backend = "memcache"
		case len(rest) > 0:
			v.backend, rest = rest[0], rest[1:]
		}
	}
	v.others = rest
	switch {
	case v.backend == "redis" && e.MemoryRedis != "":
		v.cleared, v.addr = v.backend, e.MemoryRedis
	case (v.backend == "memcache" || v.backend == "memcached") && e.MemoryMemcache != "":
		v.cleared, v.addr = v.backend, e.MemoryMemcache
	case v.backend != "":
		v.manual = []string{v.backend}
	}
	return v
}

// unreachable names the caches qqconnect cannot clear, "" when none.
func (v memView) unreachable() string {
	var c []string
	for _, m := range v.manual {
		if discuz.InProcessMemory(m) {
			c = append(c, "the memory cache "+m+" (inside PHP's own processes)")
		} else {
			c = append(c, "the memory cache "+m)
		}
	}
	if v.file {
		c = append(c, "the file cache data/cache/cache_setting.php")
	}
	return strings.Join(c, " and ")
}

// ---- memory_cache --------------------------------------------------------

func checkMemoryCache(ctx context.Context, r *runner) Result {
	res := memoryCacheResult(ctx, r)
	if r.env.ConfigRead != "" {
		res.Detail += " (settings from " + r.env.ConfigRead + ")"
	}
	return res
}

func memoryCacheResult(ctx context.Context, r *runner) Result {
	e := r.env
	v := e.memView()
	fallbacks := ""
	if len(v.others) > 0 {
		fallbacks = "; also configured: " + strings.Join(v.others, ", ") + " (Discuz falls back to them only when the PHP extension of " + v.backend + " is missing or its server refuses)"
	}
	rows := "after each QQ bind or unbind the member keeps the old rows (common_member_<uid>, common_member_connect_<uid>, …; Discuz's default TTL 0 keeps them until the cache is cleared)"
	switch {
	case v.file:
		detail := "$_config['cache']['type']='file': Discuz reads settings from data/cache/cache_setting.php, which qqconnect cannot refresh"
		if v.cleared != "" {
			detail += fmt.Sprintf(" (qqconnect does delete %ssetting from %s at %s)", e.MemoryPrefix, v.cleared, v.addr)
		}
		if len(v.manual) > 0 {
			detail += "; " + v.unreachable() + " is out of qqconnect's reach too: " + rows
		}
		return warn(detail+fallbacks, "after every qqconnect repair run "+discuz.UpdateCacheStep+", or the forum keeps the old settings; or set $_config['cache']['type']='sql' in config_global.php")
	case v.cleared != "":
		if e.MemoryProbe != nil {
			if err := e.MemoryProbe(ctx); err != nil {
				return warn(fmt.Sprintf("%s at %s: qqconnect cannot reach it (%v), so it cannot delete %ssetting after a repair nor the member rows after a bind or unbind", v.cleared, v.addr, err, e.MemoryPrefix),
					"let qqconnect reach the server Discuz uses (address, firewall, password); until then run "+discuz.UpdateCacheStep+" after each repair")
			}
		}
		return ok(fmt.Sprintf("%s at %s: qqconnect deletes %ssetting after each change and the member's %scommon_member_<uid>… rows after each bind or unbind%s",
			v.cleared, v.addr, e.MemoryPrefix, e.MemoryPrefix, fallbacks))
	case len(v.manual) > 0:
		label := v.manual[0]
		if discuz.InProcessMemory(label) {
			label += " (inside PHP's own processes)"
		}
		return warn("Discuz's memory cache is "+label+": qqconnect cannot refresh this cache. After a qqconnect repair the forum keeps the old settings; "+rows+fallbacks,
			"after every qqconnect repair run "+discuz.UpdateCacheStep+"; for the member rows run "+discuz.MemoryClearStep+
				", or give Discuz a memory cache qqconnect clears itself (redis or memcache/memcached in config_global.php)")
	}
	detail := "no memory cache: Discuz reads the setting row from the database on every request"
	if e.DiscuzVersion == "" && e.Store != nil && e.Store.Dialect == "mysql" {
		detail += " (as far as known: without QQCONNECT_DISCUZ_ROOT qqconnect cannot read config_global.php)"
	}
	return ok(detail)
}

// ---- setting_cache_age ---------------------------------------------------

// ownWriteWindow is how long after its audit time qqconnect's own write of
// the setting row may carry: both come from one repair, a few milliseconds
// apart. A Discuz rebuild inside the window counts as not rebuilt (the safe
// side: the admin is asked for one 更新缓存 too many).
const ownWriteWindow = 5 * time.Second

// checkSettingCacheAge flags a copy of the setting cache that is older than
// the settings it caches: when Discuz reads a copy qqconnect cannot clear
// and qqconnect changed the settings after Discuz last rebuilt that copy.
// Discuz stamps the row's dateline at every rebuild (and rewrites its memory
// copy and cache file then); qqconnect stamps it when it patches the row and
// records the change in its audit log. So a dateline no later than
// qqconnect's last audited change of the row means Discuz has not rebuilt
// since, and its copy still holds the settings from before that change.
// That the row itself agrees with pre_common_setting is the setting_cache
// check's job.
func checkSettingCacheAge(ctx context.Context, r *runner) Result {
	v := r.env.memView()
	where := v.unreachable()
	if where == "" {
		if v.cleared != "" {
			return ok(fmt.Sprintf("qqconnect deletes the %s copy after each change: Discuz rebuilds it from the row qqconnect patched, so no copy is older than the settings", v.cleared))
		}
		return ok("Discuz reads the setting row from the database on every request: no copy of it can be older than the settings")
	}
	s, err := r.db(ctx)
	if err != nil {
		return dbSkip(err)
	}
	syscache := s.T.Discuz("common_syscache")
	var dateline int64
	err = s.DB.WithContext(ctx).Raw("SELECT dateline FROM "+syscache+" WHERE cname = ? LIMIT 1", discuz.SettingCacheName).Row().Scan(&dateline)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return skip("no `setting` row in " + syscache + " (see the setting_cache check)")
	case err != nil:
		return fail("cannot read "+syscache+": "+err.Error(), "see the database check")
	}
	if res := noOwnTables(s, "audit"); res != nil {
		return *res
	}
	// The audit target lists every place a repair wrote (display.go's Where).
	var id, at int64
	var action string
	audit := s.T.Own("audit")
	err = s.DB.WithContext(ctx).Raw("SELECT id, at, action FROM "+audit+" WHERE result = 'ok' AND target LIKE ? ORDER BY at DESC, id DESC LIMIT 1",
		"%"+syscache+"[setting]%").Row().Scan(&id, &at, &action)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ok(fmt.Sprintf("qqconnect has not changed the setting cache; Discuz last rebuilt it at %s", stamp(dateline)))
	case err != nil:
		return skip("cannot read qqconnect's audit log " + audit + ": " + err.Error() + " (see the database check)")
	}
	if time.Unix(dateline, 0).After(time.Unix(at, 0).Add(ownWriteWindow)) {
		return ok(fmt.Sprintf("Discuz rebuilt the setting cache at %s, after qqconnect's last change (#%d %s at %s)", stamp(dateline), id, action, stamp(at)))
	}
	return warn(fmt.Sprintf("qqconnect changed the settings at %s (#%d %s) and Discuz has not rebuilt its setting cache since (row written %s): Discuz reads %s first, whose copy is older than the settings it caches, so the forum still shows the state from before that change",
		stamp(at), id, action, stamp(dateline), where),
		"run "+discuz.UpdateCacheStep+"; qqconnect's refresh-cache repair cannot help here, it only patches the row")
}

func stamp(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.DateTime) + " UTC" }
