package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// sessionCodec seals qqconnect's session cookie with AES-256-GCM over a
// plain list of string pairs. It replaces gorilla's gob + AES-CTR + HMAC
// encoding, whose gob decoding alone cost a tenth of a QQ callback's CPU
// (README "Performance"); the session only ever holds strings. The cookie
// name is authenticated with it, so a value cannot move to another cookie.
type sessionCodec struct {
	aead   cipher.AEAD
	maxAge time.Duration
	now    func() time.Time
}

const sessionCodecVersion = 1

var errSessionCookie = errors.New("session cookie: not ours, tampered or expired")

func newSessionCodec(key []byte, maxAge time.Duration) (*sessionCodec, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("session cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("session cipher: %w", err)
	}
	return &sessionCodec{aead: aead, maxAge: maxAge, now: time.Now}, nil
}

// Encode implements securecookie.Codec for session.Values.
func (c *sessionCodec) Encode(name string, value any) (string, error) {
	values, ok := value.(map[any]any)
	if !ok {
		return "", fmt.Errorf("session cookie: cannot encode %T", value)
	}
	plain := make([]byte, 0, 64)
	plain = append(plain, sessionCodecVersion)
	plain = binary.BigEndian.AppendUint64(plain, uint64(c.now().Unix()))
	for k, v := range values {
		ks, ok1 := k.(string)
		vs, ok2 := v.(string)
		if !ok1 || !ok2 {
			return "", fmt.Errorf("session cookie: only strings, not %T = %T", k, v)
		}
		plain = binary.AppendUvarint(plain, uint64(len(ks)))
		plain = append(plain, ks...)
		plain = binary.AppendUvarint(plain, uint64(len(vs)))
		plain = append(plain, vs...)
	}
	n := c.aead.NonceSize()
	out := make([]byte, n, n+len(plain)+c.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return "", fmt.Errorf("session nonce: %w", err)
	}
	out = c.aead.Seal(out, out[:n], plain, []byte(name))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// Decode implements securecookie.Codec; dst is *session.Values.
func (c *sessionCodec) Decode(name, value string, dst any) error {
	m, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session cookie: cannot decode into %T", dst)
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	n := c.aead.NonceSize()
	if err != nil || len(raw) < n+c.aead.Overhead() {
		return errSessionCookie
	}
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], []byte(name))
	if err != nil || len(plain) < 9 || plain[0] != sessionCodecVersion {
		return errSessionCookie
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(plain[1:9])), 0)
	if age := c.now().Sub(issued); age > c.maxAge || age < -time.Minute {
		return errSessionCookie
	}
	out := make(map[any]any, 4)
	rest := plain[9:]
	for len(rest) > 0 {
		var pair [2]string
		for i := range pair {
			l, k := binary.Uvarint(rest)
			if k <= 0 || l > uint64(len(rest)-k) {
				return errSessionCookie
			}
			pair[i], rest = string(rest[k:k+int(l)]), rest[k+int(l):]
		}
		out[pair[0]] = pair[1]
	}
	*m = out
	return nil
}
