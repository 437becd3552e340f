package throttle

import (
	"strings"
	"testing"
)

func TestIPKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an ip", "not an ip"},
		{strings.Repeat("x", 60), strings.Repeat("x", 45)},
	}
	for _, c := range cases {
		if got := IPKey(c.in); got != c.want {
			t.Errorf("IPKey(%q) = %q, want %q", c.in, got, c.want)
		}
		if len(IPKey(c.in)) > 45 {
			t.Errorf("IPKey(%q) longer than login_attempt.ip varchar(45)", c.in)
		}
	}
}

func TestAccountKeys(t *testing.T) {
	if UIDKey(42) != "u:42" {
		t.Errorf("UIDKey = %q", UIDKey(42))
	}
	long := NameKey(strings.Repeat("\u2060", 500) + "alice")
	if len(long) > 64 || !strings.HasPrefix(long, "n:") {
		t.Errorf("NameKey of a padded name = %q (%d bytes), want n:… within varchar(64)", long, len(long))
	}
	if NameKey(" Bob ") != NameKey("bob") || NameKey("bob") == NameKey("alice") {
		t.Error("NameKey must fold case and spaces and tell names apart")
	}
}
