package discuz

import (
	"regexp"
	"strconv"
	"strings"
)

// Registration rules of Discuz's register_ctl::on_register and UCenter's
// _check_email, as pure functions over the raw setting strings, so the
// service can apply them to a QQ registration exactly as the forum would.
// Settings are passed as stored (PHP strings): Discuz tests them with PHP
// truthiness and arithmetic, and so do these functions.

// Email length limits of isemail()/check_emailformat(): X3.4 (UCenter 1.6,
// email char(32)) allows 32 bytes, X3.5 (UCenter 1.7) 255.
const (
	EmailMaxLenX34 = 32
	EmailMaxLenX35 = 255
)

// RegFloodWindow is the fixed window of regfloodctrl (registrations per IP
// per 24 hours).
const RegFloodWindow = 86400 // seconds

// regipKeepHours is the minimum age, in hours, of the pre_common_regip rows
// Discuz prunes after a registration (max(regctrl, 72)).
const regipKeepHours = 72

// emailPattern is isemail()'s pattern. Go's $ matches only at the very end,
// where PHP's also matches before one trailing "\n"; Discuz always trims the
// address first, so the results agree on every address Discuz checks.
var emailPattern = regexp.MustCompile(`^([A-Za-z0-9\-_.+]+)@([A-Za-z0-9\-]+[.][A-Za-z0-9\-.]+)$`)

// phpTrimSet is what PHP's trim() removes.
const phpTrimSet = " \t\n\r\x00\x0B"

// PHPTrim is PHP's trim(): it strips only " \t\n\r\0\x0B", unlike
// strings.TrimSpace, which also strips \f and Unicode spaces.
func PHPTrim(s string) string { return strings.Trim(s, phpTrimSet) }

// PHPTruthy is PHP's truthiness of a string: only "" and "0" are false.
func PHPTruthy(s string) bool { return s != "" && s != "0" }

// PHPNumber is the number PHP 7 arithmetic reads from a string: leading
// whitespace, then the longest numeric prefix ("24abc" is 24); 0 if none.
func PHPNumber(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return 0
	}
	end := i
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() > 0 {
			end = i
		}
	}
	f, _ := strconv.ParseFloat(s[:end], 64)
	return f
}

