// Package discuz holds what qqconnect knows about Discuz! X and UCenter: the
// authcode cipher, login cookies, UCenter passwords, the config file readers,
// the version file and the username rules. It has no HTTP and no database, so
// every rule here can be read, tested and fuzzed on its own.
package discuz

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Errors returned by AuthcodeDecode. Discuz's PHP returns an empty string for all of them;
// Go callers get to tell a broken value from a forged or an old one.
var (
	// ErrAuthcodeMalformed: too short to hold the key prefix and the header.
	ErrAuthcodeMalformed = errors.New("authcode: malformed value")
	// ErrAuthcodeChecksum: wrong key, or the value was altered.
	ErrAuthcodeChecksum = errors.New("authcode: checksum mismatch")
	// ErrAuthcodeExpired: the embedded expiry is not in the future.
	ErrAuthcodeExpired = errors.New("authcode: expired")
	// ErrAuthcodeEmptyKey: PHP would silently fall back to the global
	// authkey here; in Go an empty key is always a caller bug.
	ErrAuthcodeEmptyKey = errors.New("authcode: empty key")
)

const (
	authcodeKeycLen   = 4  // $ckey_length
	authcodeHeaderLen = 26 // 10-digit expiry + 16 hex checksum
	// maxAuthcodeExpiry is the largest expiry that still fits the 10-digit
	// field; sprintf('%010d') would widen it and shift the checksum.
	maxAuthcodeExpiry = 9999999999
)

// md5hex is PHP's md5(): lowercase hex.
func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// authcodeKeys derives keyb and the RC4 key exactly like the PHP:
// key = md5(key); keya = md5(key[0:16]); keyb = md5(key[16:32]);
// cryptkey = keya . md5(keya . keyc).
func authcodeKeys(key, keyc string) (keyb, cryptkey string) {
	k := md5hex(key)
	keya := md5hex(k[:16])
	keyb = md5hex(k[16:])
	return keyb, keya + md5hex(keya+keyc)
}

// authcodeCrypt is Discuz's RC4 variant (the key schedule runs over the
// 64-char cryptkey, no discarded keystream). It is its own inverse.
func authcodeCrypt(data []byte, cryptkey string) []byte {
	var box [256]byte
	for i := range box {
		box[i] = byte(i)
	}
	j := 0
	for i := 0; i < 256; i++ {
		j = (j + int(box[i]) + int(cryptkey[i%len(cryptkey)])) % 256
		box[i], box[j] = box[j], box[i]
	}
	out := make([]byte, len(data))
	a, j := 0, 0
	for i := range data {
		a = (a + 1) % 256
		j = (j + int(box[a])) % 256
		box[a], box[j] = box[j], box[a]
		out[i] = data[i] ^ box[(int(box[a])+int(box[j]))%256]
	}
	return out
}

// AuthcodeEncode is Discuz's authcode($plaintext, 'ENCODE', $key) with an
// absolute expiry (Unix seconds, 0 = never; PHP takes a relative one). The
// 4-character prefix keyc, which PHP takes from md5(microtime()), is drawn
// from rnd as 4 lowercase hex digits so tests can fix it.
func AuthcodeEncode(plaintext, key string, expiresAt int64, rnd io.Reader) (string, error) {
	if key == "" {
		return "", ErrAuthcodeEmptyKey
	}
	if expiresAt < 0 || expiresAt > maxAuthcodeExpiry {
		return "", fmt.Errorf("authcode encode: expiry %d does not fit 10 digits", expiresAt)
	}
	var r [authcodeKeycLen / 2]byte
	if _, err := io.ReadFull(rnd, r[:]); err != nil {
		return "", fmt.Errorf("authcode encode: read random keyc: %w", err)
	}
	keyc := hex.EncodeToString(r[:])
	keyb, cryptkey := authcodeKeys(key, keyc)
	data := fmt.Sprintf("%010d", expiresAt) + md5hex(plaintext + keyb)[:16] + plaintext
	enc := base64.RawStdEncoding.EncodeToString(authcodeCrypt([]byte(data), cryptkey))
	return keyc + enc, nil
}

// AuthcodeDecode is authcode($s, 'DECODE', $key) judged at now. It accepts
// what PHP accepts: base64 with or without '=' padding, and (like PHP's
// non-strict base64_decode) it skips characters outside the alphabet.
//
// Integrity is checked before the expiry, so a forged value reports
// ErrAuthcodeChecksum. Note that Discuz's checksum covers the plaintext but
// not the expiry digits, so the expiry is only as strong as the stream cipher.
func AuthcodeDecode(s, key string, now time.Time) (string, error) {
	if key == "" {
		return "", ErrAuthcodeEmptyKey
	}
	if len(s) <= authcodeKeycLen {
		return "", ErrAuthcodeMalformed
	}
	keyc := s[:authcodeKeycLen]
	keyb, cryptkey := authcodeKeys(key, keyc)
	res := authcodeCrypt(phpBase64Decode(s[authcodeKeycLen:]), cryptkey)
	if len(res) < authcodeHeaderLen {
		return "", ErrAuthcodeMalformed
	}
	plain := string(res[authcodeHeaderLen:])
	if string(res[10:authcodeHeaderLen]) != md5hex(plain + keyb)[:16] {
		return "", ErrAuthcodeChecksum
	}
	if exp := phpIntval(string(res[:10])); exp != 0 && exp-now.Unix() <= 0 {
		return "", ErrAuthcodeExpired
	}
	return plain, nil
}

// phpBase64Decode is PHP's non-strict base64_decode: '=' anywhere and
// characters outside the alphabet are skipped, padding is optional, and a
// trailing partial byte is dropped. It never fails.
func phpBase64Decode(s string) []byte {
	out := make([]byte, 0, len(s)*3/4+1)
	var acc uint32
	n := 0
	for i := 0; i < len(s); i++ {
		v := base64Value(s[i])
		if v < 0 {
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out
}

func base64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// phpIntval mimics PHP 8's (int) cast of the 10-character expiry field:
// leading whitespace, an optional sign, digits, and a numeric-string
// fraction or exponent ("1e3" is 1000). Anything non-numeric is 0.
func phpIntval(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	i = skipDigits(s, i)
	mantissa := i > start
	if i < len(s) && s[i] == '.' {
		if j := skipDigits(s, i+1); j > i+1 || mantissa {
			i, mantissa = j, true
		}
	}
	if !mantissa {
		return 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if k := skipDigits(s, j); k > j {
			i = k
		}
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || f >= 9.2e18 || f <= -9.2e18 {
		return 0
	}
	return int64(f)
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
