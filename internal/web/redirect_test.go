package web

import "testing"

func TestLocalRedirect(t *testing.T) {
	cases := []struct{ base, ref, want string }{
		{"https://bbs.example.com", "forum.php?mod=viewthread&tid=7", "/forum.php?mod=viewthread&tid=7"},
		{"https://bbs.example.com", "/home.php?mod=space", "/home.php?mod=space"},
		{"https://bbs.example.com", "https://bbs.example.com/forum.php", "/forum.php"},
		{"https://bbs.example.com/bbs", "forum.php", "/bbs/forum.php"},
		{"https://bbs.example.com/bbs", "/other/x", "/"},
		{"https://bbs.example.com", "//evil.example/x", "/"},
		{"https://bbs.example.com", "https://evil.example/", "/"},
		{"https://bbs.example.com", "http://bbs.example.com/", "/"},
		{"https://bbs.example.com", "/\\evil.example", "/"},
		{"https://bbs.example.com", "javascript:alert(1)", "/"},
		{"https://bbs.example.com", "member.php?mod=logging&action=login", "/"},
		{"https://bbs.example.com", "", "/"},
		{"https://bbs.example.com", "/a\r\nSet-Cookie: x", "/"},
		{"https://bbs.example.com", "https://user@bbs.example.com/", "/"},
		{"https://bbs.example.com", "/connect/qq/bind", "/"},
	}
	for _, c := range cases {
		if got := LocalRedirect(c.ref, c.base, "/"); got != c.want {
			t.Errorf("LocalRedirect(%q, %q) = %q, want %q", c.ref, c.base, got, c.want)
		}
	}
}

func TestIsMobile(t *testing.T) {
	for ua, want := range map[string]bool{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148":                  true,
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36":      true,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36": false,
	} {
		if IsMobile(ua) != want {
			t.Errorf("IsMobile(%q) != %v", ua, want)
		}
	}
}