// NormalizeEmail is what Discuz does to the address before any check and
// before storing it: strtolower(trim($email)). strtolower changes ASCII
// letters only.
func NormalizeEmail(email string) string {
	b := []byte(PHPTrim(email))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// IsEmail is Discuz's isemail() and UCenter's check_emailformat(): more
// than 6 and at most maxLen bytes (EmailMaxLenX34 or EmailMaxLenX35), and
// ASCII letters, digits and -_.+ before the @, a dotted ASCII domain after.
// International (UTF-8) addresses are refused, as Discuz refuses them.
func IsEmail(email string, maxLen int) bool {
	return len(email) > 6 && len(email) <= maxLen && emailPattern.MatchString(email)
}

// domainListMatch is the regex Discuz and UCenter build from a domain list:
// '/('.str_replace("\r\n", '|', preg_quote(trim($list), '/')).')$/i'. So
// every CRLF-separated entry is a literal, case-insensitive (ASCII) suffix
// of the whole address: "qq.com" matches "a@qq.com", "a@mail.qq.com" and
// "a@fooqq.com". Entries are not trimmed (" qq.com" matches nothing real), a
// bare "\n" does not separate entries, and an empty entry (an empty list,
// or a blank line inside it) matches every address.
func domainListMatch(email, list string) bool {
	for _, entry := range strings.Split(PHPTrim(list), "\r\n") {
		if hasSuffixFoldASCII(email, entry) {
			return true
		}
	}
	return false
}

func hasSuffixFoldASCII(s, suffix string) bool {
	if len(suffix) > len(s) {
		return false
	}
	tail := s[len(s)-len(suffix):]
	for i := 0; i < len(suffix); i++ {
		if lowerASCII(tail[i]) != lowerASCII(suffix[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EmailDomainAllowed is UCenter's check_emailaccess() with its own settings
// accessemail (allowed domains) and censoremail (banned domains) from
// pre_ucenter_settings: a truthy accessemail must match, a truthy
// censoremail must not. Lists are matched as domainListMatch describes;
// PHP truthiness is taken on the raw value, so a list "0" is ignored and a
// censor list of only blanks bans every address.
func EmailDomainAllowed(email, accessList, censorList string) bool {
	if PHPTruthy(accessList) && !domainListMatch(email, accessList) {
		return false
	}
	if PHPTruthy(censorList) && domainListMatch(email, censorList) {
		return false
	}
	return true
}

// RegMailDomainAllowed is Discuz's own domain rule in checkemail()
// (function_member.php): regmaildomain 1 = only maildomainlist's domains, 2
// = none of them, anything else = no rule. The list is matched like
// UCenter's; a blacklist left empty refuses every address (Discuz's
// optimizer warns about exactly that).
func RegMailDomainAllowed(email, regmaildomain, maildomainlist string) bool {
	if !PHPTruthy(regmaildomain) {
		return true
	}
	switch PHPNumber(regmaildomain) {
	case 1:
		return domainListMatch(email, maildomainlist)
	case 2:
		return !domainListMatch(email, maildomainlist)
	}
	return true
}

// RegCtrl is what Discuz's regctrl means for one client IP.
type RegCtrl struct {
	// On is PHP-truthy regctrl (or ipregctrltime for an IP listed in
	// ipregctrl): Discuz then checks the window and, after a registration,
	// writes the IP's count=-1 row.
	On bool
	// Hours is the window in hours, as raw text too, for the message.
	Hours    float64
	HoursRaw string
	// Pattern is the LIKE pattern over pre_common_regip.ip: the IP itself,
	// or "<entry>%" when the IP starts with an ipregctrl entry, so the
	// whole range shares one window.
	Pattern string
}

// RegCtrlFor applies ipregctrl and regctrl to ip as on_register does: the
// first "\n"-separated, trimmed ipregctrl entry that prefixes the IP
// (case-sensitively) switches the window to ipregctrltime for its range. A
// blank entry prefixes every IP, as in Discuz.
func RegCtrlFor(ip, regctrl, ipregctrl, ipregctrltime string) RegCtrl {
	hours, pattern := regctrl, ip
	if entry, ok := ipListMatch(ipregctrl, ip); ok {
		hours, pattern = ipregctrltime, entry+"%"
	}
	return RegCtrl{On: PHPTruthy(hours), Hours: PHPNumber(hours), HoursRaw: hours, Pattern: pattern}
}

// Since is the oldest dateline still inside the window: Discuz counts the
// rows with dateline > now - hours*3600 (cut to an integer, like %d).
func (r RegCtrl) Since(now int64) int64 { return int64(float64(now) - r.Hours*3600) }

// PruneBefore is the cut-off of the prune after a registration: Discuz
// deletes rows with dateline <= now - max(regctrl, 72)*3600.
func (r RegCtrl) PruneBefore(now int64) int64 {
	h := r.Hours
	if h <= regipKeepHours {
		h = regipKeepHours
	}
	return int64(float64(now) - h*3600)
}

// RegFlood is Discuz's regfloodctrl: at most Max registrations per IP in 24
// hours, counted in one count>0 row of pre_common_regip.
type RegFlood struct {
	On     bool
	Max    float64
	MaxRaw string
}

// RegFloodFor reads the regfloodctrl setting.
func RegFloodFor(regfloodctrl string) RegFlood {
	return RegFlood{On: PHPTruthy(regfloodctrl), Max: PHPNumber(regfloodctrl), MaxRaw: regfloodctrl}
}

// Refuses reports whether an IP whose row counts count registrations (found
// = the row exists) may not register again: Discuz refuses when count >=
// regfloodctrl.
func (f RegFlood) Refuses(count int64, found bool) bool {
	return f.On && found && float64(count) >= f.Max
}

// ConnectInviteRequired is whether a QQ registration needs an invite code,
// as member_connect.php and register_ctl decide it: with QQ registration
// on (regconnect) a closed site (regstatus 0) counts as open; the QQ
// setting register_invite lifts the invite rule; then only regstatus 2
// (invite only, 3 is open plus invites) needs one, unless the client's IP
// starts with a line of inviteconfig's inviteipwhite. (inviteareawhite
// needs Discuz's IP location database; it is not applied.)
func ConnectInviteRequired(regstatus int64, regconnect, registerInvite bool, inviteIPWhite, ip string) bool {
	if regconnect && regstatus == 0 {
		regstatus = 1
	}
	if registerInvite {
		regstatus = 1
	}
	if regstatus != 2 {
		return false
	}
	return !IPListed(inviteIPWhite, ip)
}

// IPListed is Discuz's test of an IP against a white list setting
// (inviteipwhite, ipverifywhite, ipregctrl): a line the address starts
// with. An empty line (a trailing newline) matches every address, in
// Discuz too; an empty list matches none.
func IPListed(list, ip string) bool {
	_, ok := ipListMatch(list, ip)
	return ok
}

// ipListMatch is the first trimmed line of a PHP-truthy list that the IP
// starts with (case-sensitively), as Discuz's
// preg_match("/^(".preg_quote(trim($line), '/').")/") loops find it.
func ipListMatch(list, ip string) (string, bool) {
	if !PHPTruthy(list) {
		return "", false
	}
	for _, line := range strings.Split(list, "\n") {
		if line = PHPTrim(line); strings.HasPrefix(ip, line) {
			return line, true
		}
	}
	return "", false
}
