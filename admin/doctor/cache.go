package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"qqconnect/discuz"
)

// The setting_cache check compares the `setting` row of pre_common_syscache
// (the only copy Discuz reads at runtime, discuz-cache.md §5.1) with the rows
// it is built from, for everything qqconnect writes (CONTRACT §4): the
// appid/appkey and cloud keys, the connect array (emptied in the cache while
// the plugin is unavailable), plugins.available and the qqconnect hook
// fragments.

// cacheScalarKeys are top-level keys copied verbatim from pre_common_setting
// into the cache by build_cache_setting (a missing key reads as ”).
var cacheScalarKeys = []string{"connectappid", "connectappkey", "my_siteid", "my_sitekey", "cloud_status"}

// secretCacheKeys are never shown, only masked.
var secretCacheKeys = map[string]bool{"connectappkey": true, "my_sitekey": true}

func checkSettingCache(ctx context.Context, r *runner) Result {
	s, m, err := r.loadSettings(ctx)
	if err != nil {
		return dbSkip(err)
	}
	table := s.T.Discuz("common_syscache")
	var data []byte
	err = s.DB.WithContext(ctx).Raw("SELECT data FROM "+table+" WHERE cname = ? LIMIT 1", "setting").Row().Scan(&data)
	const rebuild = "rebuild it with Discuz's own 工具 → 更新缓存 (admin.php?action=tools&operation=updatecache, tick 数据缓存); never delete this row"
	switch {
	case errors.Is(err, sql.ErrNoRows) && s.Dialect == "sqlite":
		// Standalone mode: a demo forum, no Discuz to read a cache.
		return skip("standalone mode: no Discuz reads a setting cache from this database")
	case errors.Is(err, sql.ErrNoRows):
		return fail(table+" has no `setting` row: Discuz's $_G['setting'] is empty and the whole forum breaks", rebuild)
	case err != nil:
		return fail("cannot read "+table+": "+err.Error(), "see the database check")
	}
	setting, err := discuz.UnserializeArray(data)
	if err != nil {
		return fail(fmt.Sprintf("the `setting` row of %s (%d bytes) does not unserialize: %v", table, len(data), err), rebuild)
	}
	p, err := r.loadPlugin(ctx)
	if err != nil {
		return fail("cannot read the qqconnect plugin row: "+err.Error(), "see the database check")
	}
	available := p != nil && p.Available == 1

	var diffs []string
	for _, k := range cacheScalarKeys {
		cached, has := setting.Get(k)
		if has && cached.Kind == discuz.KindArray {
			diffs = append(diffs, k+" (cached as an array)")
			continue
		}
		cv, dv := cached.String(), m[k] // missing key = ''
		if cv == dv {
			continue
		}
		if secretCacheKeys[k] {
			diffs = append(diffs, fmt.Sprintf("%s (cache %s, database %s)", k, maskOrEmpty(cv), maskOrEmpty(dv)))
		} else {
			diffs = append(diffs, fmt.Sprintf("%s (cache %q, database %q)", k, cv, dv))
		}
	}

	// connect: unserialize(pre_common_setting.connect) while available, else array().
	cachedConnect, _ := setting.Get("connect")
	if available {
		want, present, err := connectArray(s, m)
		switch {
		case err != nil:
			// Reported by connect_setting; Discuz would cache false here.
		case !present:
			if cachedConnect.Truthy() {
				diffs = append(diffs, "connect (cached, but the database has no connect row)")
			}
		case cachedConnect.Kind != discuz.KindArray:
			diffs = append(diffs, "connect (the plugin is enabled but the cache holds no connect array: Discuz says 尚未开启)")
		default:
			if d := arrayDiff(cachedConnect.Arr, want); len(d) > 0 {
				if len(cachedConnect.Arr.Entries) == 0 {
					diffs = append(diffs, "connect (empty in the cache although the plugin is enabled: Discuz says 尚未开启)")
				} else {
					diffs = append(diffs, "connect (differs in "+strings.Join(d, ", ")+")")
				}
			}
		}
	} else if cachedConnect.Truthy() {
		diffs = append(diffs, "connect (must be empty a:0:{} while the plugin is not enabled, the cache still holds it)")
	}

	// plugins.available lists qqconnect iff the row is available.
	listed := false
	if plugins := child(setting, "plugins"); plugins != nil {
		if av := child(plugins, "available"); av != nil {
			for _, e := range av.Entries {
				if e.Val.Kind != discuz.KindArray && e.Val.String() == "qqconnect" {
					listed = true
				}
			}
		}
	}
	switch {
	case available && !listed:
		diffs = append(diffs, "plugins.available (lacks qqconnect although the plugin is enabled)")
	case !available && listed:
		diffs = append(diffs, "plugins.available (still lists qqconnect although the plugin is not enabled)")
	}

	// hookscript/hookscriptmobile carry qqconnect fragments iff available.
	frags := countFragments(setting)
	switch {
	case available && frags == 0:
		diffs = append(diffs, "hookscript (no qqconnect hooks although the plugin is enabled: no QQ button, broken redirect_uri)")
	case !available && frags > 0:
		diffs = append(diffs, fmt.Sprintf("hookscript (%d qqconnect hook entries left although the plugin is not enabled)", frags))
	}

	state := "plugin not installed"
	switch {
	case available:
		state = "plugin enabled"
	case p != nil:
		state = "plugin disabled"
	}
	if len(diffs) > 0 {
		return fail("Discuz 缓存与数据库不一致 / the cached setting differs from the database ("+state+"): "+strings.Join(diffs, "; "),
			"run the refresh-cache repair, or Discuz's 工具 → 更新缓存; until then Discuz keeps using the cached values").repair(RepairRefreshCache)
	}
	return ok(fmt.Sprintf("the `setting` row (%d keys) agrees with the database (%s; %d qqconnect hook entries)", len(setting.Entries), state, frags))
}

