package discuz

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ---- fixtures (the real rows of docs/discuz-cache.md §8) ----

const (
	scFresh = "x35-fresh-syscache.sql"
	scOn    = "x35-qqconnect-on-syscache.sql"
	scOff   = "x35-qqconnect-off-syscache.sql"
)

var (
	scSettingRowRE = regexp.MustCompile(`(?m)^REPLACE INTO pre_common_syscache \(cname, ctype, dateline, data\) VALUES \('setting', 1, \d+, X'([0-9A-Fa-f]*)'\);$`)
	scConnectRowRE = regexp.MustCompile(`(?m)^REPLACE INTO pre_common_setting \(skey, svalue\) VALUES \('connect', X'([0-9A-Fa-f]*)'\);$`)
)

// scSharedDir finds the Discuz fixtures: env QQCONNECT_SHARED_DIR, else the
// project's carried copy, else ../shared next to the repository root.
func scSharedDir(t testing.TB) string {
	t.Helper()
	if v := os.Getenv("QQCONNECT_SHARED_DIR"); v != "" {
		return v
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			// the project's own carried copy first (internal/testdb/carried.go)
			if carried := filepath.Join(dir, "internal", "testdb", "testdata"); dirExists(filepath.Join(carried, "discuz")) {
				return carried
			}
			return filepath.Join(filepath.Dir(dir), "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory; set QQCONNECT_SHARED_DIR")
		}
		dir = parent
	}
}

type scFixture struct {
	setting []byte // pre_common_syscache 'setting' data
	connect []byte // pre_common_setting 'connect' svalue
}

func scLoad(t testing.TB, file string) scFixture {
	t.Helper()
	path := filepath.Join(scSharedDir(t), "discuz", "x3.5", "fixtures", file)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fixture: %v (set QQCONNECT_SHARED_DIR?)", err)
	}
	row := func(re *regexp.Regexp, what string) []byte {
		m := re.FindAllSubmatch(src, -1)
		if len(m) != 1 {
			t.Fatalf("%s: want exactly one %s row, found %d", file, what, len(m))
		}
		b, err := hex.DecodeString(string(m[0][1]))
		if err != nil {
			t.Fatalf("%s: %s row: %v", file, what, err)
		}
		return b
	}
	return scFixture{setting: row(scSettingRowRE, "setting"), connect: row(scConnectRowRE, "connect")}
}

func scParse(t testing.TB, b []byte) *Array {
	t.Helper()
	a, err := UnserializeArray(b)
	if err != nil {
		t.Fatalf("unserialize: %v", err)
	}
	return a
}

func scSer(a *Array) []byte { return Serialize(Value{Kind: KindArray, Arr: a}) }

func scKeys(a *Array) []string {
	var ks []string
	for _, e := range a.Entries {
		ks = append(ks, keyString(e.Key))
	}
	return ks
}

