package discuz

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Kind is the PHP type of a Value.
type Kind int

// The PHP types Discuz stores in serialized settings. Floats keep their exact
// text so a round trip is byte-identical.
const (
	KindNull Kind = iota
	KindBool
	KindInt
	KindFloat
	KindString
	KindArray
)

// Value is one PHP value. Strings are bytes, not runes: `s:N` counts bytes,
// and GBK sites store GBK bytes that must survive untouched.
type Value struct {
	Kind  Kind
	Bool  bool
	Int   int64
	Float string // the literal digits as PHP wrote them
	Str   []byte
	Arr   *Array
}

// Entry is one key/value pair of a PHP array. Key is KindInt or KindString.
type Entry struct {
	Key Value
	Val Value
}

// Array is an ordered PHP array: insertion order matters to Discuz (hook order).
type Array struct {
	Entries []Entry
}

// Str makes a PHP string value.
func Str(s string) Value { return Value{Kind: KindString, Str: []byte(s)} }

// Int makes a PHP int value.
func Int(i int64) Value { return Value{Kind: KindInt, Int: i} }

// NewArray makes an empty PHP array value.
func NewArray() Value { return Value{Kind: KindArray, Arr: &Array{}} }

// String returns the value as PHP would cast it to string for the common
// scalar cases ("" for null/false/arrays).
func (v Value) String() string {
	switch v.Kind {
	case KindString:
		return string(v.Str)
	case KindInt:
		return strconv.FormatInt(v.Int, 10)
	case KindFloat:
		return v.Float
	case KindBool:
		if v.Bool {
			return "1"
		}
	}
	return ""
}

// Truthy follows PHP's boolean conversion for scalars ("" and "0" are false).
func (v Value) Truthy() bool {
	switch v.Kind {
	case KindBool:
		return v.Bool
	case KindInt:
		return v.Int != 0
	case KindFloat:
		f, _ := strconv.ParseFloat(v.Float, 64)
		return f != 0
	case KindString:
		return len(v.Str) > 0 && string(v.Str) != "0"
	case KindArray:
		return v.Arr != nil && len(v.Arr.Entries) > 0
	}
	return false
}

func keyString(k Value) string {
	if k.Kind == KindInt {
		return strconv.FormatInt(k.Int, 10)
	}
	return string(k.Str)
}

// Index returns the position of key (compared as PHP array keys: "1" and 1 are the same key).
func (a *Array) Index(key string) int {
	for i, e := range a.Entries {
		if keyString(e.Key) == key {
			return i
		}
	}
	return -1
}

// Get returns the value at key.
func (a *Array) Get(key string) (Value, bool) {
	if a == nil {
		return Value{}, false
	}
	if i := a.Index(key); i >= 0 {
		return a.Entries[i].Val, true
	}
	return Value{}, false
}

// GetString returns the scalar at key as a string, "" when missing.
func (a *Array) GetString(key string) string {
	v, _ := a.Get(key)
	return v.String()
}

// Set replaces the value at key in place, or appends the key at the end (as PHP does).
func (a *Array) Set(key string, v Value) {
	if i := a.Index(key); i >= 0 {
		a.Entries[i].Val = v
		return
	}
	a.Entries = append(a.Entries, Entry{Key: phpKey(key), Val: v})
}

// Delete removes key, keeping the order of the rest.
func (a *Array) Delete(key string) bool {
	i := a.Index(key)
	if i < 0 {
		return false
	}
	a.Entries = append(a.Entries[:i], a.Entries[i+1:]...)
	return true
}

// phpKey converts a key the way PHP does: decimal integer strings become int keys.
func phpKey(k string) Value {
	if n, err := strconv.ParseInt(k, 10, 64); err == nil && strconv.FormatInt(n, 10) == k {
		return Int(n)
	}
	return Str(k)
}

// ErrSerialized reports malformed serialized data.
var ErrSerialized = errors.New("malformed PHP serialized data")

// ErrSerializedLimit reports serialized data over a decoder limit (size or
// nesting). It wraps ErrSerialized, so callers checking that need no change.
var ErrSerializedLimit = fmt.Errorf("%w: over decoder limit", ErrSerialized)

// Decoder limits. The real X3.5 setting cache is about 50 KB and nests 7
// arrays deep; the syscache column is a mediumblob (at most 16 MiB - 1), so
// the size cap refuses nothing Discuz can store, and the depth cap bounds
// recursion far above anything Discuz writes.
const (
	maxUnserializeSize  = 16 << 20
	maxUnserializeDepth = 64
)

// minEntrySize is the shortest serialized array entry, "i:0;N;": a declared
// count above remaining/minEntrySize cannot be honest.
const minEntrySize = 6

// Unserialize decodes PHP serialize() output. Objects and references are
// rejected: Discuz's settings never contain them. Input over
// maxUnserializeSize bytes or nesting arrays deeper than maxUnserializeDepth
// is rejected with ErrSerializedLimit.
func Unserialize(data []byte) (Value, error) {
	if len(data) > maxUnserializeSize {
		return Value{}, fmt.Errorf("%w: input is %d bytes, size limit is %d", ErrSerializedLimit, len(data), maxUnserializeSize)
	}
	d := decoder{b: data}
	v, err := d.value(0)
	if err != nil {
		return Value{}, err
	}
	if d.i != len(d.b) {
		return Value{}, fmt.Errorf("%w: %d trailing bytes at offset %d", ErrSerialized, len(d.b)-d.i, d.i)
	}
	return v, nil
}

// UnserializeArray decodes data that must be an array.
func UnserializeArray(data []byte) (*Array, error) {
	v, err := Unserialize(data)
	if err != nil {
		return nil, err
	}
	if v.Kind != KindArray {
		return nil, fmt.Errorf("%w: not an array", ErrSerialized)
	}
	return v.Arr, nil
}

