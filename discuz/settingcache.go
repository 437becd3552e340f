package discuz

// Patching Discuz's cached `setting` array (pre_common_syscache, cname
// 'setting') the way Discuz X3.5's own plugin enable/disable does
// (docs/discuz-cache.md §3.2, §7). Everything here is pure: the caller reads
// the row, unserializes it, patches it and writes it back. The array is
// changed in place: keys keep their positions, new keys go at the end.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownPluginVersion means qqconnect cannot build the ON state itself:
// no fragments were saved for this site and the installed version is not the
// measured 2.1.7. The admin should run Discuz's 工具 → 更新缓存 instead.
var ErrUnknownPluginVersion = errors.New("discuz: the hook fragments of this qqconnect version are unknown; run Discuz's 工具 → 更新缓存 to rebuild the setting cache")

const (
	scPluginID   = "qqconnect"
	scSpacecpKey = "qqconnect:spacecp"
	scFormat     = 1 // version of the Marshal format
)

// scHookRoots are the top-level keys that hold plugin hooks.
var scHookRoots = [...]string{"hookscript", "hookscriptmobile"}

// scNoiseKeys are the top-level keys Discuz re-randomizes on every rebuild (discuz-cache.md §5.3).
var scNoiseKeys = [...]string{"reginput", "profilenode", "parseflv", "onlinerecord"}

// QQConnectFragments are the qqconnect parts removed from a setting array
// when the plugin is turned off, kept so that turning it on restores exactly
// what this site had. Marshal/UnmarshalFragments store them.
type QQConnectFragments struct {
	Version    Value // plugins.version['qqconnect'], valid when HasVersion
	Spacecp    Value // plugins.spacecp['qqconnect:spacecp'], valid when HasSpacecp
	Hooks      []HookFragment
	HasVersion bool
	HasSpacecp bool
}

// HookFragment is qqconnect's part of one entry $root[$group][$script],
// e.g. hookscript[global][common].
type HookFragment struct {
	Root   string // "hookscript" or "hookscriptmobile"
	Group  string // $hscript: "global", "member", "forum", ...
	Script string // $script: "common", "init", "logging", ...

	Module     Value // module['qqconnect'] ('qqconnect/connect'), valid when HasModule
	AdminID    Value // adminid['qqconnect'] ('0'), valid when HasAdminID
	HasModule  bool
	HasAdminID bool

	Lists []HookList // in the order found: kind by kind, hook by hook
}

// HookList is qqconnect's pairs in one hook list, $entry[$Kind][$Hook].
type HookList struct {
	Kind  string  // "funcs", "outputfuncs", or another key ending in "funcs"
	Hook  string  // hook name, e.g. "global_login_extra"
	Pairs []Value // the ['qqconnect', method] arrays, in list order
}

// Empty reports whether f holds nothing (what turning off an already-off
// site returns). Callers should not overwrite saved fragments with an empty set.
func (f *QQConnectFragments) Empty() bool {
	return f == nil || !f.HasVersion && !f.HasSpacecp && len(f.Hooks) == 0
}

// PatchPluginOff removes qqconnect from the setting array as Discuz's own
// 关闭 does (discuz-cache.md §7.2 step 3) and returns what it removed.
// Running it on an array without qqconnect changes nothing and returns an
// empty set.
func PatchPluginOff(setting *Array) (*QQConnectFragments, error) {
	if setting == nil {
		return nil, errors.New("discuz: PatchPluginOff: nil setting array")
	}
	f := &QQConnectFragments{}
	if plugins := scChild(setting, "plugins"); plugins != nil {
		if av := scChild(plugins, "available"); av != nil {
			kept := av.Entries[:0:0]
			for _, e := range av.Entries {
				if !scIsString(e.Val, scPluginID) {
					kept = append(kept, e)
				}
			}
			if len(kept) != len(av.Entries) {
				av.Entries = kept
				scReindex(av)
			}
		}
		if ver := scChild(plugins, "version"); ver != nil {
			if v, ok := ver.Get(scPluginID); ok {
				f.Version, f.HasVersion = v, true
				ver.Delete(scPluginID)
			}
		}
		if sp := scChild(plugins, "spacecp"); sp != nil {
			if v, ok := sp.Get(scSpacecpKey); ok {
				f.Spacecp, f.HasSpacecp = v, true
				sp.Delete(scSpacecpKey)
				if len(sp.Entries) == 0 {
					plugins.Delete("spacecp")
				}
			}
		}
	}
	f.Hooks = scSyncHooks(setting, nil)
	setting.Set("connect", NewArray())
	return f, nil
}