// scWithout returns a shallow copy of a without the given top-level keys.
func scWithout(a *Array, drop ...string) *Array {
	out := &Array{}
	for _, e := range a.Entries {
		if !slices.Contains(drop, keyString(e.Key)) {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

func scMustEqual(t *testing.T, what string, got, want *Array, ignore ...string) {
	t.Helper()
	if ok, diff := SettingsEqualIgnoringNoise(scWithout(got, ignore...), scWithout(want, ignore...)); !ok {
		t.Fatalf("%s: differs at %s", what, diff)
	}
}

// scMustKeepOthers checks that every top-level key except the ones qqconnect
// patches is byte-identical in got and before, and that the key order is the same.
func scMustKeepOthers(t *testing.T, got, before *Array) {
	t.Helper()
	if g, b := scKeys(got), scKeys(before); !slices.Equal(g, b) {
		t.Fatalf("top-level key order changed:\n got %v\nwant %v", g, b)
	}
	patched := []string{"plugins", "hookscript", "hookscriptmobile", "connect"}
	for i, e := range before.Entries {
		k := keyString(e.Key)
		if slices.Contains(patched, k) {
			continue
		}
		if !bytes.Equal(Serialize(got.Entries[i].Val), Serialize(e.Val)) {
			t.Fatalf("top-level %q changed", k)
		}
	}
}

func scMarshal(t testing.TB, f *QQConnectFragments) []byte {
	t.Helper()
	b, err := f.Marshal()
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func scCountRoots(f *QQConnectFragments) map[string]int {
	n := map[string]int{}
	for _, h := range f.Hooks {
		n[h.Root]++
	}
	return n
}

// ---- tests against the fixtures ----

func TestSettingFixturesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		file string
		keys int
	}{{scFresh, 501}, {scOn, 503}, {scOff, 503}} {
		t.Run(tc.file, func(t *testing.T) {
			fx := scLoad(t, tc.file)
			for what, raw := range map[string][]byte{"setting": fx.setting, "connect": fx.connect} {
				a := scParse(t, raw)
				if got := scSer(a); !bytes.Equal(got, raw) {
					i := 0
					for i < len(got) && i < len(raw) && got[i] == raw[i] {
						i++
					}
					t.Fatalf("%s: re-serialized bytes differ at offset %d of %d", what, i, len(raw))
				}
				if what == "setting" && len(a.Entries) != tc.keys {
					t.Fatalf("setting has %d keys, want %d", len(a.Entries), tc.keys)
				}
			}
		})
	}
}

func TestPatchPluginOffMatchesDiscuz(t *testing.T) {
	on, off := scLoad(t, scOn), scLoad(t, scOff)
	before := scParse(t, on.setting)
	got := scParse(t, on.setting)
	frags, err := PatchPluginOff(got)
	if err != nil {
		t.Fatal(err)
	}
	scMustEqual(t, "off(on) vs off", got, scParse(t, off.setting))
	scMustKeepOthers(t, got, before)
	if c := scGet(got, "connect"); string(Serialize(c)) != "a:0:{}" {
		t.Fatalf("connect = %s, want a:0:{}", Serialize(c))
	}
	// The removed fragments are exactly the 2.1.7 table: this proves the table.
	if n := scCountRoots(frags); n["hookscript"] != 23 || n["hookscriptmobile"] != 5 || len(frags.Hooks) != 28 {
		t.Fatalf("removed %v fragments, want 23 hookscript + 5 hookscriptmobile", n)
	}
	if g, w := scMarshal(t, frags), scMarshal(t, DefaultQQConnectFragments()); !bytes.Equal(g, w) {
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		from := max(0, i-150)
		t.Fatalf("removed fragments differ from the 2.1.7 table at byte %d:\n got …%s\nwant …%s", i, g[from:min(len(g), i+60)], w[from:min(len(w), i+60)])
	}
	if !frags.HasVersion || frags.Version.String() != "2.1.7" || !frags.HasSpacecp {
		t.Fatalf("version/spacecp not removed: %+v", frags)
	}
}

func TestPatchPluginOnMatchesDiscuz(t *testing.T) {
	on, off := scLoad(t, scOn), scLoad(t, scOff)
	removed, err := PatchPluginOff(scParse(t, on.setting))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := UnmarshalFragments(scMarshal(t, removed))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		saved *QQConnectFragments
	}{
		{"built-in 2.1.7 table", nil},
		{"fragments from PatchPluginOff", removed},
		{"fragments after Marshal/Unmarshal", stored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := scParse(t, off.setting)
			got := scParse(t, off.setting)
			// connect comes from pre_common_setting, as Discuz's rebuild does.
			if err := PatchPluginOn(got, scParse(t, off.connect), "2.1.7", tc.saved); err != nil {
				t.Fatal(err)
			}
			scMustEqual(t, "on(off) vs on", got, scParse(t, on.setting))
			scMustKeepOthers(t, got, before)
			// Value types kept: guest_groupid s:2:"20", oauth2 i:0.
			if c := Serialize(scGet(got, "connect")); !bytes.Equal(c, off.connect) {
				t.Fatalf("connect = %s, want the pre_common_setting bytes", c)
			}
			if av := Serialize(scGet(scChild(got, "plugins"), "available")); string(av) != `a:2:{i:0;s:9:"qqconnect";i:1;s:6:"mobile";}` {
				t.Fatalf("plugins.available = %s", av)
			}
		})
	}
}

