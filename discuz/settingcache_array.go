package discuz

// Small helpers on the PHP arrays of the setting cache: access, clone,
// reindex and a readable diff.

import (
	"bytes"
	"fmt"
)

// scSamePairs compares two pair sequences byte for byte.
func scSamePairs(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(Serialize(a[i]), Serialize(b[i])) {
			return false
		}
	}
	return true
}

// scIsQQPair reports whether v is a hook pair ['qqconnect', method].
func scIsQQPair(v Value) bool {
	a := scArr(v)
	if a == nil {
		return false
	}
	first, ok := a.Get("0")
	return ok && scIsString(first, scPluginID)
}

func scIsString(v Value, s string) bool { return v.Kind == KindString && string(v.Str) == s }

// scArr returns v's array, or nil when v is not an array.
func scArr(v Value) *Array {
	if v.Kind != KindArray {
		return nil
	}
	return v.Arr
}

func scGet(a *Array, key string) Value {
	v, _ := a.Get(key)
	return v
}

// scGetOK is a.Get that accepts a nil a.
func scGetOK(a *Array, key string) (Value, bool) {
	if a == nil {
		return Value{}, false
	}
	return a.Get(key)
}

// scChild returns the array at a[key], or nil.
func scChild(a *Array, key string) *Array {
	if a == nil {
		return nil
	}
	return scArr(scGet(a, key))
}

// scEnsureChild returns the array at a[key], replacing a missing or
// non-array value with a new array (in place, or at the end).
func scEnsureChild(a *Array, key string) *Array {
	if c := scChild(a, key); c != nil {
		return c
	}
	v := NewArray()
	a.Set(key, v)
	return v.Arr
}

// scReindex renumbers a list 0..n-1, as PHP's array_values does.
func scReindex(a *Array) {
	for i := range a.Entries {
		a.Entries[i].Key = Int(int64(i))
	}
}

// scIsList reports whether a's keys are the ints 0..n-1 in order.
func scIsList(a *Array) bool {
	if a == nil {
		return true
	}
	for i, e := range a.Entries {
		if e.Key.Kind != KindInt || e.Key.Int != int64(i) {
			return false
		}
	}
	return true
}

// scClone deep-copies v.
func scClone(v Value) Value {
	if v.Str != nil {
		v.Str = append([]byte{}, v.Str...)
	}
	if v.Arr != nil {
		c := &Array{Entries: make([]Entry, len(v.Arr.Entries))}
		for i, e := range v.Arr.Entries {
			c.Entries[i] = Entry{Key: scClone(e.Key), Val: scClone(e.Val)}
		}
		v.Arr = c
	}
	return v
}

func scPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "[" + key + "]"
}

// scDiff returns "" when a and b are equal (maps regardless of key order,
// lists in order), else the path of the first difference and a reason.
func scDiff(path string, a, b Value) string {
	at := path
	if at == "" {
		at = "(top)"
	}
	if a.Kind != b.Kind {
		return fmt.Sprintf("%s: type %s vs %s", at, scKindName(a.Kind), scKindName(b.Kind))
	}
	switch a.Kind {
	case KindNull:
		return ""
	case KindBool:
		if a.Bool != b.Bool {
			return fmt.Sprintf("%s: %t vs %t", at, a.Bool, b.Bool)
		}
	case KindInt:
		if a.Int != b.Int {
			return fmt.Sprintf("%s: %d vs %d", at, a.Int, b.Int)
		}
	case KindFloat:
		if a.Float != b.Float {
			return fmt.Sprintf("%s: %s vs %s", at, a.Float, b.Float)
		}
	case KindString:
		if !bytes.Equal(a.Str, b.Str) {
			return fmt.Sprintf("%s: %q vs %q", at, scShort(a.Str), scShort(b.Str))
		}
	case KindArray:
		aa, ba := a.Arr, b.Arr
		if aa == nil {
			aa = &Array{}
		}
		if ba == nil {
			ba = &Array{}
		}
		al, bl := scIsList(aa), scIsList(ba)
		if al && bl {
			for i := range min(len(aa.Entries), len(ba.Entries)) {
				if d := scDiff(scPath(path, keyString(aa.Entries[i].Key)), aa.Entries[i].Val, ba.Entries[i].Val); d != "" {
					return d
				}
			}
			if len(aa.Entries) != len(ba.Entries) {
				return fmt.Sprintf("%s: list of %d vs %d items", at, len(aa.Entries), len(ba.Entries))
			}
			return ""
		}
		if al != bl && len(aa.Entries) > 0 && len(ba.Entries) > 0 {
			return fmt.Sprintf("%s: list vs map (list order differs)", at)
		}
		// PHP never writes a key twice, but malformed data may: the n-th
		// occurrence of a key in a is compared with the n-th one in b.
		bIdx := make(map[string][]int, len(ba.Entries))
		for i, e := range ba.Entries {
			bIdx[keyString(e.Key)] = append(bIdx[keyString(e.Key)], i)
		}
		aSeen := make(map[string]int, len(aa.Entries))
		for _, e := range aa.Entries {
			k := keyString(e.Key)
			n := aSeen[k]
			aSeen[k] = n + 1
			if n >= len(bIdx[k]) {
				return scPath(path, k) + ": missing in b"
			}
			if d := scDiff(scPath(path, k), e.Val, ba.Entries[bIdx[k][n]].Val); d != "" {
				return d
			}
		}
		for _, e := range ba.Entries {
			if k := keyString(e.Key); len(bIdx[k]) > aSeen[k] {
				return scPath(path, k) + ": missing in a"
			}
		}
	}
	return ""
}

func scKindName(k Kind) string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "bool"
	case KindInt:
		return "int"
	case KindFloat:
		return "float"
	case KindString:
		return "string"
	case KindArray:
		return "array"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

func scShort(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}