type decoder struct {
	b []byte
	i int
}

func (d *decoder) fail(what string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrSerialized, what, d.i)
}

func (d *decoder) expect(c byte) error {
	if d.i >= len(d.b) || d.b[d.i] != c {
		return d.fail(fmt.Sprintf("expected %q", c))
	}
	d.i++
	return nil
}

// until returns the bytes up to (not including) the next c and skips c.
func (d *decoder) until(c byte) ([]byte, error) {
	j := bytes.IndexByte(d.b[d.i:], c)
	if j < 0 {
		return nil, d.fail(fmt.Sprintf("missing %q", c))
	}
	out := d.b[d.i : d.i+j]
	d.i += j + 1
	return out, nil
}

// value decodes one value; depth is the number of arrays enclosing it.
func (d *decoder) value(depth int) (Value, error) {
	if d.i+1 >= len(d.b) {
		return Value{}, d.fail("unexpected end")
	}
	t := d.b[d.i]
	d.i++
	if t == 'N' {
		return Value{Kind: KindNull}, d.expect(';')
	}
	if err := d.expect(':'); err != nil {
		return Value{}, err
	}
	switch t {
	case 'b':
		raw, err := d.until(';')
		if err != nil {
			return Value{}, err
		}
		if string(raw) != "0" && string(raw) != "1" {
			return Value{}, d.fail("bad bool")
		}
		return Value{Kind: KindBool, Bool: raw[0] == '1'}, nil
	case 'i':
		raw, err := d.until(';')
		if err != nil {
			return Value{}, err
		}
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != string(raw) {
			return Value{}, d.fail("bad int")
		}
		return Int(n), nil
	case 'd':
		raw, err := d.until(';')
		if err != nil {
			return Value{}, err
		}
		if _, err := strconv.ParseFloat(string(raw), 64); err != nil && string(raw) != "INF" && string(raw) != "-INF" && string(raw) != "NAN" {
			return Value{}, d.fail("bad float")
		}
		return Value{Kind: KindFloat, Float: string(raw)}, nil
	case 's':
		raw, err := d.until(':')
		if err != nil {
			return Value{}, err
		}
		n, err := strconv.Atoi(string(raw))
		if err != nil || n < 0 || strconv.Itoa(n) != string(raw) {
			return Value{}, d.fail("bad string length")
		}
		if err := d.expect('"'); err != nil {
			return Value{}, err
		}
		if n > len(d.b)-d.i { // not d.i+n: a huge n would overflow
			return Value{}, d.fail("string longer than data")
		}
		s := append([]byte(nil), d.b[d.i:d.i+n]...)
		d.i += n
		if err := d.expect('"'); err != nil {
			return Value{}, err
		}
		return Value{Kind: KindString, Str: s}, d.expect(';')
	case 'a':
		raw, err := d.until(':')
		if err != nil {
			return Value{}, err
		}
		n, err := strconv.Atoi(string(raw))
		if err != nil || n < 0 || strconv.Itoa(n) != string(raw) {
			return Value{}, d.fail("bad array length")
		}
		if depth >= maxUnserializeDepth {
			return Value{}, fmt.Errorf("%w: arrays nested deeper than the nesting limit %d at offset %d", ErrSerializedLimit, maxUnserializeDepth, d.i)
		}
		if err := d.expect('{'); err != nil {
			return Value{}, err
		}
		if n > (len(d.b)-d.i)/minEntrySize {
			return Value{}, d.fail(fmt.Sprintf("array declares %d entries, more than the data can hold", n))
		}
		// Grow as entries arrive, never from n: a declared count is only a
		// claim, and sizing by it let a 1 MB input allocate 137 MiB per level.
		arr := &Array{}
		for k := 0; k < n; k++ {
			key, err := d.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			if key.Kind != KindInt && key.Kind != KindString {
				return Value{}, d.fail("array key must be int or string")
			}
			val, err := d.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			arr.Entries = append(arr.Entries, Entry{Key: key, Val: val})
		}
		if err := d.expect('}'); err != nil {
			return Value{}, err
		}
		return Value{Kind: KindArray, Arr: arr}, nil
	}
	return Value{}, d.fail(fmt.Sprintf("unsupported type %q", t))
}

// Serialize encodes v exactly as PHP's serialize() does.
func Serialize(v Value) []byte {
	var b bytes.Buffer
	writeValue(&b, v)
	return b.Bytes()
}

func writeValue(b *bytes.Buffer, v Value) {
	switch v.Kind {
	case KindNull:
		b.WriteString("N;")
	case KindBool:
		if v.Bool {
			b.WriteString("b:1;")
		} else {
			b.WriteString("b:0;")
		}
	case KindInt:
		b.WriteString("i:")
		b.WriteString(strconv.FormatInt(v.Int, 10))
		b.WriteByte(';')
	case KindFloat:
		b.WriteString("d:")
		b.WriteString(v.Float)
		b.WriteByte(';')
	case KindString:
		b.WriteString("s:")
		b.WriteString(strconv.Itoa(len(v.Str)))
		b.WriteString(":\"")
		b.Write(v.Str)
		b.WriteString("\";")
	case KindArray:
		n := 0
		if v.Arr != nil {
			n = len(v.Arr.Entries)
		}
		b.WriteString("a:")
		b.WriteString(strconv.Itoa(n))
		b.WriteString(":{")
		if v.Arr != nil {
			for _, e := range v.Arr.Entries {
				writeValue(b, e.Key)
				writeValue(b, e.Val)
			}
		}
		b.WriteByte('}')
	}
}