func TestPluginOffOnRoundTrip(t *testing.T) {
	on := scLoad(t, scOn)
	for _, useSaved := range []bool{true, false} {
		orig := scParse(t, on.setting)
		got := scParse(t, on.setting)
		frags, err := PatchPluginOff(got)
		if err != nil {
			t.Fatal(err)
		}
		if !useSaved {
			frags = nil
		}
		if err := PatchPluginOn(got, scParse(t, on.connect), "2.1.7", frags); err != nil {
			t.Fatal(err)
		}
		scMustEqual(t, "on→off→on", got, orig)
		scMustKeepOthers(t, got, orig)
	}
}

func TestPatchIdempotent(t *testing.T) {
	on, off := scLoad(t, scOn), scLoad(t, scOff)

	a := scParse(t, on.setting)
	if _, err := PatchPluginOff(a); err != nil {
		t.Fatal(err)
	}
	once := scSer(a)
	again, err := PatchPluginOff(a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(scSer(a), once) || !again.Empty() {
		t.Fatalf("second PatchPluginOff changed the array or removed %+v", again)
	}
	// Discuz's own off state: nothing to remove, nothing changes but connect (already a:0:{}).
	b := scParse(t, off.setting)
	if f, _ := PatchPluginOff(b); !f.Empty() || !bytes.Equal(scSer(b), off.setting) {
		t.Fatal("PatchPluginOff changed Discuz's own off state")
	}

	c := scParse(t, off.setting)
	for i := range 2 {
		if err := PatchPluginOn(c, scParse(t, off.connect), "2.1.7", nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			once = scSer(c)
		} else if !bytes.Equal(scSer(c), once) {
			t.Fatal("second PatchPluginOn changed the array")
		}
	}
	// Discuz's own on state is left byte for byte as it is.
	d := scParse(t, on.setting)
	if err := PatchPluginOn(d, scChild(d, "connect"), "2.1.7", nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(scSer(d), on.setting) {
		ok, diff := SettingsEqualIgnoringNoise(d, scParse(t, on.setting))
		t.Fatalf("PatchPluginOn changed Discuz's own on state (semantically equal: %v %s)", ok, diff)
	}
}

func TestPatchPluginOnFresh(t *testing.T) {
	fresh, on, off := scLoad(t, scFresh), scLoad(t, scOn), scLoad(t, scOff)
	// Documented: apart from noise and appid/appkey, fresh == off.
	scMustEqual(t, "fresh vs off", scParse(t, fresh.setting), scParse(t, off.setting), "connectappid", "connectappkey")

	// The plugin's install.php and settings page turned the 19-key default
	// connect into the 21-key one of the on fixture; Discuz then copies that.
	before := scParse(t, fresh.setting)
	got := scParse(t, fresh.setting)
	if err := PatchPluginOn(got, scParse(t, on.connect), "2.1.7", nil); err != nil {
		t.Fatal(err)
	}
	scMustEqual(t, "on(fresh) vs on", got, scParse(t, on.setting), "connectappid", "connectappkey")
	scMustKeepOthers(t, got, before)

	// The fresh install's own 19-key default is copied exactly too.
	got = scParse(t, fresh.setting)
	if err := PatchPluginOn(got, scParse(t, fresh.connect), "2.1.7", nil); err != nil {
		t.Fatal(err)
	}
	scMustEqual(t, "on(fresh, default connect) vs on", got, scParse(t, on.setting), "connectappid", "connectappkey", "connect")
	if c := Serialize(scGet(got, "connect")); !bytes.Equal(c, fresh.connect) {
		t.Fatalf("connect = %s", c)
	}

	// Adding appid/appkey as the settings page does gives the full on state.
	SetTopLevel(got, "connect", scClone(scGet(scParse(t, on.setting), "connect")))
	SetTopLevel(got, "connectappid", Str("101234567"))
	SetTopLevel(got, "connectappkey", Str("FIXTURE"))
	scMustEqual(t, "on(fresh)+appid/appkey vs on", got, scParse(t, on.setting))
}

func TestSetTopLevel(t *testing.T) {
	on, fresh := scLoad(t, scOn), scLoad(t, scFresh)
	a := scParse(t, on.setting)
	keys := scKeys(a)
	SetTopLevel(a, "connectappid", Str("42"))
	if !slices.Equal(scKeys(a), keys) || a.GetString("connectappid") != "42" {
		t.Fatal("existing key not replaced in place")
	}
	b := scParse(t, fresh.setting)
	SetTopLevel(b, "connectappid", Str("1"))
	SetTopLevel(b, "connectappkey", Str("k"))
	if ks := scKeys(b); len(ks) != 503 || ks[501] != "connectappid" || ks[502] != "connectappkey" {
		t.Fatalf("new keys not appended at the end: %v", ks[499:])
	}
	SetTopLevel(nil, "x", Str("y")) // no panic
}

func TestPatchPluginOnUnknownVersion(t *testing.T) {
	off, on := scLoad(t, scOff), scLoad(t, scOn)
	frags, err := PatchPluginOff(scParse(t, on.setting))
	if err != nil {
		t.Fatal(err)
	}
	custom := DefaultQQConnectFragments()
	custom.Version = Str("2.2.0")
	for _, tc := range []struct {
		name    string
		version string
		saved   *QQConnectFragments
		wantErr error
	}{
		{"unknown version, nothing saved", "2.1.8", nil, ErrUnknownPluginVersion},
		{"unknown version, empty saved set", "2.1.8", &QQConnectFragments{}, ErrUnknownPluginVersion},
		{"saved for 2.1.7, plugin now 2.1.8", "2.1.8", frags, ErrUnknownPluginVersion},
		{"saved for the same unknown version", "2.2.0", custom, nil},
		{"empty saved set falls back to the 2.1.7 table", "2.1.7", &QQConnectFragments{}, nil},
		{"empty version", "", nil, errAny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := scParse(t, off.setting)
			err := PatchPluginOn(a, scParse(t, off.connect), tc.version, tc.saved)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.wantErr == errAny && err == nil, tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			case err != nil && !bytes.Equal(scSer(a), off.setting):
				t.Fatal("the array changed although PatchPluginOn failed")
			case err == nil:
				if v := scGet(scChild(scChild(a, "plugins"), "version"), "qqconnect").String(); v != tc.version {
					t.Fatalf("plugins.version[qqconnect] = %q", v)
				}
				scMustEqual(t, "hooks", scWithout(a, "plugins"), scWithout(scParse(t, on.setting), "plugins"))
			}
		})
	}
	if err := PatchPluginOn(scParse(t, off.setting), nil, "2.1.7", nil); err == nil {
		t.Fatal("nil connect accepted")
	}
	if _, err := PatchPluginOff(nil); err == nil {
		t.Fatal("nil setting accepted")
	}
}

