package discuz

import (
	"strings"
	"testing"
)

// TestIsEmail: isemail()/check_emailformat() (function_core.php, uc_client
// model/user.php), cases read off the PHP pattern and length test.
func TestIsEmail(t *testing.T) {
	at32 := strings.Repeat("a", 24) + "@qq.com" // 24+7 = 31 bytes
	cases := []struct {
		email string
		max   int
		want  bool
	}{
		{"user@qq.com", EmailMaxLenX34, true},
		{"User.Name@QQ.COM", EmailMaxLenX34, true}, // the pattern takes upper case; Discuz lowercases before
		{"a+tag@example.com", EmailMaxLenX34, true},
		{"a-b_c.d@sub.example.com", EmailMaxLenX34, true},
		{".a..b.@x.y", EmailMaxLenX34, true},                          // dots anywhere before the @
		{"ab@b..c", EmailMaxLenX34, true},                             // domain tail may hold dots: [A-Za-z0-9\-.]+
		{"ab@b.c.", EmailMaxLenX34, true},                             // even a trailing one
		{"ab@-.-", EmailMaxLenX34, false},                             // only 6 bytes
		{"abc@-.-", EmailMaxLenX34, true},                             // hyphens are letters to the pattern
		{"a@b.com", EmailMaxLenX34, true},                             // 7 bytes: > 6
		{"a@b.cn", EmailMaxLenX34, false},                             // 6 bytes: not > 6
		{at32 + "x", EmailMaxLenX34, true},                            // 32 bytes
		{at32 + "xy", EmailMaxLenX34, false},                          // 33 bytes on X3.4
		{at32 + "xy", EmailMaxLenX35, true},                           // X3.5 allows 255
		{strings.Repeat("a", 248) + "@qq.com", EmailMaxLenX35, true},  // 255
		{strings.Repeat("a", 249) + "@qq.com", EmailMaxLenX35, false}, // 256
		{"a@b", EmailMaxLenX34, false},
		{"user@localhost", EmailMaxLenX34, false}, // the domain needs a dot
		{"user@.com", EmailMaxLenX34, false},      // and a label before it
		{"user@b_c.com", EmailMaxLenX34, false},   // no underscore in the domain
		{"user@example.c_m", EmailMaxLenX34, false},
		{"us er@qq.com", EmailMaxLenX34, false},
		{`"u"@qq.com`, EmailMaxLenX34, false},
		{"a@b@qq.com", EmailMaxLenX34, false},
		{"用户@qq.com", EmailMaxLenX35, false},                  // UTF-8 local part
		{"user@例子.中国", EmailMaxLenX35, false},                 // IDN domain
		{"user@xn--fsqu00a.xn--fiqs8s", EmailMaxLenX35, true}, // its punycode form is ASCII
		{"user@qq.com\n", EmailMaxLenX34, false},              // PHP's $ would pass it; Discuz trims first
		{" user@qq.com", EmailMaxLenX34, false},
		{"user@qq.com\x00", EmailMaxLenX34, false},
		{"", EmailMaxLenX35, false},
	}
	for _, c := range cases {
		if got := IsEmail(c.email, c.max); got != c.want {
			t.Errorf("IsEmail(%q, %d) = %v, want %v", c.email, c.max, got, c.want)
		}
	}
}

