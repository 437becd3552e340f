package discuz

import (
	"bytes"
	"testing"
)

// stockModules is pre_common_plugin.modules of qqconnect 2.1.7 on X3.5
// (internal/testdb.QQConnectModules; discuz.md §4), trimmed to the modules
// the cache builder reads for spacecp.
const stockModules = `a:3:{i:2;a:4:{s:4:"name";s:7:"admincp";s:4:"menu";s:6:"设置";s:4:"type";s:1:"3";s:12:"displayorder";s:1:"0";}i:3;a:7:{s:4:"name";s:7:"spacecp";s:5:"param";s:0:"";s:4:"menu";s:8:"QQ绑定";s:3:"url";s:0:"";s:4:"type";s:1:"7";s:7:"adminid";s:1:"0";s:12:"displayorder";s:1:"1";}s:5:"extra";a:1:{s:10:"langexists";i:1;}}`

// TestSpacecpFromModules: built from the stock modules, the spacecp entry is
// byte for byte the one measured in the ON fixture; from the same modules
// in GBK it is the GBK form; a plugin without a spacecp module has none.
func TestSpacecpFromModules(t *testing.T) {
	mods, err := UnserializeArray([]byte(stockModules))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"qqconnect/", "qqconnect"} {
		v, ok := SpacecpFromModules(mods, dir)
		if !ok || string(Serialize(v)) != scQQ217Spacecp {
			t.Fatalf("directory %q: %q, want %q", dir, Serialize(v), scQQ217Spacecp)
		}
	}
	gbkMods, err := UnserializeText(stockModulesGBKText(t), "gbk")
	if err != nil {
		t.Fatal(err)
	}
	v, ok := SpacecpFromModules(gbkMods, "qqconnect/")
	want, _ := ToCharset("QQ绑定", "gbk")
	if !ok || !bytes.Contains(Serialize(v), []byte(`s:6:"`+want+`"`)) {
		t.Fatalf("gbk: %q", Serialize(v))
	}
	none, _ := UnserializeArray([]byte(`a:1:{i:0;a:3:{s:4:"name";s:7:"connect";s:4:"type";s:2:"11";s:4:"menu";s:0:"";}}`))
	if _, ok := SpacecpFromModules(none, "qqconnect/"); ok {
		t.Fatal("a spacecp entry from modules without one")
	}
	if _, ok := SpacecpFromModules(nil, "qqconnect/"); ok {
		t.Fatal("a spacecp entry from nil modules")
	}
}

// stockModulesGBKText is stockModules as a GBK site's column reads over a
// UTF-8 connection: UTF-8 text whose byte counts are GBK's.
func stockModulesGBKText(t *testing.T) string {
	t.Helper()
	v, err := Unserialize([]byte(stockModules))
	if err != nil {
		t.Fatal(err)
	}
	g, err := ValueToCharset(v, "gbk")
	if err != nil {
		t.Fatal(err)
	}
	text, err := FromCharset(string(Serialize(g)), "gbk")
	if err != nil {
		t.Fatal(err)
	}
	if text == stockModules {
		t.Fatal("the GBK byte counts should differ from the UTF-8 ones")
	}
	return text
}

// TestSerializeTextRoundTrip: text from a gbk/big5 column parses with the
// site's byte counts and serializes back to the same text; on UTF-8 ("")
// nothing is converted; a character the charset lacks is an error.
func TestSerializeTextRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		charset, text string
	}{
		{"gbk", `a:2:{s:4:"name";s:6:"QQ互联";s:1:"n";i:1;}`},
		{"big5", `a:1:{s:4:"name";s:6:"QQ互聯";}`},
		{"", `a:1:{s:4:"name";s:8:"QQ互联";}`},
	} {
		arr, err := UnserializeText(tt.text, tt.charset)
		if err != nil {
			t.Fatalf("%s: %v", tt.charset, err)
		}
		back, err := SerializeText(arr, tt.charset)
		if err != nil || back != tt.text {
			t.Fatalf("%s: %q, %v; want %q", tt.charset, back, err, tt.text)
		}
	}
	if _, err := ValueToCharset(Str("绑"), "big5"); err == nil {
		t.Fatal("绑 has no Big5 form: want an error")
	}
}
