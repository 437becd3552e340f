package discuz

import "sort"

// Discuz's cache builder (get_cachedata_setting_plugin) walks the plugins
// in the order of table_common_plugin::fetch_all_data, available first and
// then by pluginid descending. Each hook entry, each `module`/`adminid`
// key and each list appears when the first plugin that has it is built.
// So when qqconnect's part goes back into an array that other plugins
// built, Discuz's own 启用 puts each new key after the keys of the plugins
// built before qqconnect and before the keys of those built after it. On a
// stock X3.5 qqconnect (pluginid 2) comes before mobile (pluginid 1).

// PluginRank is one pre_common_plugin row, for PluginOrder.
type PluginRank struct {
	Identifier string
	PluginID   int64
	Available  bool
}

// PluginOrder is each plugin's place in Discuz's build order.
type PluginOrder map[string]int

// NewPluginOrder ranks plugins as Discuz builds them once qqconnect is on:
// qqconnect counts as available.
func NewPluginOrder(plugins []PluginRank) PluginOrder {
	ps := append([]PluginRank(nil), plugins...)
	for i := range ps {
		if ps[i].Identifier == scPluginID {
			ps[i].Available = true
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Available != ps[j].Available {
			return ps[i].Available
		}
		return ps[i].PluginID > ps[j].PluginID
	})
	o := PluginOrder{}
	for i, p := range ps {
		o[p.Identifier] = i
	}
	return o
}

// creator is the rank of the first plugin Discuz builds that contributes
// to v (module/adminid keys, hook pairs ['plugin', method]); -1 when none
// is known, which keeps v where it is.
func (o PluginOrder) creator(v Value) int {
	first := -1
	note := func(id string) {
		if r, ok := o[id]; ok && (first < 0 || r < first) {
			first = r
		}
	}
	var walk func(v Value, plugins bool)
	walk = func(v Value, plugins bool) {
		a := scArr(v)
		if a == nil {
			return
		}
		if len(a.Entries) == 2 && keyString(a.Entries[0].Key) == "0" && a.Entries[0].Val.Kind == KindString && a.Entries[1].Val.Kind == KindString {
			note(string(a.Entries[0].Val.Str)) // a hook pair
			return
		}
		for _, e := range a.Entries {
			k := keyString(e.Key)
			if plugins {
				note(k)
				continue
			}
			walk(e.Val, k == "module" || k == "adminid")
		}
	}
	walk(v, false)
	return first
}

// sortHooks puts the keys of the hook arrays that hold qqconnect, and of
// plugins.version, in build order. Each key sorts by the rank of the first
// plugin that contributes to it; keys qqconnect is the first of follow
// qqconnect's own order (frags, in Discuz's order); other keys keep the
// order Discuz gave them. Arrays without qqconnect are left alone, and so
// are the hook pair lists, which Discuz sorts by displayorder itself.
// plugins.func follows too when qqconnect is the first plugin built (its
// hookscript module comes before hookscriptmobile).
func (o PluginOrder) sortHooks(setting *Array, frags *QQConnectFragments) {
	if o == nil || frags == nil {
		return
	}
	if _, ok := o[scPluginID]; !ok {
		return
	}
	for _, root := range scHookRoots {
		o.sortLevel(scChild(setting, root), frags, []string{root})
	}
	if v := scChild(scChild(setting, "plugins"), "version"); v != nil {
		sort.SliceStable(v.Entries, func(i, j int) bool {
			return o.rankOf(keyString(v.Entries[i].Key)) < o.rankOf(keyString(v.Entries[j].Key))
		})
	}
	if o[scPluginID] == 0 {
		if f := scChild(scChild(setting, "plugins"), "func"); f != nil {
			rank := map[string]int{"hookscript": 0, "hookscriptmobile": 1}
			r := func(k string) int {
				if v, ok := rank[k]; ok {
					return v
				}
				return 2
			}
			sort.SliceStable(f.Entries, func(i, j int) bool { return r(keyString(f.Entries[i].Key)) < r(keyString(f.Entries[j].Key)) })
		}
	}
}

// qqIndex is key's place in qqconnect's own order under path (root, group,
// script, kind); -1 when qqconnect has no such key.
func qqIndex(frags *QQConnectFragments, path []string, key string) int {
	n := 0
	seen := map[string]bool{}
	for _, h := range frags.Hooks {
		if h.Root != path[0] {
			continue
		}
		var k string
		switch len(path) {
		case 1:
			k = h.Group
		case 2:
			if h.Group != path[1] {
				continue
			}
			k = h.Script
		default:
			if h.Group != path[1] || h.Script != path[2] {
				continue
			}
			for _, l := range h.Lists {
				lk := l.Kind
				if len(path) == 4 {
					if l.Kind != path[3] {
						continue
					}
					lk = l.Hook
				}
				if !seen[lk] {
					if lk == key {
						return n
					}
					seen[lk] = true
					n++
				}
			}
			continue
		}
		if !seen[k] {
			if k == key {
				return n
			}
			seen[k] = true
			n++
		}
	}
	return -1
}

// sortLevel sorts one level of hookscript[group][script][kind][hook] and
// the levels below it; module/adminid by their plugin keys.
func (o PluginOrder) sortLevel(a *Array, frags *QQConnectFragments, path []string) {
	if a == nil || len(path) > 4 || !o.holdsQQ(a) {
		return
	}
	q := o[scPluginID]
	type keyed struct {
		e         Entry
		rank, sub int
	}
	ks := make([]keyed, len(a.Entries))
	last := -1
	for i, e := range a.Entries {
		k := keyString(e.Key)
		if len(path) == 3 && (k == "module" || k == "adminid") {
			if m := scArr(e.Val); m != nil {
				sort.SliceStable(m.Entries, func(i, j int) bool {
					return o.rankOf(keyString(m.Entries[i].Key)) < o.rankOf(keyString(m.Entries[j].Key))
				})
			}
			ks[i] = keyed{e, -1, i} // Discuz writes them first in every entry
			continue
		}
		if len(path) < 4 {
			o.sortLevel(scArr(e.Val), frags, append(append([]string(nil), path...), k))
		}
		r := o.creator(e.Val)
		if r < 0 {
			r = last // unknown: stays with what comes before it
		}
		last = r
		sub := i
		if r == q {
			if x := qqIndex(frags, path, k); x >= 0 {
				sub = x
			}
		}
		ks[i] = keyed{e, r, sub}
	}
	sort.SliceStable(ks, func(i, j int) bool {
		if ks[i].rank != ks[j].rank {
			return ks[i].rank < ks[j].rank
		}
		return ks[i].sub < ks[j].sub
	})
	for i := range ks {
		a.Entries[i] = ks[i].e
	}
}

// rankOf is a plugin's rank; unknown plugins go last, in their order.
func (o PluginOrder) rankOf(id string) int {
	if r, ok := o[id]; ok {
		return r
	}
	return len(o)
}

// holdsQQ reports whether qqconnect contributes to a.
func (o PluginOrder) holdsQQ(a *Array) bool {
	found := false
	var walk func(v Value)
	walk = func(v Value) {
		x := scArr(v)
		if x == nil || found {
			return
		}
		for _, e := range x.Entries {
			if keyString(e.Key) == scPluginID || scIsQQPair(e.Val) {
				found = true
				return
			}
			walk(e.Val)
		}
	}
	walk(Value{Kind: KindArray, Arr: a})
	return found
}
