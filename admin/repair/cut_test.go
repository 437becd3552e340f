package repair

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	a254 := strings.Repeat("a", 254)
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short ASCII unchanged", "Mozilla/5.0", 255, "Mozilla/5.0"},
		{"exactly n", strings.Repeat("a", 255), 255, strings.Repeat("a", 255)},
		{"long ASCII", strings.Repeat("a", 300), 255, strings.Repeat("a", 255)},
		{"CJK across the byte boundary", a254 + "浏览器 Safari", 255, a254 + "浏"},
		{"CJK counts as one character", strings.Repeat("浏览器", 100), 255, strings.Repeat("浏览器", 85)},
		{"emoji across the byte boundary", a254 + "😀😀", 255, a254 + "😀"},
		{"short invalid bytes replaced", "Mozilla/5.0 \xff\xfe\xfd (X11)", 255, "Mozilla/5.0 \uFFFD (X11)"},
		{"truncated CJK sequence replaced", strings.Repeat("a", 250) + "\xe6\xb5" + strings.Repeat("b", 10), 255, strings.Repeat("a", 250) + "\uFFFD" + "bbbb"},
		{"invalid bytes at the cut", a254 + "\xff\xff\xff", 255, a254 + "\uFFFD"},
		{"zero length", "abc", 0, ""},
		{"empty", "", 8, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cut(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if !utf8.ValidString(got) || utf8.RuneCountInString(got) > tt.n {
				t.Errorf("cut(%q, %d) = %q: not valid UTF-8 of at most %d characters", tt.in, tt.n, got, tt.n)
			}
		})
	}
}