func maskOrEmpty(s string) string {
	if s == "" {
		return "''"
	}
	return discuz.Mask(s)
}

// child returns the array at key, or nil.
func child(a *discuz.Array, key string) *discuz.Array {
	if v, ok := a.Get(key); ok && v.Kind == discuz.KindArray {
		return v.Arr
	}
	return nil
}

// countFragments counts the [$hscript][$script] entries of hookscript and
// hookscriptmobile whose module map names qqconnect.
func countFragments(setting *discuz.Array) int {
	n := 0
	for _, root := range []string{"hookscript", "hookscriptmobile"} {
		hs := child(setting, root)
		if hs == nil {
			continue
		}
		for _, g := range hs.Entries {
			if g.Val.Kind != discuz.KindArray {
				continue
			}
			for _, sc := range g.Val.Arr.Entries {
				if sc.Val.Kind != discuz.KindArray {
					continue
				}
				if mod := child(sc.Val.Arr, "module"); mod != nil {
					if _, ok := mod.Get("qqconnect"); ok {
						n++
					}
				}
			}
		}
	}
	return n
}

// phpEqual compares two PHP values the way that matters to Discuz: scalars
// by their string form (i:20 equals s:2:"20", as saving the settings page
// turns one into the other), arrays key by key regardless of order.
func phpEqual(a, b discuz.Value) bool {
	if a.Kind == discuz.KindArray || b.Kind == discuz.KindArray {
		if a.Kind != b.Kind {
			return false
		}
		return len(arrayDiff(a.Arr, b.Arr)) == 0
	}
	return a.String() == b.String()
}

// arrayDiff lists the keys whose values differ between a and b (sorted).
func arrayDiff(a, b *discuz.Array) []string {
	if a == nil {
		a = &discuz.Array{}
	}
	if b == nil {
		b = &discuz.Array{}
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range a.Entries {
		k := e.Key.String()
		seen[k] = true
		bv, ok := b.Get(k)
		if !ok || !phpEqual(e.Val, bv) {
			out = append(out, k)
		}
	}
	for _, e := range b.Entries {
		if k := e.Key.String(); !seen[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
