package repair

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// undo_data is "v1." + base64(nonce || AES-256-GCM(JSON snapshot)), keyed
// with HMAC-SHA256(authkey, "qqconnect audit v1") and bound to the action
// name (additional data), so the secret values inside (the previous AppKey)
// are readable only with the site's authkey.

const (
	sealLabel  = "qqconnect audit v1"
	sealPrefix = "v1."
)

func sealAEAD(authkey string) (cipher.AEAD, error) {
	if authkey == "" {
		return nil, errors.New("no authkey: the undo data of the audit log cannot be encrypted")
	}
	m := hmac.New(sha256.New, []byte(authkey))
	m.Write([]byte(sealLabel))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func seal(authkey, action string, plain []byte) (string, error) {
	aead, err := sealAEAD(authkey)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, plain, []byte(sealLabel+"|"+action))
	return sealPrefix + base64.StdEncoding.EncodeToString(out), nil
}

func unseal(authkey, action, sealed string) ([]byte, error) {
	aead, err := sealAEAD(authkey)
	if err != nil {
		return nil, err
	}
	raw, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return nil, errors.New("unknown undo data format")
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(b) < aead.NonceSize() {
		return nil, errors.New("undo data is not valid base64")
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(sealLabel+"|"+action))
	if err != nil {
		return nil, errors.New("undo data cannot be decrypted (was the authkey changed?)")
	}
	return plain, nil
}
