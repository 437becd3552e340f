package models

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ucUsernameMax is UCenter's username char(15), for databases whose column
// length is unknown (sqlite).
const ucUsernameMax = 15

// LoginName is a username as typed on a password form, trimmed. It reports
// false for text that cannot be any member's name: invalid UTF-8, control
// characters, more characters than the column holds, or characters its
// charset lacks. Such text is never looked up: under utf8mb4_unicode_ci a
// name padded with ignorable characters would still find the account, and a
// 4-byte character against a 3-byte utf8 column is an "Illegal mix of
// collations" error instead of "no such user".
func (s *Store) LoginName(typed string) (string, bool) {
	name := strings.TrimSpace(typed)
	if name == "" || !utf8.ValidString(name) {
		return "", false
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", false
		}
	}
	table := s.T.UCenter("members")
	if _, known := s.Schema.Column(table, "username"); !known && utf8.RuneCountInString(name) > ucUsernameMax {
		return "", false
	}
	if !s.Holds(table, "username", name) {
		return "", false
	}
	return name, true
}

// UCenterBcrypt reports whether UCenter is 1.7 (X3.5: bcrypt, salt ”) rather
// than 1.6 (X3.4: md5 with a 6-character salt), told apart by X3.5's
// secmobile column.
func (s *Store) UCenterBcrypt() bool {
	return s.Schema != nil && s.Schema.Has(s.T.UCenter("members"), "secmobile")
}

// LoginAccount returns the UCenter account a typed username names, or nil
// when there is none (or the text cannot be a username, see LoginName).
func (s *Store) LoginAccount(ctx context.Context, typed string) (*UCMember, error) {
	name, ok := s.LoginName(typed)
	if !ok {
		return nil, nil
	}
	return Maybe(s.UCMemberByUsername(ctx, name))
}