// PatchPluginOn puts qqconnect into the setting array as Discuz's own 启用
// does (discuz-cache.md §7.3): 'qqconnect' first in plugins.available,
// plugins.version['qqconnect'] = version, plugins.spacecp['qqconnect:spacecp'],
// the hook fragments merged back (qqconnect's pairs at the end of existing
// lists), and connect = a deep copy of connect.
//
// The fragments come from saved when it holds hooks for this version (a
// saved set without a version is taken as is), else from
// DefaultQQConnectFragments() for version 2.1.7; for any other version it
// returns ErrUnknownPluginVersion. On error the array is not changed.
// Running it twice gives the same bytes.
func PatchPluginOn(setting *Array, connect *Array, version string, saved *QQConnectFragments) error {
	return PatchPluginOnOrdered(setting, connect, version, saved, nil)
}

// PatchPluginOnOrdered is PatchPluginOn with the keys of the hook arrays in
// the order Discuz's own 启用 leaves them (order: NewPluginOrder of the
// site's plugins; nil leaves qqconnect's new keys at the end).
func PatchPluginOnOrdered(setting *Array, connect *Array, version string, saved *QQConnectFragments, order PluginOrder) error {
	frags, err := patchPluginOn(setting, connect, version, saved)
	if err != nil {
		return err
	}
	order.sortHooks(setting, frags)
	return nil
}

// patchPluginOn does PatchPluginOn and returns the fragments it used.
func patchPluginOn(setting *Array, connect *Array, version string, saved *QQConnectFragments) (*QQConnectFragments, error) {
	switch {
	case setting == nil:
		return nil, errors.New("discuz: PatchPluginOn: nil setting array")
	case connect == nil:
		return nil, errors.New("discuz: PatchPluginOn: nil connect array")
	case version == "":
		return nil, errors.New("discuz: PatchPluginOn: empty plugin version")
	}
	frags := saved
	if saved == nil || len(saved.Hooks) == 0 || saved.HasVersion && saved.Version.String() != version {
		if version != QQConnectKnownVersion {
			return nil, ErrUnknownPluginVersion
		}
		frags = DefaultQQConnectFragments()
	}
	if err := frags.scValidate(); err != nil {
		return nil, fmt.Errorf("discuz: PatchPluginOn: saved fragments: %w", err)
	}
	spacecp := frags.Spacecp
	if !frags.HasSpacecp {
		spacecp = DefaultQQConnectFragments().Spacecp
	}

	plugins := scEnsureChild(setting, "plugins")
	av := scEnsureChild(plugins, "available")
	entries := []Entry{{Val: Str(scPluginID)}}
	for _, e := range av.Entries {
		if !scIsString(e.Val, scPluginID) {
			entries = append(entries, e)
		}
	}
	av.Entries = entries
	scReindex(av)
	scEnsureChild(plugins, "version").Set(scPluginID, Str(version))
	scEnsureChild(plugins, "spacecp").Set(scSpacecpKey, scClone(spacecp))

	scSyncHooks(setting, frags.Hooks)
	setting.Set("connect", scClone(Value{Kind: KindArray, Arr: connect}))
	return frags, nil
}

