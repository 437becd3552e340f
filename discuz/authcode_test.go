package discuz

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// phpAuthcodeVectors were produced once with PHP 8.2 running Discuz's
// authcode() verbatim, except that keyc was fixed instead of
// substr(md5(microtime()), -4) and the expiry passed as an absolute time.
// decoded is what that PHP function returned when decoding enc at
// 1700000000 ("" = rejected).
var phpAuthcodeVectors = []struct {
	name, plain, key string
	expires          int64
	keyc, enc        string
	decoded          string
}{
	{"ascii", "hello", "secret", 0, "abcd", "abcdsgjmhGVOsPZaxhNY0NymV3izhr2goJ96jRtrNwZ3rw", "hello"},
	{"empty plaintext", "", "secret", 0, "0000", "0000qP5MND5SRTHjpHDWc/zrOrQd74yuBu/rWuI", ""},
	{"utf-8 text and key", "\xe4\xb8\xad\xe6\x96\x87\xe6\x98\x8e\xe6\x96\x87 with tabs\x09and \"quotes\"", "key-\xe4\xb8\xad\xe6\x96\x87", 0, "ffff", "ffffHJC7bvyFXNMvt4vH97wMTLfffe3EoA8tXT3nQwYJ1Am0ggbZl0l+q8m6mvEkvjKEv+y9gXxYJeaeZK2Shg", "\xe4\xb8\xad\xe6\x96\x87\xe6\x98\x8e\xe6\x96\x87 with tabs\x09and \"quotes\""},
	{"binary", "\x00\x01\xfe\xff binary", "k", 0, "1a2b", "1a2bRptXb/a/YgTEXny+MxQ6515VbGIHjV2yBdejfS9T7P6zlyKCiQ", "\x00\x01\xfe\xff binary"},
	{"longer than the 256-byte box", strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 9), "long", 0, "9e3f", "9e3fhX1giGhK4NgQdCX+EExEwZhkE/gvhEUSxCU09hZyEG1Fv/kD/I2tF9+oHeHVxfPsKqMAkpcUr67tAqDkrx1WElvwqMFJfcSGQ40qkI7qqJp6nyQ4iZu69Orr4VbrMdywYsXqI35hslKPQlqt0sdpQ4a/gMlb5UaDDfYvrFqUqZXwMca0dToePgfLMPLyngimjn4gpJL4CoJcDW00fmfMY16jFEWh/Ez6k6UX9/tl1W1dDJSW7wnrBEaP+u2NVTdvF6+yU86WqI8RSCt/THmPxaj0FTobU4HxSnmgzYelA7lKKfwxua5UI4yzct/6JP6rYdu4PBzMHXKz00TMRV89BhFqe4DVjsXKZAvbicQGYR57CXOXXyt64SnQXTxkCalElsmUGpSmSo5spUD+z+Fc3mSrotfHBh1vyblf5TSUX3nTQ3oCvLPpADDfRITVMfRQ9j+qNzTipuZftU/alRE", strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 9)},
	{"future expiry", "future", "secret", 4102444800, "beef", "beefhC2xLcj6WMST6pP0/sFwqmUCf1qZ7FFjTpD5Q5c+GT0", "future"},
	{"past expiry", "past", "secret", 1000000000, "c0de", "c0de4mNrLlVv/Nz/wj09wK5Ca53ejqZbuuPWCbef5OP3", ""},
	{"auth cookie payload", "5f4dcc3b5aa765d61d8327deb882cf99\x091", "71614f0f32dd4ebee191b550cccb4314", 0, "7a7a", "7a7avDwOw1I6c9yZMt/XLPj3xbGz7fZPpW3sYKEMNQIBA4Px/54c0lQ+MBr50uKOARIGRkvCNrgyScNUjGDi", "5f4dcc3b5aa765d61d8327deb882cf99\x091"},
	{"key \"0\" is a key", "0", "0", 0, "0a0b", "0a0b0bE7tkk+h5arS5MJZ1m8/WnWTz5gWkB68Xba", "0"},
}

// goAuthcodeVectors were encoded by AuthcodeEncode with a random keyc and
// then decoded by the PHP authcode() (at 1700000000) to phpDecoded.
var goAuthcodeVectors = []struct {
	plain, key, enc, phpDecoded string
}{
	{"hello from go", "secret", "3a2bfoSgZ7t5CpQGJtVaU07muATFUNb0WY5M9pkjAMfaM1dXL3XKcHzl", "hello from go"},
	{"\xe4\xb8\xad\xe6\x96\x87\x0942", "71614f0f32dd4ebee191b550cccb4314", "62762qVlnBZ6Kh65cY7zJ3K4hEAs+VZvKU+itKcnuAOAXNbc0YA", "\xe4\xb8\xad\xe6\x96\x87\x0942"},
	{"a+b/c=d", "\xe4\xb8\xad", "92a508kktZvP0PE7ghYID8SkdBgkPKnAfLrMu31dzW/S3epn", "a+b/c=d"},
}

