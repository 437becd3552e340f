package discuz

// The values the PHP config reader evaluates to, with PHP's conversions
// (string, truthiness, array keys).

import (
	"math"
	"strconv"
	"strings"
)

type valKind int

const (
	valNull valKind = iota
	valBool
	valInt
	valFloat
	valString
	valArray
	valUnsupported // an expression this reader does not evaluate
)

type phpValue struct {
	kind valKind
	b    bool
	i    int64
	f    float64
	s    string
	arr  *phpArray
	line int
}

// phpArray is an ordered PHP array. Keys are stored as strings; an int key
// and its canonical decimal string ("1") are the same key, as in PHP.
type phpArray struct {
	keys []string
	vals map[string]*phpValue
	next int64
}

func newPHPArray() *phpArray { return &phpArray{vals: map[string]*phpValue{}} }

func (a *phpArray) get(k string) *phpValue { return a.vals[k] }

func (a *phpArray) set(k string, v *phpValue) {
	if _, ok := a.vals[k]; !ok {
		a.keys = append(a.keys, k)
	}
	a.vals[k] = v
	if n, ok := canonicalInt(k); ok && n >= a.next && n < math.MaxInt64 {
		a.next = n + 1
	}
}

func (a *phpArray) appendValue(v *phpValue) {
	a.set(strconv.FormatInt(a.next, 10), v)
}

// canonicalInt reports whether k is a string PHP would turn into an int key.
func canonicalInt(k string) (int64, bool) {
	n, err := strconv.ParseInt(k, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != k {
		return 0, false
	}
	return n, true
}

// phpString is PHP's string conversion of a scalar; ok is false for
// arrays and unsupported values.
func (v *phpValue) phpString() (string, bool) {
	switch v.kind {
	case valNull:
		return "", true
	case valBool:
		if v.b {
			return "1", true
		}
		return "", true
	case valInt:
		return strconv.FormatInt(v.i, 10), true
	case valFloat:
		return phpFloatString(v.f), true
	case valString:
		return v.s, true
	}
	return "", false
}

// phpFloatString is PHP's (string) of a float with precision=14:
// 1.5, 100, 0.3, 1.0E+20, 1.234E-5, INF, NAN.
func phpFloatString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NAN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	}
	s := strconv.FormatFloat(f, 'G', 14, 64)
	mant, exp, ok := strings.Cut(s, "E")
	if !ok {
		return s
	}
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	sign := exp[:1]
	exp = strings.TrimLeft(exp[1:], "0")
	return mant + "E" + sign + exp
}

// truthy is PHP's boolean conversion (unsupported values are false).
func (v *phpValue) truthy() bool {
	switch v.kind {
	case valBool:
		return v.b
	case valInt:
		return v.i != 0
	case valFloat:
		return v.f != 0
	case valString:
		return v.s != "" && v.s != "0"
	case valArray:
		return len(v.arr.keys) > 0
	}
	return false
}

// arrayKey converts a scalar to a PHP array key.
func (v *phpValue) arrayKey() (string, bool) {
	switch v.kind {
	case valNull:
		return "", true
	case valBool:
		if v.b {
			return "1", true
		}
		return "0", true
	case valInt:
		return strconv.FormatInt(v.i, 10), true
	case valFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) || math.Abs(v.f) >= 9.2e18 {
			return "", false
		}
		return strconv.FormatInt(int64(v.f), 10), true
	case valString:
		return v.s, true
	}
	return "", false
}