// SetTopLevel sets a top-level key of the setting array in place; a new key
// goes at the end (connectappid, connectappkey, my_siteid, ...).
func SetTopLevel(setting *Array, key string, v Value) {
	if setting != nil {
		setting.Set(key, v)
	}
}

// SettingsEqualIgnoringNoise compares two setting arrays semantically
// (discuz-cache.md §5.3, §8): the top-level keys reginput, profilenode,
// parseflv and onlinerecord are ignored, maps are compared regardless of key
// order, lists (keys 0..n-1 in order) in order, and scalars with their PHP
// type. When they differ it returns the path of the first difference
// followed by a short reason, e.g. "hookscript[global][common]: missing in b".
func SettingsEqualIgnoringNoise(a, b *Array) (bool, string) {
	strip := func(x *Array) *Array {
		out := &Array{}
		if x == nil {
			return out
		}
	next:
		for _, e := range x.Entries {
			for _, k := range scNoiseKeys {
				if keyString(e.Key) == k {
					continue next
				}
			}
			out.Entries = append(out.Entries, e)
		}
		return out
	}
	diff := scDiff("", Value{Kind: KindArray, Arr: strip(a)}, Value{Kind: KindArray, Arr: strip(b)})
	return diff == "", diff
}

// scSyncHooks makes qqconnect's parts of hookscript/hookscriptmobile equal
// want (nil = none) and returns the qqconnect parts that were there before.
// Entries that already match are not touched; missing parts are appended.
func scSyncHooks(setting *Array, want []HookFragment) []HookFragment {
	wanted := make(map[[3]string]*HookFragment, len(want))
	for i := range want {
		h := &want[i]
		wanted[[3]string{h.Root, h.Group, h.Script}] = h
	}
	done := map[[3]string]bool{}
	var found []HookFragment
	for _, root := range scHookRoots {
		r := scChild(setting, root)
		if r == nil {
			continue
		}
		for gi := range r.Entries {
			group := scArr(r.Entries[gi].Val)
			if group == nil {
				continue
			}
			gname := keyString(r.Entries[gi].Key)
			changed := false
			kept := group.Entries[:0:0]
			for _, se := range group.Entries {
				entry := scArr(se.Val)
				if entry == nil {
					kept = append(kept, se)
					continue
				}
				k := [3]string{root, gname, keyString(se.Key)}
				w := wanted[k]
				if done[k] {
					w = nil // a duplicate key: the first one got the fragment
				}
				done[k] = true
				old, touched := scSyncEntry(entry, w)
				if old != nil {
					old.Root, old.Group, old.Script = k[0], k[1], k[2]
					found = append(found, *old)
				}
				if m := scChild(entry, "module"); touched && w == nil && (m == nil || len(m.Entries) == 0) {
					changed = true // qqconnect was its only plugin
					continue
				}
				if touched {
					changed = true
				}
				kept = append(kept, se)
			}
			if changed && len(kept) != len(group.Entries) {
				group.Entries = kept
			}
		}
		if len(r.Entries) > 0 {
			kept := r.Entries[:0:0]
			for _, ge := range r.Entries {
				if g := scArr(ge.Val); g != nil && len(g.Entries) == 0 && scHadQQ(found, root, keyString(ge.Key)) {
					continue
				}
				kept = append(kept, ge)
			}
			r.Entries = kept
		}
	}
	for i := range want {
		h := &want[i]
		k := [3]string{h.Root, h.Group, h.Script}
		if done[k] {
			continue
		}
		done[k] = true
		entry := scEnsureChild(scEnsureChild(scEnsureChild(setting, h.Root), h.Group), h.Script)
		scSyncEntry(entry, h)
	}
	return found
}

// scHadQQ reports whether qqconnect parts were found under root[group].
func scHadQQ(found []HookFragment, root, group string) bool {
	for i := len(found) - 1; i >= 0; i-- {
		if found[i].Root == root && found[i].Group == group {
			return true
		}
	}
	return false
}

