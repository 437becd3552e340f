package discuz

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Username errors from CheckUsername, matching the messages Discuz shows
// (profile_username_tooshort/toolong, profile_username_illegal, …).
var (
	ErrUsernameLength   = errors.New("username length must be 3 to 15 (a Chinese character counts 2)")
	ErrUsernameChars    = errors.New("username contains a forbidden character")
	ErrUsernameReserved = errors.New("username is reserved")
)

const (
	usernameMinLen = 3
	usernameMaxLen = 15
	// usernameBadChars are the characters UCenter's check_username rejects,
	// plus the backslash that Discuz's own register check rejects.
	usernameBadChars = `%,*"<>&()'\`
)

// usernameReserved are the substrings UCenter reserves for guests (the
// full-width space, 游客, 遊客); a "Guest" prefix is checked separately.
var usernameReserved = []string{"\u3000", "游客", "遊客"}

// StrLen is Discuz's dstrlen() on a UTF-8 site: a byte < 0x80 counts 1 and
// a multi-byte character counts 2, whatever its width. It walks bytes like
// the PHP so that invalid UTF-8 counts the same way.
func StrLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 127 {
			n++
			switch {
			case c >= 192 && c <= 223:
				i++
			case c >= 224 && c <= 239:
				i += 2
			case c >= 240 && c <= 247:
				i += 3
			}
		}
		n++
	}
	return n
}

// CheckUsername applies UCenter's check_username() and Discuz's length
// check to a UTF-8 name. It is a little stricter than UCenter: it also
// rejects invalid UTF-8, Unicode spaces, and control and format (e.g.
// zero-width) characters, which make look-alike names. Uniqueness and the
// censoruser list are separate checks (CensorUser).
func CheckUsername(name string) error {
	if n := StrLen(name); n < usernameMinLen || n > usernameMaxLen {
		return fmt.Errorf("%w: got %d", ErrUsernameLength, n)
	}
	if len(name) >= 5 && strings.EqualFold(name[:5], "guest") {
		return fmt.Errorf("%w: starts with Guest", ErrUsernameReserved)
	}
	for _, w := range usernameReserved {
		if strings.Contains(name, w) {
			return fmt.Errorf("%w: contains %q", ErrUsernameReserved, w)
		}
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: invalid UTF-8", ErrUsernameChars)
	}
	for _, r := range name {
		if !usernameRuneOK(r) {
			return fmt.Errorf("%w: %q", ErrUsernameChars, r)
		}
	}
	return nil
}

func usernameRuneOK(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) &&
		!strings.ContainsRune(usernameBadChars, r) && r != utf8.RuneError
}

// CensorUser reports whether name is banned by Discuz's censoruser setting:
// one word per line, '*' matching any run of characters, spaces ignored, the
// whole name compared case-insensitively (register_ctl builds the regexp
// /^(w1|w2)$/i the same way).
func CensorUser(patterns, name string) bool {
	name = strings.ToLower(name)
	for _, line := range strings.Split(patterns, "\n") {
		p := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(line), " ", ""))
		if p == "" {
			continue
		}
		if wildcardMatch(p, name) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against p where '*' is any run of runes.
func wildcardMatch(p, s string) bool {
	parts := strings.Split(p, "*")
	if len(parts) == 1 {
		return p == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// SuggestUsername turns a QQ nickname into a prefill for the register form,
// like Discuz's connect_filter_username (spaces to '_', cut to 15) but also
// dropping HTML tags, forbidden and reserved parts, and characters outside
// the BMP (emoji do not fit X3.4's utf8 tables). It returns "" when fewer
// than 3 length units are left. The result is UTF-8; it may still need
// ToCharset and always needs CheckUsername, CensorUser and a uniqueness check.
func SuggestUsername(nickname string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(htmlTag.ReplaceAllString(nickname, ""), "") {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case !usernameRuneOK(r) || r > 0xFFFF:
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte('_')
		}
		space = false
		b.WriteRune(r)
	}
	s := b.String()
	// Removing one word can form another ("游游客客"), so repeat until stable.
	for changed := true; changed; {
		changed = false
		for _, w := range usernameReserved {
			if strings.Contains(s, w) {
				s, changed = strings.ReplaceAll(s, w, ""), true
			}
		}
		for len(s) >= 5 && strings.EqualFold(s[:5], "guest") {
			s, changed = strings.TrimLeft(s[5:], "_"), true
		}
	}
	// Cut at StrLen 15 without splitting a character.
	n, end := 0, 0
	for i, r := range s {
		w := 1
		if r >= utf8.RuneSelf {
			w = 2
		}
		if n+w > usernameMaxLen {
			break
		}
		n += w
		end = i + utf8.RuneLen(r)
	}
	s = strings.TrimRight(s[:end], "_")
	if StrLen(s) < usernameMinLen {
		return ""
	}
	return s
}

// ToCharset converts UTF-8 text to a Discuz site charset (CHARSET /
// $_config['output']['charset']): utf-8, gbk or big5. Characters the target
// cannot represent give an error instead of '?'.
func ToCharset(s, charset string) (string, error) {
	enc, err := siteEncoding(charset)
	if err != nil {
		return "", err
	}
	if enc == nil {
		return s, nil
	}
	out, err := enc.NewEncoder().String(s)
	if err != nil {
		return "", fmt.Errorf("convert to %s: %w", charset, err)
	}
	return out, nil
}

// FromCharset is the reverse of ToCharset, for text read from a GBK or
// Big5 forum.
func FromCharset(s, charset string) (string, error) {
	enc, err := siteEncoding(charset)
	if err != nil {
		return "", err
	}
	if enc == nil {
		return s, nil
	}
	out, err := enc.NewDecoder().String(s)
	if err != nil {
		return "", fmt.Errorf("convert from %s: %w", charset, err)
	}
	return out, nil
}

// siteEncoding maps a Discuz charset name to an encoding; nil means UTF-8.
func siteEncoding(charset string) (encoding.Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "utf-8", "utf8", "utf8mb4":
		return nil, nil
	case "gbk":
		return simplifiedchinese.GBK, nil
	case "big5":
		return traditionalchinese.Big5, nil
	}
	return nil, fmt.Errorf("unsupported site charset %q", charset)
}
