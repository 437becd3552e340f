package discuz

import (
	"errors"
	"testing"
)

func TestStrLen(t *testing.T) {
	// Expected values from Discuz's dstrlen() under PHP 8.2.
	tests := map[string]int{
		"":         0,
		"abc":      3,
		"中文":       4,
		"a中b":      4,
		"😀x":       3,
		"é":        2,
		"\xff\xfe": 4, // invalid UTF-8 counts per byte, as in PHP
		"\xe4\xb8": 2, // truncated character
		"Ελληνικά": 16,
	}
	for in, want := range tests {
		if got := StrLen(in); got != want {
			t.Errorf("StrLen(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestCheckUsername(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"abc", nil},
		{"张三丰", nil},
		{"中文名字七个字", nil},                // 14
		{"中文名字七个字a", nil},               // 15
		{"中文名字八个字啊", ErrUsernameLength}, // 16
		{"ab", ErrUsernameLength},
		{"中", ErrUsernameLength},
		{"a中", nil},
		{"abcdefghijklmno", nil},
		{"abcdefghijklmnop", ErrUsernameLength},
		{"", ErrUsernameLength},
		{"user_name-1.x", nil},
		{"has space", ErrUsernameChars},
		{"tab\there", ErrUsernameChars},
		{"nbsp\u00a0x", ErrUsernameChars},
		{"zero\u200bwidth", ErrUsernameChars},
		{"ctl\x01x", ErrUsernameChars},
		{"bad\xffutf", ErrUsernameChars},
		{"50%off", ErrUsernameChars},
		{"a,b", ErrUsernameChars},
		{"a*b", ErrUsernameChars},
		{`a"b`, ErrUsernameChars},
		{"a<b", ErrUsernameChars},
		{"a>b", ErrUsernameChars},
		{"a&b", ErrUsernameChars},
		{"a(b", ErrUsernameChars},
		{"a)b", ErrUsernameChars},
		{"a'b", ErrUsernameChars},
		{`a\b`, ErrUsernameChars},
		{`c:\con\con`, ErrUsernameChars},
		{"Guest123", ErrUsernameReserved},
		{"gUEST", ErrUsernameReserved},
		{"myGuest", nil},
		{"全角\u3000空格", ErrUsernameReserved},
		{"我是游客", ErrUsernameReserved},
		{"遊客甲", ErrUsernameReserved},
		{"游戏客人", nil},
	}
	for _, tt := range tests {
		err := CheckUsername(tt.name)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("CheckUsername(%q) = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestCensorUser(t *testing.T) {
	const setting = "admin*\r\n*管理员*\r\nroot\r\n\r\n  *bad word*  \nexact"
	tests := map[string]bool{
		"admin":         true,
		"Administrator": true,
		"myadmin":       false,
		"超级管理员":         true,
		"管理员":           true,
		"root":          true,
		"ROOT":          true,
		"rooter":        false,
		"xbadwordy":     true, // spaces inside a word are ignored, as in Discuz
		"exact":         true,
		"exactly":       false,
		"alice":         false,
		"":              false,
	}
	for name, want := range tests {
		if got := CensorUser(setting, name); got != want {
			t.Errorf("CensorUser(%q) = %v, want %v", name, got, want)
		}
	}
	if CensorUser("", "admin") {
		t.Error("empty setting bans names")
	}
	if !CensorUser("*", "anyone") {
		t.Error(`"*" should ban everything`)
	}
	if !CensorUser("a*b*c", "aXXbYYc") || CensorUser("a*b*c", "aXXcYYb") || CensorUser("ab*ba", "aba") {
		t.Error("wildcard matching is wrong")
	}
}

func TestSuggestUsername(t *testing.T) {
	tests := map[string]string{
		"小明":                     "小明", // StrLen 4 ≥ 3: kept
		"Tom":                    "Tom",
		"Tom Lee":                "Tom_Lee",
		"  Tom   Lee  ":          "Tom_Lee",
		"<b>Bold</b> name":       "Bold_name",
		"a<script>x</script>b1":  "axb1",
		"O'Neil & Co (UK)":       "ONeil_Co_UK",
		"😀emoji😀fan":             "emojifan",
		"Guest":                  "",
		"GuestStar":              "Star",
		"游客小王":                   "小王",
		"游游客客abc":                "abc",
		"一二三四五六七八九":              "一二三四五六七",
		"abcdefghijklmnopqrstuv": "abcdefghijklmno",
		"abcdefghijklmn中文":       "abcdefghijklmn",
		"abcdefghijklm中":         "abcdefghijklm中",
		"ab":                     "",
		"%%%":                    "",
		"":                       "",
		"abcdefghijklmn opq":     "abcdefghijklmn",
		"bad\xffutf8":            "badutf8",
		"全角\u3000空格":             "全角_空格",
	}
	for in, want := range tests {
		got := SuggestUsername(in)
		if got != want {
			t.Errorf("SuggestUsername(%q) = %q, want %q", in, got, want)
		}
		if got != "" {
			if err := CheckUsername(got); err != nil {
				t.Errorf("SuggestUsername(%q) = %q fails CheckUsername: %v", in, got, err)
			}
		}
	}
}

func FuzzSuggestUsername(f *testing.F) {
	for _, s := range []string{"Tom Lee", "<b>x</b>", "游游客客abc", "GuestGuest1", "一二三四五六七八九", "a\xffb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, nick string) {
		got := SuggestUsername(nick)
		if got == "" {
			return
		}
		if err := CheckUsername(got); err != nil {
			t.Fatalf("SuggestUsername(%q) = %q fails CheckUsername: %v", nick, got, err)
		}
	})
}

func TestToCharset(t *testing.T) {
	tests := []struct {
		in, charset, want string
		wantErr           bool
	}{
		{"中文abc", "utf-8", "中文abc", false},
		{"中文abc", "UTF8", "中文abc", false},
		{"中文abc", "utf8mb4", "中文abc", false},
		{"中文abc", "gbk", "\xd6\xd0\xce\xc4abc", false},
		{"中文abc", "GBK", "\xd6\xd0\xce\xc4abc", false},
		{"遊客", "big5", "\xb9\x43\xab\xc8", false}, // UCenter's Big5 guest pattern
		{"游客", "gbk", "\xd3\xce\xbf\xcd", false},  // UCenter's GBK guest pattern
		{"😀", "gbk", "", true},
		{"한국어", "big5", "", true},
		{"abc", "latin1", "", true},
	}
	for _, tt := range tests {
		got, err := ToCharset(tt.in, tt.charset)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ToCharset(%q, %q) = %q, %v; want %q (error %v)", tt.in, tt.charset, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			back, err := FromCharset(got, tt.charset)
			if err != nil || back != tt.in {
				t.Errorf("FromCharset(%q, %q) = %q, %v; want %q", got, tt.charset, back, err, tt.in)
			}
		}
	}
}