var errAny = errors.New("any error")

func TestFragmentsMarshalRoundTrip(t *testing.T) {
	on := scLoad(t, scOn)
	removed, err := PatchPluginOff(scParse(t, on.setting))
	if err != nil {
		t.Fatal(err)
	}
	gbk := DefaultQQConnectFragments()
	gbk.Spacecp.Arr.Set("name", Value{Kind: KindString, Str: []byte{'Q', 'Q', 0xb0, 0xf3, 0xb6, 0xa8}}) // QQ绑定 in GBK
	partial := &QQConnectFragments{Hooks: []HookFragment{{Root: "hookscript", Group: "1", Script: "x",
		Lists: []HookList{{Kind: "messagefuncs", Hook: "h", Pairs: []Value{scQQPair("m")}}}}}}
	for _, tc := range []struct {
		name string
		f    *QQConnectFragments
	}{
		{"default", DefaultQQConnectFragments()},
		{"removed from the on fixture", removed},
		{"empty", &QQConnectFragments{}},
		{"non-UTF-8 value", gbk},
		{"no module, other list kind", partial},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := scMarshal(t, tc.f)
			back, err := UnmarshalFragments(b)
			if err != nil {
				t.Fatalf("unmarshal %s: %v", b, err)
			}
			if b2 := scMarshal(t, back); !bytes.Equal(b, b2) {
				t.Fatalf("round trip differs:\n%s\n%s", b, b2)
			}
			if back.Empty() != tc.f.Empty() || len(back.Hooks) != len(tc.f.Hooks) || back.HasSpacecp != tc.f.HasSpacecp {
				t.Fatal("round trip lost data")
			}
			if tc.f.HasSpacecp && !bytes.Equal(Serialize(back.Spacecp), Serialize(tc.f.Spacecp)) {
				t.Fatal("spacecp bytes changed")
			}
		})
	}

	good := string(scMarshal(t, DefaultQQConnectFragments()))
	for _, tc := range []struct{ name, data string }{
		{"not JSON", "a:0:{}"},
		{"trailing data", good + "{}"},
		{"unknown format", strings.Replace(good, `"format":1`, `"format":2`, 1)},
		{"unknown field", strings.Replace(good, `"format":1`, `"format":1,"x":1`, 1)},
		{"bad PHP value", strings.Replace(good, `"version":"s:5:\"2.1.7\";"`, `"version":"s:9:\"2.1.7\";"`, 1)},
		{"PHP value with trailing bytes", strings.Replace(good, `"version":"s:5:\"2.1.7\";"`, `"version":"s:5:\"2.1.7\";x"`, 1)},
		{"bad root", strings.Replace(good, `"root":"hookscript"`, `"root":"plugins"`, 1)},
		{"not a qqconnect pair", strings.Replace(good, `s:9:\"qqconnect\";i:1;s:4:\"init\"`, `s:9:\"qqconnecx\";i:1;s:4:\"init\"`, 1)},
		{"empty pairs", strings.Replace(good, `"pairs":["a:2:{i:0;s:9:\"qqconnect\";i:1;s:4:\"init\";}"]`, `"pairs":[]`, 1)},
		{"bad list kind", strings.Replace(good, `"kind":"funcs"`, `"kind":"module"`, 1)},
		{"bad base64", strings.Replace(good, `"version":"s:5:\"2.1.7\";"`, `"version":{"base64":"!!"}`, 1)},
		{"base64 object with other key", strings.Replace(good, `"version":"s:5:\"2.1.7\";"`, `"version":{"b":"eA=="}`, 1)},
		{"duplicate entry", strings.Replace(good, `"group":"base","script":"common"`, `"group":"base","script":"init"`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.data == good {
				t.Fatal("the test's replacement did not apply")
			}
			if _, err := UnmarshalFragments([]byte(tc.data)); err == nil {
				t.Fatalf("accepted %s", tc.data)
			}
		})
	}
	if _, err := (&QQConnectFragments{Hooks: []HookFragment{{Root: "hookscript", Group: "\xff", Script: "x"}}}).Marshal(); err == nil {
		t.Fatal("Marshal accepted a non-UTF-8 name")
	}
}

