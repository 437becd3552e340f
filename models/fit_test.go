package models

import (
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestFitAndHolds(t *testing.T) {
	s := &Store{Schema: &Schema{tables: map[string]*tableInfo{
		"t": {facts: map[string]ColumnFact{
			"ip3":   {Type: "char", MaxLen: 15, Charset: "utf8mb3"},
			"nick3": {Type: "char", MaxLen: 5, Charset: "utf8"},
			"nick4": {Type: "varchar", MaxLen: 5, Charset: "utf8mb4"},
			"gbk":   {Type: "char", MaxLen: 15, Charset: "gbk"},
		}},
	}}}
	const v6 = "2001:db8:85a3:8d3:1319:8a2e:370:7348"
	cases := []struct {
		col, in string
		fit     string
		holds   bool
	}{
		{"ip3", "203.0.113.7", "203.0.113.7", true},
		{"ip3", v6, v6[:15], false},
		{"nick3", "企鹅🐧", "企鹅", false},
		{"nick3", "🐧🐧", "", false},
		{"nick3", "𠀀ab", "ab", false}, // CJK extension B is 4 bytes
		{"nick4", "企鹅🐧👨‍👩‍👧", "企鹅🐧👨\u200d", false},
		{"nick4", "企鹅🐧", "企鹅🐧", true},
		{"gbk", "中文", "中文", true},
		{"gbk", "中文🐧", "中文", false},
		{"missing", "anything 🐧", "anything 🐧", true},
		{"nick4", "a\xffb", "ab", false},
		{"ip3", "家庭👨‍👩‍👧合影", "家庭合影", false},
		{"ip3", "心❤️好", "心❤️好", true}, // BMP heart + VS16 fits utf8
	}
	for _, c := range cases {
		if got := s.Fit("t", c.col, c.in); got != c.fit {
			t.Errorf("Fit(%s, %q) = %q, want %q", c.col, c.in, got, c.fit)
		}
		if got := s.Holds("t", c.col, c.in); got != c.holds {
			t.Errorf("Holds(%s, %q) = %v, want %v", c.col, c.in, got, c.holds)
		}
	}
}

func TestInterpolationSafe(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want bool
	}{
		{"u:p@tcp(127.0.0.1:3306)/d", true},
		{"u:p@tcp(127.0.0.1:3306)/d?charset=utf8mb4", true},
		{"u:p@tcp(127.0.0.1:3306)/d?charset=utf8mb4,utf8", true},
		{"u:p@tcp(127.0.0.1:3306)/d?charset=gbk", false},
		{"u:p@tcp(127.0.0.1:3306)/d?charset=utf8mb4,big5", false},
		{"u:p@tcp(127.0.0.1:3306)/d?collation=gbk_chinese_ci", false},
		{"u:p@tcp(127.0.0.1:3306)/d?collation=utf8mb4_unicode_ci", true},
	} {
		cfg, err := mysql.ParseDSN(tc.dsn)
		if err != nil {
			t.Fatal(err)
		}
		if got := interpolationSafe(cfg); got != tc.want {
			t.Errorf("%s: interpolationSafe = %v, want %v", tc.dsn, got, tc.want)
		}
	}
}