var testNow = time.Unix(1700000000, 0)

func keycReader(t testing.TB, keyc string) *bytes.Reader {
	t.Helper()
	b, err := hex.DecodeString(keyc)
	if err != nil {
		t.Fatalf("bad keyc %q: %v", keyc, err)
	}
	return bytes.NewReader(b)
}

func TestAuthcodeEncodeMatchesPHP(t *testing.T) {
	for _, v := range phpAuthcodeVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := AuthcodeEncode(v.plain, v.key, v.expires, keycReader(t, v.keyc))
			if err != nil {
				t.Fatal(err)
			}
			if got != v.enc {
				t.Errorf("AuthcodeEncode = %q, PHP gave %q", got, v.enc)
			}
		})
	}
}

func TestAuthcodeDecodePHPOutput(t *testing.T) {
	for _, v := range phpAuthcodeVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := AuthcodeDecode(v.enc, v.key, testNow)
			if v.decoded == "" && v.plain != "" {
				if !errors.Is(err, ErrAuthcodeExpired) {
					t.Fatalf("AuthcodeDecode err = %v, want ErrAuthcodeExpired (PHP rejected it)", err)
				}
				return
			}
			if err != nil || got != v.decoded {
				t.Errorf("AuthcodeDecode = %q, %v; PHP gave %q", got, err, v.decoded)
			}
		})
	}
}