// ---- synthetic cases: shapes the fixtures do not have ----

// scA builds a PHP array from key, value, key, value...; scL a list.
func scA(kv ...any) Value {
	a := &Array{}
	for i := 0; i < len(kv); i += 2 {
		var k Value
		switch x := kv[i].(type) {
		case int:
			k = Int(int64(x))
		case string:
			k = Str(x)
		}
		a.Entries = append(a.Entries, Entry{Key: k, Val: scV(kv[i+1])})
	}
	return Value{Kind: KindArray, Arr: a}
}

func scL(vs ...any) Value {
	var kv []any
	for i, v := range vs {
		kv = append(kv, i, v)
	}
	return scA(kv...)
}

func scV(x any) Value {
	switch x := x.(type) {
	case string:
		return Str(x)
	case int:
		return Int(int64(x))
	case Value:
		return x
	}
	panic("scV")
}

func scP(plugin, method string) Value { return scL(plugin, method) }

func TestPatchPluginOffSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in, want  Value
		wantHooks int
	}{
		{
			name: "qqconnect in the middle of available, other spacecp entry kept",
			in: scA("plugins", scA("available", scL("a", "qqconnect", "b"), "version", scA("qqconnect", "2.1.7", "a", "1"),
				"spacecp", scA("qqconnect:spacecp", scA("x", 1), "a:spacecp", scA("y", 2))), "connect", scA("allow", "1"), "z", 1),
			want: scA("plugins", scA("available", scL("a", "b"), "version", scA("a", "1"),
				"spacecp", scA("a:spacecp", scA("y", 2))), "connect", scA(), "z", 1),
		},
		{
			name: "qqconnect pair before another plugin's pair, messagefuncs, emptied maps dropped",
			in: scA("hookscript", scA(
				"forum", scA("post", scA("module", scA("qqconnect", "qqconnect/connect", "other", "other/x"), "adminid", scA("qqconnect", "0", "other", "0"),
					"funcs", scA("h", scL(scP("qqconnect", "m"), scP("other", "m")), "q", scL(scP("qqconnect", "q"))),
					"messagefuncs", scA("k", scL(scP("qqconnect", "k")))),
					"only", scA("module", scA("qqconnect", "qqconnect/connect"), "funcs", scA("i", scL(scP("qqconnect", "i"))))),
				"qqonly", scA("x", scA("module", scA("qqconnect", "qqconnect/connect"), "adminid", scA("qqconnect", "0"), "funcs", scA("i", scL(scP("qqconnect", "i"))))),
				"emptybefore", scA()),
				"connect", scA()),
			want: scA("hookscript", scA(
				"forum", scA("post", scA("module", scA("other", "other/x"), "adminid", scA("other", "0"),
					"funcs", scA("h", scL(scP("other", "m"))))),
				"emptybefore", scA()),
				"connect", scA()),
			wantHooks: 3,
		},
		{
			name: "odd shapes left alone",
			in: scA("plugins", "x", "hookscript", "y", "hookscriptmobile", scA("g", "s", "h", scA("s", "t")),
				"connect", "z"),
			want: scA("plugins", "x", "hookscript", "y", "hookscriptmobile", scA("g", "s", "h", scA("s", "t")),
				"connect", scA()),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := scClone(tc.in).Arr
			f, err := PatchPluginOff(a)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := scSer(a), Serialize(tc.want); !bytes.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
			if len(f.Hooks) != tc.wantHooks {
				t.Fatalf("removed %d hook fragments, want %d", len(f.Hooks), tc.wantHooks)
			}
			// Putting the removed parts back restores the input (key order aside).
			if tc.wantHooks > 0 {
				if err := PatchPluginOn(a, scA().Arr, "9.9", f); err != nil {
					t.Fatal(err)
				}
				back := scClone(tc.in).Arr
				back.Set("plugins", scA("available", scL("qqconnect"), "version", scA("qqconnect", "9.9"),
					"spacecp", scA("qqconnect:spacecp", DefaultQQConnectFragments().Spacecp)))
				back.Delete("emptybefore")
				hs := scChild(back, "hookscript")
				hs.Delete("emptybefore")
				// Our pairs go after the other plugin's pair.
				scChild(scChild(scChild(scChild(hs, "forum"), "post"), "funcs"), "h").Entries = scL(scP("other", "m"), scP("qqconnect", "m")).Arr.Entries
				scChild(a, "hookscript").Delete("emptybefore")
				scMustEqual(t, "off→on", a, back)
			}
		})
	}
}