// TestNormalizeEmail: strtolower(trim()) changes ASCII only and trims only
// PHP's trim set.
func TestNormalizeEmail(t *testing.T) {
	cases := []struct{ in, want string }{
		{" User@QQ.Com \r\n", "user@qq.com"},
		{"\x0bA@B.CN\x00", "a@b.cn"},
		{"\fa@b.cn", "\fa@b.cn"}, // \f is not in PHP's trim set
		{"ÄÖ@QQ.COM", "ÄÖ@qq.com"},
		{"\u3000a@b.cn", "\u3000a@b.cn"},
	}
	for _, c := range cases {
		if got := NormalizeEmail(c.in); got != c.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestEmailDomainAllowed: UCenter's check_emailaccess(): a CRLF list of
// literal, case-insensitive suffixes of the whole address.
func TestEmailDomainAllowed(t *testing.T) {
	cases := []struct {
		name, email, access, censor string
		want                        bool
	}{
		{"no lists", "a@qq.com", "", "", true},
		{"lists of 0 are off", "a@qq.com", "0", "0", true},
		{"allowed", "a@qq.com", "qq.com\r\n163.com", "", true},
		{"second entry", "a@163.com", "qq.com\r\n163.com", "", true},
		{"not allowed", "a@gmail.com", "qq.com\r\n163.com", "", false},
		{"subdomain is a suffix", "a@mail.qq.com", "qq.com", "", true},
		{"any suffix, not a domain boundary", "a@fooqq.com", "qq.com", "", true},
		{"suffix of the whole address only", "a@qq.com.cn", "qq.com", "", false},
		{"case-insensitive", "a@qq.com", "QQ.COM", "", true},
		{"entry with @", "a@qq.com", "@qq.com", "", true},
		{"outer blanks trimmed", "a@qq.com", "\r\n qq.com\r\n", "", true},
		{"inner spaces kept", "a@163.com", "qq.com\r\n 163.com", "", false},
		{"trailing space on an entry kept", "a@qq.com", "qq.com \r\n163.com", "", false},
		{"LF does not separate", "a@qq.com", "qq.com\n163.com", "", false},
		{"LF list matches its last line only with CRLF", "a@163.com", "qq.com\n163.com", "", false},
		{"blank line allows all", "a@gmail.com", "qq.com\r\n\r\n163.com", "", true},
		{"blank access list allows all", "a@gmail.com", "   ", "", true},
		{"wildcards are literal", "a@mail.qq.com", "*.qq.com", "", false},
		{"regex chars are literal", "a@qqxcom", "qq.com", "", false},
		{"censored", "a@spam.com", "", "spam.com", false},
		{"censored subdomain", "a@x.spam.com", "", "spam.com", false},
		{"not censored", "a@qq.com", "", "spam.com\r\nbad.org", true},
		{"censor case-insensitive", "a@spam.com", "", "SPAM.com", false},
		{"allowed but censored", "a@bad.qq.com", "qq.com", "bad.qq.com", false},
		{"blank censor list bans all", "a@qq.com", "", " ", false},
		{"censor blank line bans all", "a@qq.com", "", "spam.com\r\n\r\nbad.org", false},
	}
	for _, c := range cases {
		if got := EmailDomainAllowed(c.email, c.access, c.censor); got != c.want {
			t.Errorf("%s: EmailDomainAllowed(%q, %q, %q) = %v, want %v", c.name, c.email, c.access, c.censor, got, c.want)
		}
	}
}

// TestRegMailDomainAllowed: Discuz's regmaildomain/maildomainlist in
// checkemail().
func TestRegMailDomainAllowed(t *testing.T) {
	cases := []struct {
		name, email, mode, list string
		want                    bool
	}{
		{"off", "a@gmail.com", "0", "qq.com", true},
		{"unset", "a@gmail.com", "", "qq.com", true},
		{"whitelist hit", "a@qq.com", "1", "qq.com\r\n163.com", true},
		{"whitelist miss", "a@gmail.com", "1", "qq.com\r\n163.com", false},
		{"whitelist subdomain", "a@vip.163.com", "1", "qq.com\r\n163.com", true},
		{"empty whitelist allows all", "a@gmail.com", "1", "", true},
		{"blacklist hit", "a@spam.com", "2", "spam.com", false},
		{"blacklist case", "a@spam.com", "2", "Spam.COM", false},
		{"blacklist miss", "a@qq.com", "2", "spam.com", true},
		{"empty blacklist refuses all", "a@qq.com", "2", "", false},
		{"unknown mode", "a@spam.com", "3", "spam.com", true},
	}
	for _, c := range cases {
		if got := RegMailDomainAllowed(c.email, c.mode, c.list); got != c.want {
			t.Errorf("%s: RegMailDomainAllowed(%q, %q, %q) = %v, want %v", c.name, c.email, c.mode, c.list, got, c.want)
		}
	}
}

// TestRegCtrlFor: regctrl and ipregctrl/ipregctrltime as on_register reads
// them.
func TestRegCtrlFor(t *testing.T) {
	const now = 1_700_000_000
	cases := []struct {
		name, ip, regctrl, ipregctrl, iptime string
		want                                 RegCtrl
		since, prune                         int64
	}{
		{"off", "1.2.3.4", "0", "", "72", RegCtrl{Pattern: "1.2.3.4", HoursRaw: "0"}, now, now - 72*3600},
		{"unset", "1.2.3.4", "", "", "", RegCtrl{Pattern: "1.2.3.4"}, now, now - 72*3600},
		{"24 hours", "1.2.3.4", "24", "", "72", RegCtrl{On: true, Hours: 24, HoursRaw: "24", Pattern: "1.2.3.4"}, now - 24*3600, now - 72*3600},
		{"half an hour", "1.2.3.4", "0.5", "", "", RegCtrl{On: true, Hours: 0.5, HoursRaw: "0.5", Pattern: "1.2.3.4"}, now - 1800, now - 72*3600},
		{"long window prunes later", "1.2.3.4", "100", "", "", RegCtrl{On: true, Hours: 100, HoursRaw: "100", Pattern: "1.2.3.4"}, now - 100*3600, now - 100*3600},
		{"listed range", "10.1.2.3", "0", "192.168.\r\n10.1.", "48",
			RegCtrl{On: true, Hours: 48, HoursRaw: "48", Pattern: "10.1.%"}, now - 48*3600, now - 72*3600},
		{"first listed range wins", "10.1.2.3", "24", "10.\n10.1.", "12",
			RegCtrl{On: true, Hours: 12, HoursRaw: "12", Pattern: "10.%"}, now - 12*3600, now - 72*3600},
		{"unlisted IP keeps regctrl", "8.8.8.8", "24", "10.1.", "48", RegCtrl{On: true, Hours: 24, HoursRaw: "24", Pattern: "8.8.8.8"}, now - 24*3600, now - 72*3600},
		{"listed range with ipregctrltime 0 is off", "10.1.2.3", "24", "10.1.", "0", RegCtrl{HoursRaw: "0", Pattern: "10.1.%"}, now, now - 72*3600},
		{"prefix, not substring", "110.1.2.3", "0", "10.1.", "48", RegCtrl{HoursRaw: "0", Pattern: "110.1.2.3"}, now, now - 72*3600},
		{"blank entry matches all", "8.8.8.8", "0", "10.1.\n\n", "48", RegCtrl{On: true, Hours: 48, HoursRaw: "48", Pattern: "%"}, now - 48*3600, now - 72*3600},
		{"IPv6 range", "2001:db8::1", "0", "2001:db8:", "24", RegCtrl{On: true, Hours: 24, HoursRaw: "24", Pattern: "2001:db8:%"}, now - 24*3600, now - 72*3600},
		{"case-sensitive like preg without /i", "2001:DB8::1", "0", "2001:db8:", "24", RegCtrl{HoursRaw: "0", Pattern: "2001:DB8::1"}, now, now - 72*3600},
	}
	for _, c := range cases {
		got := RegCtrlFor(c.ip, c.regctrl, c.ipregctrl, c.iptime)
		if got != c.want {
			t.Errorf("%s: RegCtrlFor = %+v, want %+v", c.name, got, c.want)
			continue
		}
		if s := got.Since(now); s != c.since {
			t.Errorf("%s: Since = %d, want %d", c.name, s, c.since)
		}
		if p := got.PruneBefore(now); p != c.prune {
			t.Errorf("%s: PruneBefore = %d, want %d", c.name, p, c.prune)
		}
	}
}

// TestRegFlood: regfloodctrl refuses once the IP's 24-hour row has reached it.
func TestRegFlood(t *testing.T) {
	cases := []struct {
		setting string
		count   int64
		found   bool
		want    bool
	}{
		{"0", 100, true, false},
		{"", 100, true, false},
		{"3", 0, false, false},
		{"3", 2, true, false},
		{"3", 3, true, true},
		{"3", 4, true, true},
		{"1", 1, true, true},
		{"2.5", 2, true, false},
		{"2.5", 3, true, true},
	}
	for _, c := range cases {
		if got := RegFloodFor(c.setting).Refuses(c.count, c.found); got != c.want {
			t.Errorf("regfloodctrl %q, count %d (found %v): refuses %v, want %v", c.setting, c.count, c.found, got, c.want)
		}
	}
}

// TestPHPScalars: the PHP string semantics the rules rely on.
func TestPHPScalars(t *testing.T) {
	truthy := []struct {
		in   string
		want bool
	}{{"", false}, {"0", false}, {"1", true}, {"0.0", true}, {" ", true}, {"00", true}}
	for _, c := range truthy {
		if got := PHPTruthy(c.in); got != c.want {
			t.Errorf("PHPTruthy(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	numbers := []struct {
		in   string
		want float64
	}{{"", 0}, {"24", 24}, {" 24", 24}, {"24abc", 24}, {"0.5", 0.5}, {".5", 0.5}, {"5.", 5}, {"-3", -3},
		{"1e2", 100}, {"1e", 1}, {"abc", 0}, {"+7", 7}, {"0x1A", 0}, {"\n72", 72}}
	for _, c := range numbers {
		if got := PHPNumber(c.in); got != c.want {
			t.Errorf("PHPNumber(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}
