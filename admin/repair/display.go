package repair

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"qqconnect/discuz"
	"qqconnect/models"
)

// How values are shown in a Change: strings in single quotes ('' is empty),
// ints bare, "(absent)" for a missing row or key, secrets masked as
// 'ab****yz', and the big arrays of the plugin patch summarized.

const absent = "(absent)"

// changes lists every value of snap, before → after, for display.
func (r *Repairer) changes(s *snapshot) []Change {
	t := r.Store.T
	var out []Change
	if s.Member != nil {
		out = append(out, r.memberChanges(s.Member)...)
	}
	perKey := s.Action == ConnectSettings // the editor's preview shows every connect key it changes
	for _, op := range s.Settings {
		if perKey && op.Key == "connect" {
			if c, ok := r.connectChanges(t.Discuz("common_setting"), op.Before, op.After); ok {
				out = append(out, c...)
				continue
			}
		}
		out = append(out, Change{Where: t.Discuz("common_setting"), Key: op.Key,
			Before: showSetting(r.Store, op.Key, op.Before), After: showSetting(r.Store, op.Key, op.After), Secret: secretKeys[op.Key]})
	}
	if op := s.Plugin; op != nil {
		out = append(out, Change{Where: t.Discuz("common_plugin"), Key: op.Identifier + ".available",
			Before: strconv.Itoa(op.Before), After: strconv.Itoa(op.After)})
	}
	for _, op := range s.Groups {
		show := func(exists bool) string {
			if !exists {
				return absent
			}
			return fmt.Sprintf("'%s' (special, allowvisit=1; usergroup_field: allowsearch=2, readaccess=1, allowgetattach=1, allowgetimage=1)", op.Title)
		}
		out = append(out, Change{Where: t.Discuz("common_usergroup"), Key: "groupid " + strconv.FormatInt(op.GroupID, 10),
			Before: show(op.Before), After: show(op.After)})
	}
	for _, op := range s.Meta {
		out = append(out, Change{Where: t.Own("meta"), Key: op.Key, Before: showMeta(op.Key, op.Before), After: showMeta(op.Key, op.After)})
	}
	for _, op := range s.Rows {
		if op.Name == discuz.FieldsConnectRegisterName {
			out = append(out, Change{Where: t.Discuz("common_syscache") + "[" + op.Name + "]", Key: "fields",
				Before: showFields(op.Before), After: showFields(op.After)})
			continue
		}
		out = append(out, Change{Where: t.Discuz("common_syscache") + "[" + op.Name + "]", Key: "QQ互联",
			Before: showMenu(op.Before), After: showMenu(op.After)})
	}
	for _, op := range s.Cache {
		if perKey && op.Key == "connect" {
			if c, ok := cacheConnectChanges(t.Discuz("common_syscache")+"[setting]", op.Before, op.After); ok {
				out = append(out, c...)
				continue
			}
		}
		out = append(out, Change{Where: t.Discuz("common_syscache") + "[setting]", Key: op.Key,
			Before: showCache(op.Key, op.Before), After: showCache(op.Key, op.After), Secret: secretKeys[op.Key]})
	}
	return out
}

func showSetting(s *models.Store, key string, v opt) string {
	if !v.Exists {
		return absent
	}
	if key == "connect" {
		if arr, err := s.UnserializeSetting(v.Value); err == nil {
			return showConnect(arr)
		}
	}
	return showString(key, v.Value)
}

func showCache(key string, v optBytes) string {
	if !v.Exists {
		return absent
	}
	val, err := discuz.Unserialize(v.Data)
	if err != nil {
		return fmt.Sprintf("(%d bytes)", len(v.Data))
	}
	return showValue(key, val)
}

func showMeta(key string, v opt) string {
	if !v.Exists {
		return absent
	}
	if key == models.MetaAvatarImport {
		if v.Value == "1" {
			return "'1' (QQ头像导入开启 / avatar import on)"
		}
		return "'" + v.Value + "' (QQ头像导入关闭 / avatar import off)"
	}
	if key == metaFragments {
		if f, err := discuz.UnmarshalFragments([]byte(v.Value)); err == nil {
			return fmt.Sprintf("saved qqconnect fragments: %d hook entries", len(f.Hooks))
		}
	}
	return fmt.Sprintf("(%d bytes)", len(v.Value))
}

