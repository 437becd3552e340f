package discuz

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// TestPluginOnInDiscuzOrder (issue 11 #8): turning qqconnect on in the OFF
// fixture with the site's plugin order (qqconnect pluginid 2, mobile 1,
// both available) gives Discuz's own 启用 result for every hook array byte
// for byte, key order included; without the order, qqconnect's keys land
// after mobile's.
func TestPluginOnInDiscuzOrder(t *testing.T) {
	off, on := scLoad(t, scOff), scLoad(t, scOn)
	order := NewPluginOrder([]PluginRank{{"mobile", 1, true}, {"qqconnect", 2, false}})
	if order["qqconnect"] != 0 || order["mobile"] != 1 {
		t.Fatalf("order %v", order)
	}
	diff := func(got *Array) []string {
		var out []string
		for _, k := range []string{"hookscript", "hookscriptmobile", "plugins"} {
			if !bytes.Equal(Serialize(scGet(got, k)), Serialize(scGet(scParse(t, on.setting), k))) {
				out = append(out, k)
			}
		}
		return out
	}
	got := scParse(t, off.setting)
	if err := PatchPluginOnOrdered(got, scParse(t, off.connect), "2.1.7", nil, order); err != nil {
		t.Fatal(err)
	}
	if d := diff(got); len(d) > 0 {
		t.Fatalf("in Discuz's order these differ from Discuz's own 启用: %v", d)
	}
	unordered := scParse(t, off.setting)
	if err := PatchPluginOn(unordered, scParse(t, off.connect), "2.1.7", nil); err != nil {
		t.Fatal(err)
	}
	if d := diff(unordered); len(d) == 0 {
		t.Fatal("without the order the result should differ (the test would prove nothing)")
	}
}

// TestPatchAdminMenu: qqconnect's entry (pluginid 2) goes after the system
// plugins' block and after plugins with a higher pluginid, before lower
// ones; off takes exactly it out; on twice is on once.
func TestPatchAdminMenu(t *testing.T) {
	entry := func(pid, name string) string {
		return `a:3:{s:3:"url";s:` + strconv.Itoa(len("plugins&operation=config&do="+pid)) + `:"plugins&operation=config&do=` + pid +
			`";s:6:"action";s:` + strconv.Itoa(len("plugins_config_"+pid)) + `:"plugins_config_` + pid + `";s:4:"name";s:` + strconv.Itoa(len(name)) + `:"` + name + `";}`
	}
	sys := func(sub string) string { return `a:2:{s:4:"name";s:14:"plugins_system";s:3:"sub";i:` + sub + `;}` }
	list := func(items ...string) string {
		var b strings.Builder
		b.WriteString("a:" + strconv.Itoa(len(items)) + ":{")
		for i, it := range items {
			b.WriteString("i:" + strconv.Itoa(i) + ";" + it)
		}
		return b.String() + "}"
	}
	off := list(sys("1"), entry("1", "mobile"), sys("2"), entry("5", "Five"), entry("1", "One"))
	on := list(sys("1"), entry("1", "mobile"), sys("2"), entry("5", "Five"), entry("2", "QQ互联"), entry("1", "One"))
	m, err := UnserializeArray([]byte(off))
	if err != nil {
		t.Fatal(err)
	}
	PatchAdminMenu(m, 2, "QQ互联", true)
	PatchAdminMenu(m, 2, "QQ互联", true)
	if got := string(Serialize(Value{Kind: KindArray, Arr: m})); got != on {
		t.Fatalf("on:\n%s\nwant\n%s", got, on)
	}
	PatchAdminMenu(m, 2, "QQ互联", false)
	if got := string(Serialize(Value{Kind: KindArray, Arr: m})); got != off {
		t.Fatalf("off:\n%s\nwant\n%s", got, off)
	}
}
