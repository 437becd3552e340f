package discuz

import (
	"bytes"
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
