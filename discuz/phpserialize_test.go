package discuz

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// allocatedBytes reports how many bytes f allocated on the heap. TotalAlloc
// only grows, so a GC during f cannot hide an allocation.
func allocatedBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// padTo pads s with junk up to n bytes, so that declared counts up to n look
// plausible against the input length.
func padTo(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat("x", n-len(s))
}

// nestedArrays is n arrays each holding the next one, the innermost holding
// inner (a serialized value, or "" for an empty array).
func nestedArrays(n int, inner string) string {
	if inner == "" {
		return strings.Repeat("a:1:{i:0;", n-1) + "a:0:{}" + strings.Repeat("}", n-1)
	}
	return strings.Repeat("a:1:{i:0;", n) + inner + strings.Repeat("}", n)
}

// TestUnserializeHostileCountsAllocateLittle: declared counts and lengths must
// not size allocations; only elements actually present may cost memory.
func TestUnserializeHostileCountsAllocateLittle(t *testing.T) {
	const limit = 1 << 20 // 1 MiB
	const mb = 1 << 20
	tests := []struct {
		name string
		in   string
	}{
		{"huge count, tiny input", "a:100000000:{"},
		{"nested huge counts, tiny input", strings.Repeat("a:9999999:{i:0;", 8)},
		{"1 MB input declaring 999999 entries", padTo("a:999999:{", mb)},
		{"1 MB input, 8 levels of 999999 entries", padTo(strings.Repeat("a:999999:{i:0;", 8), mb)},
		{"1 MB input, 64 levels of 99999 entries", padTo(strings.Repeat("a:99999:{i:0;", 64), mb)},
		{"truncated after 1000 real entries", padTo("a:150000:{"+strings.Repeat("i:0;N;", 1000), mb)},
		{"huge string length", `s:999999999:"abc";`},
		{"string length past end of 1 MB input", padTo(`s:2000000:"`, mb)},
		{"string length overflowing int", `s:9223372036854775807:"x";`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			var err error
			got := allocatedBytes(func() { _, err = Unserialize(in) })
			if err == nil {
				t.Fatal("hostile input decoded without error")
			}
			if !errors.Is(err, ErrSerialized) {
				t.Errorf("error %v does not wrap ErrSerialized", err)
			}
			if got > limit {
				t.Errorf("allocated %d bytes (%.1f MiB) to reject %d bytes of input, want < %d: %v",
					got, float64(got)/mb, len(in), limit, err)
			}
		})
	}
}

func TestUnserializeDepthLimit(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"7 levels like the real setting cache", nestedArrays(7, `s:1:"x";`), false},
		{"64 levels", nestedArrays(64, ""), false},
		{"64 levels around a scalar", nestedArrays(64, "i:1;"), false},
		{"65 levels", nestedArrays(65, ""), true},
		{"65 levels around a scalar", nestedArrays(65, "i:1;"), true},
		{"10000 levels", nestedArrays(10000, ""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Unserialize([]byte(tt.in))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Unserialize: %v", err)
				}
				if got := string(Serialize(v)); got != tt.in {
					t.Fatalf("round trip changed the data: got %.60q…", got)
				}
				return
			}
			if !errors.Is(err, ErrSerializedLimit) || !strings.Contains(err.Error(), "nesting") {
				t.Fatalf("err = %v, want an ErrSerializedLimit about nesting", err)
			}
		})
	}
}

func TestUnserializeSizeLimit(t *testing.T) {
	// str builds `s:N:"…";` of exactly total bytes.
	str := func(total int) string {
		for n := total - 6; n > 0; n-- {
			if len(itoa(n))+n+6 == total { // s : N : " … " ;
				return `s:` + itoa(n) + `:"` + strings.Repeat("y", n) + `";`
			}
		}
		panic("no string of that size")
	}
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"1 MiB", 1 << 20, false},
		{"exactly the limit", maxUnserializeSize, false},
		{"one byte over", maxUnserializeSize + 1, true},
		{"32 MiB", 32 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(str(tt.size))
			v, err := Unserialize(in)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Unserialize: %v", err)
				}
				if len(v.Str) != tt.size-len(`s:`+itoa(len(v.Str))+`:"";`) {
					t.Fatalf("decoded %d string bytes from %d input bytes", len(v.Str), tt.size)
				}
				return
			}
			if !errors.Is(err, ErrSerializedLimit) || !strings.Contains(err.Error(), "size") {
				t.Fatalf("err = %v, want an ErrSerializedLimit about size", err)
			}
		})
	}
}

// TestUnserializeFixturesWithinLimits: the real setting caches must still
// decode, and stay far from the limits.
func TestUnserializeFixturesWithinLimits(t *testing.T) {
	for _, file := range []string{scOn, scOff} {
		fx := scLoad(t, file)
		for _, row := range []struct {
			name string
			data []byte
		}{{"setting", fx.setting}, {"connect", fx.connect}} {
			v, err := Unserialize(row.data)
			if err != nil {
				t.Fatalf("%s %s: %v", file, row.name, err)
			}
			if d := arrayDepth(v); d > maxUnserializeDepth/4 {
				t.Errorf("%s %s nests %d arrays deep, too close to the limit %d", file, row.name, d, maxUnserializeDepth)
			}
			if len(row.data) > maxUnserializeSize/16 {
				t.Errorf("%s %s is %d bytes, too close to the limit %d", file, row.name, len(row.data), maxUnserializeSize)
			}
		}
	}
}

func arrayDepth(v Value) int {
	if v.Kind != KindArray {
		return 0
	}
	deepest := 0
	for _, e := range v.Arr.Entries {
		deepest = max(deepest, arrayDepth(e.Val))
	}
	return deepest + 1
}

func itoa(n int) string { return Int(int64(n)).String() }
