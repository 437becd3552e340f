package models

import (
	"context"
	"regexp"
	"strconv"
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

// Login fields of Discuz's login form (userlogin's loginfield).
const (
	LoginByUsername  = "username"
	LoginByUID       = "uid"
	LoginByEmail     = "email"
	LoginBySecmobile = "secmobile"
	LoginAuto        = "auto" // autoidselect: the uid, email or phone number typed, else a username
)

var (
	discuzEmail  = regexp.MustCompile(`^([A-Za-z0-9\-_.+]+)@([A-Za-z0-9\-]+[.][A-Za-z0-9\-.]+)$`) // Discuz's isemail
	discuzMobile = regexp.MustCompile(`^(\d{1,12}|\d{1,3}-\d{1,12})$`)
)

// LoginAccount returns the UCenter account that typed names on a password
// form, found as Discuz's userlogin and UCenter's login find it: by uid
// (only when the site allows uidlogin), email, phone number (X3.5, only
// with secmobilelogin; "cc-number", or the number in smsdefaultcc), or
// username (field "username", and what every other field falls back to as
// Discuz does). nil when there is none, or the text cannot be a username
// (see LoginName).
func (s *Store) LoginAccount(ctx context.Context, typed, field string) (*UCMember, error) {
	typed = strings.TrimSpace(typed)
	if field != LoginByUsername && field != "" {
		set, err := s.Settings(ctx, "uidlogin", "secmobilelogin", "smsdefaultcc")
		if err != nil {
			return nil, err
		}
		uidOK, mobileOK := set["uidlogin"] == "1", set["secmobilelogin"] == "1" && s.UCenterBcrypt()
		byUID := func() (*UCMember, error) {
			if !discuzDigits(typed) {
				return nil, nil
			}
			uid, _ := strconv.ParseInt(typed, 10, 64)
			return Maybe(s.UCMemberByUID(ctx, uid))
		}
		byEmail := func() (*UCMember, error) {
			if len(typed) <= 6 || len(typed) > 255 || !discuzEmail.MatchString(typed) {
				return nil, nil
			}
			var m UCMember
			return Maybe(&m, first(s.ucenter(ctx, "members").Where("email = ?", typed).Order("uid"), &m, "ucenter member by email"))
		}
		byMobile := func() (*UCMember, error) {
			if !discuzMobile.MatchString(typed) {
				return nil, nil
			}
			cc, number, ok := strings.Cut(typed, "-")
			if !ok {
				cc, number = set["smsdefaultcc"], typed
			}
			var m UCMember
			return Maybe(&m, first(s.ucenter(ctx, "members").Where("secmobicc = ? AND secmobile = ?", cc, number).Order("uid"), &m, "ucenter member by phone"))
		}
		switch {
		case field == LoginByUID && uidOK:
			return byUID()
		case field == LoginByEmail:
			return byEmail()
		case field == LoginBySecmobile && mobileOK:
			return byMobile()
		case field == LoginAuto:
			// userlogin's isuid 3: the first kind the text looks like, then the username.
			var m *UCMember
			var err error
			switch {
			case uidOK && discuzDigits(typed):
				m, err = byUID()
			case discuzEmail.MatchString(typed):
				m, err = byEmail()
			case mobileOK && discuzMobile.MatchString(typed):
				m, err = byMobile()
			}
			if err != nil || m != nil {
				return m, err
			}
		}
	}
	name, ok := s.LoginName(typed)
	if !ok {
		return nil, nil
	}
	return Maybe(s.UCMemberByUsername(ctx, name))
}

// discuzDigits is PHP's !strcmp(dintval($s), $s): a positive integer as
// it prints, no sign, no leading zero.
func discuzDigits(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == s
}