func TestPatchPluginOnSynthetic(t *testing.T) {
	// A site with no plugins key and a stale qqconnect hook that the saved
	// set does not have: the stale hook goes, the saved ones come in.
	in := scA("hookscript", scA("g", scA("s", scA("module", scA("qqconnect", "qqconnect/connect"), "funcs", scA("old", scL(scP("qqconnect", "old")))))), "connect", scA())
	saved := &QQConnectFragments{Hooks: []HookFragment{{Root: "hookscriptmobile", Group: "g", Script: "s", Module: Str("m"), HasModule: true,
		Lists: []HookList{{Kind: "funcs", Hook: "new", Pairs: []Value{scQQPair("new")}}}}}}
	a := scClone(in).Arr
	if err := PatchPluginOn(a, scA("allow", "1", "oauth2", 0).Arr, "3.0", saved); err != nil {
		t.Fatal(err)
	}
	want := scA("hookscript", scA(), "connect", scA("allow", "1", "oauth2", 0),
		"plugins", scA("available", scL("qqconnect"), "version", scA("qqconnect", "3.0"), "spacecp", scA("qqconnect:spacecp", DefaultQQConnectFragments().Spacecp)),
		"hookscriptmobile", scA("g", scA("s", scA("module", scA("qqconnect", "m"), "funcs", scA("new", scL(scP("qqconnect", "new")))))))
	if got := scSer(a); !bytes.Equal(got, Serialize(want)) {
		t.Fatalf("got  %s\nwant %s", got, Serialize(want))
	}
	// The connect copy is deep: changing the caller's array changes nothing.
	c := scA("allow", "1").Arr
	if err := PatchPluginOn(a, c, "3.0", saved); err != nil {
		t.Fatal(err)
	}
	c.Set("allow", Str("0"))
	if scChild(a, "connect").GetString("allow") != "1" {
		t.Fatal("connect is not a copy")
	}
}