func showString(key, s string) string {
	if secretKeys[key] {
		return "'" + discuz.Mask(s) + "'"
	}
	if len(s) > 120 {
		cut := 120
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return "'" + s + "'"
}

func showValue(key string, v discuz.Value) string {
	switch v.Kind {
	case discuz.KindString:
		return showString(key, string(v.Str))
	case discuz.KindInt:
		return strconv.FormatInt(v.Int, 10)
	case discuz.KindBool:
		return strconv.FormatBool(v.Bool)
	case discuz.KindNull:
		return "NULL"
	case discuz.KindFloat:
		return v.Float
	}
	arr := v.Arr
	if arr == nil {
		arr = &discuz.Array{}
	}
	switch key {
	case "connect":
		return showConnect(arr)
	case "plugins":
		return showPlugins(arr)
	case "hookscript", "hookscriptmobile":
		return fmt.Sprintf("%d qqconnect hook entries", countHooks(arr))
	}
	return fmt.Sprintf("array(%d)", len(arr.Entries))
}

// showConnect shows the size and the two keys that matter for login.
func showConnect(arr *discuz.Array) string {
	if len(arr.Entries) == 0 {
		return "array()"
	}
	parts := []string{fmt.Sprintf("array(%d)", len(arr.Entries))}
	for _, k := range []string{"allow", "guest_groupid"} {
		if v, ok := arr.Get(k); ok {
			parts = append(parts, k+"="+showValue(k, v))
		}
	}
	return strings.Join(parts, " ")
}

func showPlugins(arr *discuz.Array) string {
	var parts []string
	if av, ok := arr.Get("available"); ok && av.Kind == discuz.KindArray && av.Arr != nil {
		var names []string
		for _, e := range av.Arr.Entries {
			names = append(names, e.Val.String())
		}
		parts = append(parts, "available=["+strings.Join(names, ", ")+"]")
	}
	if ver, ok := arr.Get("version"); ok && ver.Kind == discuz.KindArray {
		if v, ok := ver.Arr.Get(pluginID); ok {
			parts = append(parts, "version[qqconnect]='"+v.String()+"'")
		}
	}
	if sp, ok := arr.Get("spacecp"); ok && sp.Kind == discuz.KindArray {
		if _, ok := sp.Arr.Get("qqconnect:spacecp"); ok {
			parts = append(parts, "spacecp[qqconnect:spacecp]")
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("array(%d)", len(arr.Entries))
	}
	return strings.Join(parts, "; ")
}

// countHooks counts the $group[$script] entries whose module lists qqconnect.
func countHooks(root *discuz.Array) int {
	n := 0
	for _, g := range root.Entries {
		if g.Val.Kind != discuz.KindArray || g.Val.Arr == nil {
			continue
		}
		for _, e := range g.Val.Arr.Entries {
			if e.Val.Kind != discuz.KindArray || e.Val.Arr == nil {
				continue
			}
			if m, ok := e.Val.Arr.Get("module"); ok && m.Kind == discuz.KindArray && m.Arr != nil {
				if _, ok := m.Arr.Get(pluginID); ok {
					n++
				}
			}
		}
	}
	return n
}

// showMenu summarizes an adminmenu row: its number of entries.
func showMenu(v optBytes) string {
	if !v.Exists {
		return absent
	}
	if arr, err := discuz.UnserializeArray(v.Data); err == nil {
		return fmt.Sprintf("%d entries", len(arr.Entries))
	}
	return fmt.Sprintf("(%d bytes)", len(v.Data))
}

// connectChanges lists the keys of a connect row that differ, one Change
// each (connect[allow] …); ok is false when a side does not unserialize.
func (r *Repairer) connectChanges(where string, before, after opt) ([]Change, bool) {
	parse := func(v opt) (*discuz.Array, bool) {
		if !v.Exists {
			return &discuz.Array{}, true
		}
		arr, err := r.Store.UnserializeSetting(v.Value)
		return arr, err == nil
	}
	a, ok1 := parse(before)
	b, ok2 := parse(after)
	if !ok1 || !ok2 {
		return nil, false
	}
	return diffConnect(where, a, b), true
}

func cacheConnectChanges(where string, before, after optBytes) ([]Change, bool) {
	parse := func(v optBytes) (*discuz.Array, bool) {
		if !v.Exists {
			return &discuz.Array{}, true
		}
		val, err := discuz.Unserialize(v.Data)
		if err != nil || val.Kind != discuz.KindArray {
			return nil, false
		}
		if val.Arr == nil {
			val.Arr = &discuz.Array{}
		}
		return val.Arr, true
	}
	a, ok1 := parse(before)
	b, ok2 := parse(after)
	if !ok1 || !ok2 || len(a.Entries) == 0 || len(b.Entries) == 0 {
		return nil, false // array() ↔ full: the summary says more
	}
	return diffConnect(where, a, b), true
}

// diffConnect is one Change per key whose serialized value differs (in b's
// order, then the keys only a has), shown with its PHP type: '1' vs 1.
func diffConnect(where string, a, b *discuz.Array) []Change {
	var out []Change
	show := func(arr *discuz.Array, k string) string {
		v, ok := arr.Get(k)
		if !ok {
			return absent
		}
		return showValue(k, v)
	}
	for _, e := range b.Entries {
		k := e.Key.String()
		if v, ok := a.Get(k); ok && string(discuz.Serialize(v)) == string(discuz.Serialize(e.Val)) {
			continue
		}
		out = append(out, Change{Where: where, Key: "connect[" + k + "]", Before: show(a, k), After: show(b, k)})
	}
	for _, e := range a.Entries {
		if k := e.Key.String(); b.Index(k) < 0 {
			out = append(out, Change{Where: where, Key: "connect[" + k + "]", Before: show(a, k), After: absent})
		}
	}
	return out
}

// showFields summarizes a fields_connect_register row: its field ids.
func showFields(v optBytes) string {
	if !v.Exists {
		return absent
	}
	arr, err := discuz.UnserializeArray(v.Data)
	if err != nil {
		return fmt.Sprintf("(%d bytes)", len(v.Data))
	}
	if len(arr.Entries) == 0 {
		return "array()"
	}
	ids := make([]string, len(arr.Entries))
	for i, e := range arr.Entries {
		ids[i] = strings.TrimPrefix(e.Key.String(), "field_")
	}
	return strings.Join(ids, ", ")
}
