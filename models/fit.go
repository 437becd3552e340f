package models

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// ColumnFact is what one column can hold, read from information_schema at
// start-up: X3.4 keeps char(15) IP columns and 3-byte utf8 tables, X3.5
// widened both, and converted sites have gbk/big5 tables. MaxLen counts
// characters for text columns, as MySQL does; 0 means unknown (sqlite).
type ColumnFact struct {
	Type    string // char, varchar, text, int, …
	MaxLen  int64
	Charset string // utf8mb3, utf8mb4, gbk, big5, latin1, binary, "" (not text)
}

// Column returns what a column holds; ok is false when it is unknown (no
// such column, or sqlite, whose columns hold anything).
func (s *Schema) Column(table, column string) (ColumnFact, bool) {
	if !s.HasTable(table) {
		return ColumnFact{}, false
	}
	f, ok := s.tables[table].facts[strings.ToLower(column)]
	return f, ok
}

// Holds reports whether the column can store v exactly: every character in
// its charset and no more characters than its length. Unknown columns hold
// anything. Callers refuse input that does not fit instead of letting
// MySQL's strict mode turn it into an error (or Discuz's sql_mode=” into a
// silent cut).
func (s *Store) Holds(table, column, v string) bool {
	f, ok := s.Schema.Column(table, column)
	if !ok {
		return true
	}
	if !utf8.ValidString(v) {
		return false
	}
	if f.MaxLen > 0 && int64(utf8.RuneCountInString(v)) > f.MaxLen {
		return false
	}
	return charsetHolds(f.Charset, v)
}

// Fit returns v cut down to what the column holds: characters its charset
// lacks are dropped and the rest is cut to the column's length, never in
// the middle of a character. It is for values that are facts rather than
// choices of the user (a client IP, a QQ nickname), where a shortened value
// beats a refused login.
func (s *Store) Fit(table, column, v string) string {
	v = strings.ToValidUTF8(v, "")
	f, ok := s.Schema.Column(table, column)
	if !ok {
		return v
	}
	if !charsetHolds(f.Charset, v) {
		v = DropUnstorable(f.Charset, v)
	}
	if f.MaxLen > 0 && int64(utf8.RuneCountInString(v)) > f.MaxLen {
		r := []rune(v)
		v = string(r[:f.MaxLen])
	}
	return v
}

// charsetHolds reports whether every character of v (valid UTF-8) exists in
// the MySQL charset.
func charsetHolds(charset, v string) bool {
	switch charset {
	case "", "utf8mb4", "binary":
		return true
	case "utf8", "utf8mb3":
		for _, r := range v {
			if r > 0xFFFF {
				return false
			}
		}
		return true
	case "ascii":
		for _, r := range v {
			if r > 0x7F {
				return false
			}
		}
		return true
	}
	enc := mysqlEncoding(charset)
	if enc == nil {
		return true // a charset we do not know: let the database decide
	}
	_, err := enc.NewEncoder().String(v)
	return err == nil
}

func mysqlEncoding(charset string) encoding.Encoding {
	switch charset {
	case "gbk":
		return simplifiedchinese.GBK
	case "gb18030":
		return simplifiedchinese.GB18030
	case "big5":
		return traditionalchinese.Big5
	case "latin1":
		return charmap.Windows1252
	}
	return nil
}

// DropUnstorable removes the characters the (MySQL) charset lacks, and with them
// the joiners and variation selectors that only glued them together, so
// "家庭👨‍👩‍👧合影" on a 3-byte utf8 column reads "家庭合影", not
// "家庭" + three invisible ZWJs + "合影".
func DropUnstorable(charset, v string) string {
	rs := []rune(v)
	drop := make([]bool, len(rs))
	for i, r := range rs {
		drop[i] = !charsetHolds(charset, string(r))
	}
	glue := func(r rune) bool { return r == 0x200D || (r >= 0xFE00 && r <= 0xFE0F) }
	for pass := 0; pass < 2; pass++ { // a run of glue next to a dropped character
		for i, r := range rs {
			if !glue(r) || drop[i] {
				continue
			}
			if (i > 0 && drop[i-1]) || (i+1 < len(rs) && drop[i+1]) {
				drop[i] = true
			}
		}
	}
	var b strings.Builder
	for i, r := range rs {
		if !drop[i] {
			b.WriteRune(r)
		}
	}
	return b.String()
}