func TestAuthcodeGoOutputDecodedByPHP(t *testing.T) {
	if len(goAuthcodeVectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range goAuthcodeVectors {
		got, err := AuthcodeDecode(v.enc, v.key, testNow)
		if err != nil || got != v.phpDecoded || got != v.plain {
			t.Errorf("AuthcodeDecode(%q) = %q, %v; PHP decoded it to %q", v.enc, got, err, v.phpDecoded)
		}
	}
}

// TestAuthcodeDecodeLenientLikePHP: inputs that PHP's non-strict
// base64_decode still accepts (or rejects), checked against PHP 8.2.
func TestAuthcodeDecodeLenientLikePHP(t *testing.T) {
	const enc = "abcdsgjmhGVOsPZaxhNY0NymV3izhr2goJ96jRtrNwZ3rw"
	tests := []struct {
		name, in string
		want     string // "" = PHP rejected it
	}{
		{"with padding", enc + "==", "hello"},
		{"junk and newline inside", "abcdsgjmhG !*\nVOsPZaxhNY0NymV3izhr2goJ96jRtrNwZ3rw", "hello"},
		{"'=' in the middle", "abcdsgjmhGVOsPZaxhNY=0NymV3izhr2goJ96jRtrNwZ3rw", "hello"},
		{"extra char", enc + "x", ""},
		{"one char short", enc[:len(enc)-1], ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AuthcodeDecode(tt.in, "secret", testNow)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("AuthcodeDecode = %q, nil; PHP rejected it", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("AuthcodeDecode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestAuthcodeExpiry(t *testing.T) {
	future := "beefhC2xLcj6WMST6pP0/sFwqmUCf1qZ7FFjTpD5Q5c+GT0" // expires 4102444800
	past := "c0de4mNrLlVv/Nz/wj09wK5Ca53ejqZbuuPWCbef5OP3"      // expires 1000000000
	tests := []struct {
		name, enc string
		now       int64
		wantErr   error
	}{
		{"future, one second before", future, 4102444799, nil},
		{"future, at expiry (PHP needs expiry > now)", future, 4102444800, ErrAuthcodeExpired},
		{"past, before its expiry", past, 999999999, nil},
		{"past, now", past, 1700000000, ErrAuthcodeExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AuthcodeDecode(tt.enc, "secret", time.Unix(tt.now, 0))
			if !errors.Is(err, tt.wantErr) && !(err == nil && tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}

	// Round trip through our own encoder with a relative expiry.
	enc, err := AuthcodeEncode("x", "k", testNow.Unix()+60, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AuthcodeDecode(enc, "k", testNow.Add(59*time.Second)); err != nil {
		t.Errorf("before expiry: %v", err)
	}
	if _, err := AuthcodeDecode(enc, "k", testNow.Add(60*time.Second)); !errors.Is(err, ErrAuthcodeExpired) {
		t.Errorf("at expiry: err = %v, want ErrAuthcodeExpired", err)
	}
}

func TestAuthcodeTamperRejected(t *testing.T) {
	const enc = "7a7avDwOw1I6c9yZMt/XLPj3xbGz7fZPpW3sYKEMNQIBA4Px/54c0lQ+MBr50uKOARIGRkvCNrgyScNUjGDi"
	const key = "71614f0f32dd4ebee191b550cccb4314"
	if _, err := AuthcodeDecode(enc, key, testNow); err != nil {
		t.Fatalf("untouched value: %v", err)
	}
	// Change every base64 character after the 10-digit expiry in turn
	// (chars 4..17 encode the expiry, which Discuz's checksum does not cover).
	for i := 4 + 14; i < len(enc); i++ {
		b := []byte(enc)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if _, err := AuthcodeDecode(string(b), key, testNow); !errors.Is(err, ErrAuthcodeChecksum) && !errors.Is(err, ErrAuthcodeMalformed) {
			t.Errorf("char %d changed: err = %v, want a checksum error", i, err)
		}
	}
	for _, tc := range []struct{ name, enc, key string }{
		{"other keyc", "7a7b" + enc[4:], key},
		{"wrong key", enc, key + "x"},
		{"truncated", enc[:30], key},
	} {
		if got, err := AuthcodeDecode(tc.enc, tc.key, testNow); err == nil {
			t.Errorf("%s: decoded to %q, want an error", tc.name, got)
		}
	}
}

func TestAuthcodeMalformedAndBadArgs(t *testing.T) {
	for _, in := range []string{"", "abc", "abcd", "abcdAAAA", "abcd!!!!"} {
		if _, err := AuthcodeDecode(in, "k", testNow); !errors.Is(err, ErrAuthcodeMalformed) {
			t.Errorf("AuthcodeDecode(%q) err = %v, want ErrAuthcodeMalformed", in, err)
		}
	}
	if _, err := AuthcodeDecode("abcdsgjmhGVOsPZaxhNY0NymV3izhr2goJ96jRtrNwZ3rw", "", testNow); !errors.Is(err, ErrAuthcodeEmptyKey) {
		t.Errorf("empty key: err = %v", err)
	}
	if _, err := AuthcodeEncode("x", "", 0, rand.Reader); !errors.Is(err, ErrAuthcodeEmptyKey) {
		t.Errorf("encode empty key: err = %v", err)
	}
	for _, exp := range []int64{-1, 10000000000} {
		if _, err := AuthcodeEncode("x", "k", exp, rand.Reader); err == nil {
			t.Errorf("expiry %d accepted", exp)
		}
	}
	if _, err := AuthcodeEncode("x", "k", 0, bytes.NewReader([]byte{1})); err == nil {
		t.Error("short random source accepted")
	}
}

func TestPHPIntval(t *testing.T) {
	// Expected values from PHP 8.2's (int) cast.
	tests := map[string]int64{
		"0000000000": 0, "1700000000": 1700000000, "1e3": 1000, " 12": 12, "+5": 5, "-3": -3,
		"1.9": 1, "  .5e1": 5, "abc": 0, "0x1A": 0, "5.": 5, "-.e3": 0, "1e": 1, "007": 7, "\v9": 9,
		"-000000005": -5, "": 0,
	}
	for in, want := range tests {
		if got := phpIntval(in); got != want {
			t.Errorf("phpIntval(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzAuthcode(f *testing.F) {
	f.Add("hello", "secret", int64(0), "abcdsgjmhGVOsPZaxhNY0NymV3izhr2goJ96jRtrNwZ3rw")
	f.Add("", "k", int64(4102444800), "")
	f.Add("\x00\xff\t1", "\xe4\xb8\xad", int64(1), "abcd==")
	f.Fuzz(func(t *testing.T, plain, key string, expires int64, junk string) {
		// Decoding arbitrary input must never panic.
		_, _ = AuthcodeDecode(junk, key, testNow)
		_, _ = AuthcodeDecode(junk, "k", testNow)
		if key == "" {
			return
		}
		if expires < 0 {
			expires = -expires
		}
		expires %= maxAuthcodeExpiry
		enc, err := AuthcodeEncode(plain, key, expires, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AuthcodeDecode(enc, key, time.Unix(0, 0))
		if err != nil || got != plain {
			t.Fatalf("round trip: got %q, %v; want %q", got, err, plain)
		}
		if expires != 0 {
			if _, err := AuthcodeDecode(enc, key, time.Unix(expires, 0)); !errors.Is(err, ErrAuthcodeExpired) {
				t.Fatalf("at expiry: err = %v", err)
			}
		}
	})
}
