package discuz

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// ucBcryptCost is PHP password_hash()'s default cost, which UCenter 1.7 uses.
const ucBcryptCost = 10

// bcryptMaxLen: bcrypt only reads the first 72 bytes of a password.
const bcryptMaxLen = 72

// VerifyUCPassword checks plain against a pre_ucenter_members row the way
// UCenter's check_login does:
//   - salt "": password_verify; only bcrypt hashes ($2y$, $2a$, $2b$) are
//     supported, an argon2 hash (UC setting passwordalgo) gives false;
//   - 6-char salt: legacy md5(md5(plain).salt), compared in constant time;
//   - any other salt: false. UCenter 1.7 hands 7-19 char salts to plug-in
//     classes (uc_password_<salt>.class.php) that cannot run here.
func VerifyUCPassword(hash, salt, plain string) bool {
	switch len(salt) {
	case 0:
		if !strings.HasPrefix(hash, "$2") {
			return false
		}
		p := []byte(plain)
		if len(p) > bcryptMaxLen {
			p = p[:bcryptMaxLen] // PHP's crypt() ignores the rest too
		}
		return bcrypt.CompareHashAndPassword([]byte(hash), p) == nil
	case 6:
		want := md5hex(md5hex(plain) + salt)
		return subtle.ConstantTimeCompare([]byte(want), []byte(hash)) == 1
	default:
		return false
	}
}

// HashUCPassword makes the (password, salt) pair UCenter would store for a
// new account. bcryptMode (UCenter 1.7, Discuz X3.5) gives a cost-10 bcrypt
// hash with PHP password_hash's "$2y$" prefix and salt ""; otherwise (UCenter
// 1.6, X3.4) salt is 6 random [0-9a-f] chars and hash md5(md5(plain).salt).
// Passwords over 72 bytes are refused in bcrypt mode rather than silently
// truncated.
func HashUCPassword(plain string, bcryptMode bool, rnd io.Reader) (hash, salt string, err error) {
	if bcryptMode {
		if len(plain) > bcryptMaxLen {
			return "", "", fmt.Errorf("hash uc password: %w", bcrypt.ErrPasswordTooLong)
		}
		// x/crypto/bcrypt reads its salt from crypto/rand; rnd is not used.
		h, err := bcrypt.GenerateFromPassword([]byte(plain), ucBcryptCost)
		if err != nil {
			return "", "", fmt.Errorf("hash uc password: %w", err)
		}
		s := string(h)
		if !strings.HasPrefix(s, "$2a$") {
			return "", "", errors.New("hash uc password: unexpected bcrypt prefix")
		}
		// $2a$ and $2y$ are the same algorithm in x/crypto; PHP writes $2y$.
		return "$2y$" + s[4:], "", nil
	}
	salt, err = randomString(rnd, "0123456789abcdef", 6)
	if err != nil {
		return "", "", fmt.Errorf("hash uc password salt: %w", err)
	}
	return md5hex(md5hex(plain) + salt), salt, nil
}

// NewMemberPassword returns md5(random(10)): what Discuz stores in
// pre_common_member.password. It is not a credential but the session secret
// inside the auth cookie; replacing it logs the member out everywhere.
func NewMemberPassword(rnd io.Reader) (string, error) {
	s, err := randomString(rnd, alnum, 10)
	if err != nil {
		return "", fmt.Errorf("new member password: %w", err)
	}
	return md5hex(s), nil
}

// Mask hides a secret for logs and pages: "ab****yz". Secrets of 4 runes
// or fewer become "****" so that nothing of them shows; "" stays "".
func Mask(secret string) string {
	if secret == "" {
		return ""
	}
	n := utf8.RuneCountInString(secret)
	if n <= 4 {
		return "****"
	}
	r := []rune(secret)
	return string(r[:2]) + "****" + string(r[n-2:])
}