func TestSettingsEqualIgnoringNoise(t *testing.T) {
	base := scA("a", scA("x", 1, "y", scL("p", "q")), "reginput", scA("u", "r1"), "b", "s")
	for _, tc := range []struct {
		name     string
		other    Value
		equal    bool
		diffPath string
	}{
		{"same", base, true, ""},
		{"noise differs or is missing", scA("a", scA("x", 1, "y", scL("p", "q")), "b", "s", "onlinerecord", "9", "parseflv", scA(), "profilenode", 1), true, ""},
		{"map key order ignored", scA("b", "s", "a", scA("y", scL("p", "q"), "x", 1)), true, ""},
		{"list order matters", scA("a", scA("x", 1, "y", scL("q", "p")), "b", "s"), false, "a[y][0]"},
		{"list vs reordered map", scA("a", scA("x", 1, "y", scA(1, "q", 0, "p")), "b", "s"), false, "a[y]"},
		{"int vs string", scA("a", scA("x", "1", "y", scL("p", "q")), "b", "s"), false, "a[x]"},
		{"missing key", scA("a", scA("x", 1), "b", "s"), false, "a[y]"},
		{"extra key", scA("a", scA("x", 1, "y", scL("p", "q"), "z", 0), "b", "s"), false, "a[z]"},
		{"longer list", scA("a", scA("x", 1, "y", scL("p", "q", "r")), "b", "s"), false, "a[y]"},
		{"duplicate keys", scA("a", scA("x", 1, "y", scL("p", "q")), "b", "s", "b", "t"), false, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, swap := range []bool{false, true} {
				x, y := base.Arr, tc.other.Arr
				if swap {
					x, y = y, x
				}
				ok, diff := SettingsEqualIgnoringNoise(x, y)
				if ok != tc.equal || !strings.HasPrefix(diff, tc.diffPath) || (!ok && !strings.HasPrefix(diff, tc.diffPath+":")) {
					t.Fatalf("got (%v, %q), want (%v, %q…)", ok, diff, tc.equal, tc.diffPath)
				}
			}
		})
	}
	dup := scA(0, "x", 0, "y").Arr
	if ok, diff := SettingsEqualIgnoringNoise(dup, scA(0, "x", 0, "y").Arr); !ok {
		t.Fatalf("duplicate keys: not equal to itself at %s", diff)
	}
	if ok, _ := SettingsEqualIgnoringNoise(dup, scA(0, "y", 0, "x").Arr); ok {
		t.Fatal("duplicate keys: swapped values compare equal")
	}
	on, off := scLoad(t, scOn), scLoad(t, scOff)
	if ok, diff := SettingsEqualIgnoringNoise(scParse(t, on.setting), scParse(t, off.setting)); ok || diff == "" {
		t.Fatal("on and off fixtures compare equal")
	}
}