// scSyncEntry makes qqconnect's part of one hook entry equal want (nil =
// none). It returns qqconnect's previous part (nil if there was none, names
// left empty) and whether the entry changed.
func scSyncEntry(entry *Array, want *HookFragment) (*HookFragment, bool) {
	old := &HookFragment{}
	touched := false
	for _, m := range [...]struct {
		key  string
		val  *Value
		has  *bool
		want func(*HookFragment) (Value, bool)
	}{
		{"module", &old.Module, &old.HasModule, func(h *HookFragment) (Value, bool) { return h.Module, h.HasModule }},
		{"adminid", &old.AdminID, &old.HasAdminID, func(h *HookFragment) (Value, bool) { return h.AdminID, h.HasAdminID }},
	} {
		cur, hasCur := scGetOK(scChild(entry, m.key), scPluginID)
		*m.val, *m.has = cur, hasCur
		var wv Value
		wantIt := false
		if want != nil {
			wv, wantIt = m.want(want)
		}
		switch {
		case wantIt && hasCur && bytes.Equal(Serialize(cur), Serialize(wv)):
		case wantIt:
			scEnsureChild(entry, m.key).Set(scPluginID, scClone(wv))
			touched = true
		case hasCur:
			scChild(entry, m.key).Delete(scPluginID)
			touched = true
		}
	}

	var wantLists []HookList
	if want != nil {
		wantLists = want.Lists
	}
	doneLists := map[[2]string]bool{}
	keptKinds := entry.Entries[:0:0]
	kindsChanged := false
	for _, ke := range entry.Entries {
		kind := keyString(ke.Key)
		hooks := scArr(ke.Val)
		if hooks == nil || !strings.HasSuffix(kind, "funcs") {
			keptKinds = append(keptKinds, ke)
			continue
		}
		keptHooks := hooks.Entries[:0:0]
		hooksChanged := false
		for _, he := range hooks.Entries {
			list := scArr(he.Val)
			if list == nil {
				keptHooks = append(keptHooks, he)
				continue
			}
			hook := keyString(he.Key)
			var wantPairs []Value
			lk := [2]string{kind, hook}
			if !doneLists[lk] {
				for _, wl := range wantLists {
					if wl.Kind == kind && wl.Hook == hook {
						wantPairs = wl.Pairs
					}
				}
			}
			doneLists[lk] = true
			var curPairs []Value
			others := list.Entries[:0:0]
			for _, pe := range list.Entries {
				if scIsQQPair(pe.Val) {
					curPairs = append(curPairs, pe.Val)
				} else {
					others = append(others, pe)
				}
			}
			if len(curPairs) > 0 {
				old.Lists = append(old.Lists, HookList{Kind: kind, Hook: hook, Pairs: curPairs})
			}
			if !scSamePairs(curPairs, wantPairs) {
				for _, p := range wantPairs {
					others = append(others, Entry{Val: scClone(p)})
				}
				list.Entries = others
				scReindex(list)
				touched, hooksChanged = true, true
				if len(list.Entries) == 0 {
					continue
				}
			}
			keptHooks = append(keptHooks, he)
		}
		if hooksChanged {
			hooks.Entries = keptHooks
			if len(keptHooks) == 0 {
				kindsChanged = true
				continue
			}
		}
		keptKinds = append(keptKinds, ke)
	}
	if kindsChanged {
		entry.Entries = keptKinds
	}
	for _, wl := range wantLists {
		if doneLists[[2]string{wl.Kind, wl.Hook}] {
			continue
		}
		doneLists[[2]string{wl.Kind, wl.Hook}] = true
		list := scEnsureChild(scEnsureChild(entry, wl.Kind), wl.Hook)
		for _, p := range wl.Pairs {
			list.Entries = append(list.Entries, Entry{Val: scClone(p)})
		}
		scReindex(list)
		touched = true
	}
	if !old.HasModule && !old.HasAdminID && len(old.Lists) == 0 {
		return nil, touched
	}
	return old, touched
}
