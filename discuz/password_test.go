package discuz

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Hashes made by PHP 8.2: password_hash($pw, PASSWORD_BCRYPT) and
// md5(md5($pw).$salt).
const (
	phpBcryptSecret  = "$2y$10$NfLmUapYjqmGKB85LkjkB.WGyoTDuzxFbdR7gbRkaZwiDkc8ZnuCG"
	phpBcryptChinese = "$2y$10$leUqFTK7YnuVCFfsi6xmJeQJeM7RfuON7gn1vsDSJcsKaMBw4k5xG" // 中文密码
	phpBcrypt72a     = "$2y$10$PV.zgiQnnX.EC37DkciHHOqMYKA1U5lKSbaac/1Gihu0RppVN8Uf2" // 72 x "a"
	phpMD5Secret     = "dea503a179ee246f357cc96ab38e57d8"                             // salt a1b2c3
	phpMD5Chinese    = "29ffc75439abf7f60f7b1b06293b13d1"                             // 中文密码, salt 9f8e7d
)

func TestVerifyUCPassword(t *testing.T) {
	a72 := strings.Repeat("a", 72)
	tests := []struct {
		name, hash, salt, plain string
		want                    bool
	}{
		{"php bcrypt", phpBcryptSecret, "", "secret", true},
		{"php bcrypt wrong", phpBcryptSecret, "", "Secret", false},
		{"php bcrypt utf-8", phpBcryptChinese, "", "中文密码", true},
		{"php bcrypt 72 bytes", phpBcrypt72a, "", a72, true},
		{"php bcrypt ignores bytes after 72, like password_verify", phpBcrypt72a, "", a72 + "extra", true},
		{"php bcrypt 71 bytes", phpBcrypt72a, "", a72[:71], false},
		{"bcrypt hash with a salt is legacy md5", phpBcryptSecret, "a1b2c3", "secret", false},
		{"php md5+salt", phpMD5Secret, "a1b2c3", "secret", true},
		{"php md5+salt wrong salt", phpMD5Secret, "a1b2c4", "secret", false},
		{"php md5+salt wrong password", phpMD5Secret, "a1b2c3", "secreT", false},
		{"php md5+salt utf-8", phpMD5Chinese, "9f8e7d", "中文密码", true},
		{"md5 with empty salt is not bcrypt", phpMD5Secret, "", "secret", false},
		{"plug-in salt (7-19 chars) unsupported", phpMD5Secret, "plugin1", "secret", false},
		{"short salt", phpMD5Secret, "a1b2c", "secret", false},
		{"argon2 unsupported", "$argon2id$v=19$m=65536,t=4,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "", "secret", false},
		{"empty hash", "", "", "", false},
		{"garbage bcrypt", "$2y$10$short", "", "secret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyUCPassword(tt.hash, tt.salt, tt.plain); got != tt.want {
				t.Errorf("VerifyUCPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHashUCPasswordBcrypt(t *testing.T) {
	hash, salt, err := HashUCPassword("中文 secret", true, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if salt != "" || !strings.HasPrefix(hash, "$2y$10$") || len(hash) != 60 {
		t.Fatalf("hash %q salt %q: want a 60-char $2y$10$ hash and no salt", hash, salt)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != 10 {
		t.Errorf("cost = %d, %v", cost, err)
	}
	if !VerifyUCPassword(hash, salt, "中文 secret") || VerifyUCPassword(hash, salt, "中文 Secret") {
		t.Error("own bcrypt hash does not verify correctly")
	}
	if _, _, err := HashUCPassword(strings.Repeat("x", 73), true, rand.Reader); err == nil {
		t.Error("73-byte password accepted in bcrypt mode")
	}
}

func TestHashUCPasswordMD5(t *testing.T) {
	// Salt bytes 0x0a,0x0b,... map onto "0123456789abcdef" by value mod 16.
	hash, salt, err := HashUCPassword("secret", false, bytes.NewReader([]byte{10, 1, 11, 2, 12, 3, 0, 0, 0, 0, 0, 0, 0, 0}))
	if err != nil {
		t.Fatal(err)
	}
	if salt != "a1b2c3" || hash != phpMD5Secret {
		t.Errorf("HashUCPassword = %q, %q; want PHP's %q with salt a1b2c3", hash, salt, phpMD5Secret)
	}
	hash, salt, err = HashUCPassword("pw", false, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(salt) != 6 || strings.Trim(salt, "0123456789abcdef") != "" || !VerifyUCPassword(hash, salt, "pw") {
		t.Errorf("random salt %q / hash %q do not verify", salt, hash)
	}
	if _, _, err := HashUCPassword("pw", false, bytes.NewReader(nil)); err == nil {
		t.Error("empty random source accepted")
	}
}

func TestNewMemberPassword(t *testing.T) {
	a, err := NewMemberPassword(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewMemberPassword(rand.Reader)
	if len(a) != 32 || strings.Trim(a, "0123456789abcdef") != "" || a == b {
		t.Errorf("NewMemberPassword = %q, %q: want distinct md5 hex", a, b)
	}
	// md5("0123456789") for the bytes 0..9.
	got, err := NewMemberPassword(bytes.NewReader([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0}))
	if err != nil || got != "781e5e245d69b566979b86e28d23f2c7" {
		t.Errorf("NewMemberPassword(fixed) = %q, %v", got, err)
	}
}

func TestMask(t *testing.T) {
	tests := map[string]string{
		"":                                 "",
		"a":                                "****",
		"abcd":                             "****",
		"abcde":                            "ab****de",
		"abcdefghijklmnopqrstuvwxyz":       "ab****yz",
		"中文密钥很长":                           "中文****很长",
		"中文密钥":                             "****",
		"0123456789abcdef0123456789abcdef": "01****ef",
	}
	for in, want := range tests {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