// ---- fuzzing ----

// scFuzzSeeds adds small real snippets of the fixtures (large seeds make the
// fuzzer's minimizer stall) and a few edge cases.
func scFuzzSeeds(f *testing.F) {
	f.Helper()
	for _, file := range []string{scOn, scOff} {
		fx := scLoad(f, file)
		a := scParse(f, fx.setting)
		hs, hm := scChild(a, "hookscript"), scChild(a, "hookscriptmobile")
		for _, v := range []Value{
			scGet(a, "plugins"),
			scGet(scChild(hs, "global"), "common"),
			scGet(scChild(hs, "forum"), "viewthread"),
			scGet(a, "regconnect"),
		} {
			f.Add(Serialize(v))
		}
		// A small setting-like array holding the interesting keys.
		small := &Array{}
		small.Set("plugins", scGet(a, "plugins"))
		small.Set("hookscript", scA("global", scA("common", scGet(scChild(hs, "global"), "common")), "group", scGet(hs, "group")))
		small.Set("hookscriptmobile", scA("member", scGet(hm, "member")))
		small.Set("connect", scA("allow", "1", "oauth2", 0))
		f.Add(scSer(small))
	}
	for _, s := range []string{"N;", "b:1;", "i:-5;", "d:0.1;", `s:3:"a"b";`, `a:1:{i:0;a:0:{}}`, `s:9223372036854775807:"x";`, `a:1:{s:1:"1";i:1;}`,
		`a:2:{i:0;s:9:"000000000";i:0;s:6:"000000";}`} { // duplicate keys (found by FuzzSettingPatch)
		f.Add([]byte(s))
	}
}

func FuzzUnserialize(f *testing.F) {
	scFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unserialize(data)
		if err != nil {
			return
		}
		if got := Serialize(v); !bytes.Equal(got, data) {
			t.Fatalf("re-serialized %q as %q", data, got)
		}
	})
}

// FuzzSettingPatch runs the patches on arbitrary arrays: no panics, both
// idempotent, and an array always equals itself.
func FuzzSettingPatch(f *testing.F) {
	scFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := UnserializeArray(data)
		if err != nil {
			return
		}
		if ok, diff := SettingsEqualIgnoringNoise(a, scClone(Value{Kind: KindArray, Arr: a}).Arr); !ok {
			t.Fatalf("not equal to itself at %s", diff)
		}
		frags, err := PatchPluginOff(a)
		if err != nil {
			t.Fatal(err)
		}
		once := scSer(a)
		if again, _ := PatchPluginOff(a); !again.Empty() || !bytes.Equal(scSer(a), once) {
			t.Fatalf("PatchPluginOff not idempotent on %q", data)
		}
		if b, err := frags.Marshal(); err == nil {
			if _, err := UnmarshalFragments(b); err != nil {
				t.Fatalf("fragments do not round-trip: %v", err)
			}
		}
		for _, saved := range []*QQConnectFragments{nil, frags} {
			x := scClone(Value{Kind: KindArray, Arr: a}).Arr
			if err := PatchPluginOn(x, &Array{}, "2.1.7", saved); err != nil {
				return // fragments of odd shapes may be refused
			}
			once := scSer(x)
			if err := PatchPluginOn(x, &Array{}, "2.1.7", saved); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(scSer(x), once) {
				t.Fatalf("PatchPluginOn not idempotent on %q", data)
			}
		}
	})
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
