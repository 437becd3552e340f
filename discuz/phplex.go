package discuz

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a small reader for the PHP subset that Discuz writes into
// its config files: literal assignments and define() calls. It tokenizes
// real PHP (comments, both quote styles, open/close tags) so that a quote
// or '=' inside a comment cannot confuse it, and it evaluates literals only;
// it never runs code. Anything it cannot evaluate becomes an "unsupported"
// value that is an error only if someone asks for it.

// ConfigError is a syntax or value error in a PHP config file, with the
// file name and the 1-based line. It never quotes a value, which may be a
// password.
type ConfigError struct {
	File string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

type tokKind int

const (
	tokEOF    tokKind = iota
	tokVar            // $name (text = name)
	tokIdent          // bare word
	tokString         // quoted string (text = decoded value)
	tokNumber         // numeric literal (text = source)
	tokPunct          // operator or bracket (text = source)
)

type token struct {
	kind   tokKind
	text   string
	line   int
	interp bool // double-quoted string with $variables in it
}

// describe names a token for an error message without revealing string
// contents.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokVar:
		return "$" + t.text
	case tokIdent:
		return fmt.Sprintf("%q", t.text)
	case tokString:
		return "a string"
	case tokNumber:
		return "a number"
	}
	return fmt.Sprintf("%q", t.text)
}

// phpPuncts lists multi-character operators, longest first.
var phpPuncts = []string{
	"<=>", "===", "!==", "**=", "...", "<<=", ">>=", "??=",
	"=>", "==", "!=", "<>", "<=", ">=", ".=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
	"::", "->", "??", "&&", "||", "++", "--", "**", "<<", ">>",
}

type lexer struct {
	src  []byte
	pos  int
	line int
	file string
	toks []token
}

func (l *lexer) errorf(line int, format string, args ...any) error {
	return &ConfigError{File: l.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) emit(k tokKind, text string, line int) {
	l.toks = append(l.toks, token{kind: k, text: text, line: line})
}

// lexPHP tokenizes src. Text outside <?php ... ?> is skipped; "?>" counts
// as a ';', as in PHP.
func lexPHP(file string, src []byte) ([]token, error) {
	l := &lexer{src: src, line: 1, file: file}
	for {
		if !l.skipHTML() {
			break
		}
		if err := l.lexCode(); err != nil {
			return nil, err
		}
	}
	l.emit(tokEOF, "", l.line)
	return l.toks, nil
}

// skipHTML moves past inline text to just after the next open tag and
// reports whether one was found.
func (l *lexer) skipHTML() bool {
	for l.pos < len(l.src) {
		if l.src[l.pos] == '\n' {
			l.line++
		}
		if l.src[l.pos] == '<' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '?' {
			l.pos += 2
			if l.pos+3 <= len(l.src) && strings.EqualFold(string(l.src[l.pos:l.pos+3]), "php") {
				l.pos += 3
			} else if l.pos < len(l.src) && l.src[l.pos] == '=' {
				l.pos++
			}
			return true
		}
		l.pos++
	}
	return false
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func (l *lexer) peekAt(off int) byte {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

// lexCode tokenizes until "?>" or the end of the input.
func (l *lexer) lexCode() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			l.pos++
		case c == '?' && l.peekAt(1) == '>':
			l.emit(tokPunct, ";", l.line)
			l.pos += 2
			if l.peekAt(0) == '\n' { // PHP eats one newline after ?>
				l.pos++
				l.line++
			} else if l.peekAt(0) == '\r' && l.peekAt(1) == '\n' {
				l.pos += 2
				l.line++
			}
			return nil
		case c == '#' || c == '/' && l.peekAt(1) == '/':
			// A line comment ends at the newline or at "?>".
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				if l.src[l.pos] == '?' && l.peekAt(1) == '>' {
					break
				}
				l.pos++
			}
		case c == '/' && l.peekAt(1) == '*':
			start := l.line
			end := bytes.Index(l.src[l.pos+2:], []byte("*/"))
			if end < 0 {
				return l.errorf(start, "unterminated /* comment")
			}
			l.line += bytes.Count(l.src[l.pos:l.pos+2+end], []byte("\n"))
			l.pos += 2 + end + 2
		case c == '$' && l.pos+1 < len(l.src) && isIdentStart(l.src[l.pos+1]):
			start := l.pos + 1
			l.pos++
			for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
				l.pos++
			}
			l.emit(tokVar, string(l.src[start:l.pos]), l.line)
		case isIdentStart(c):
			start := l.pos
			for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
				l.pos++
			}
			l.emit(tokIdent, string(l.src[start:l.pos]), l.line)
		case c >= '0' && c <= '9' || c == '.' && l.peekAt(1) >= '0' && l.peekAt(1) <= '9':
			l.lexNumber()
		case c == '\'':
			if err := l.lexSingle(); err != nil {
				return err
			}
		case c == '"':
			if err := l.lexDouble(); err != nil {
				return err
			}
		case c == '<' && l.peekAt(1) == '<' && l.peekAt(2) == '<':
			return l.errorf(l.line, "heredoc strings are not supported")
		default:
			l.lexPunct()
		}
	}
	return nil
}

func (l *lexer) lexPunct() {
	rest := l.src[l.pos:]
	for _, p := range phpPuncts {
		if len(rest) >= len(p) && string(rest[:len(p)]) == p {
			l.emit(tokPunct, p, l.line)
			l.pos += len(p)
			return
		}
	}
	l.emit(tokPunct, string(rest[:1]), l.line)
	l.pos++
}

func (l *lexer) lexNumber() {
	start := l.pos
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' || c == '_' }
	if l.src[l.pos] == '0' && (l.peekAt(1)|0x20 == 'x' || l.peekAt(1)|0x20 == 'b' || l.peekAt(1)|0x20 == 'o') {
		l.pos += 2
		for l.pos < len(l.src) && (isHex(l.src[l.pos]) || l.src[l.pos] == '_') {
			l.pos++
		}
		l.emit(tokNumber, string(l.src[start:l.pos]), l.line)
		return
	}
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	if l.peekAt(0) == '.' && l.peekAt(1) != '.' {
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
	}
	if l.peekAt(0)|0x20 == 'e' {
		j := 1
		if l.peekAt(j) == '+' || l.peekAt(j) == '-' {
			j++
		}
		if c := l.peekAt(j); c >= '0' && c <= '9' {
			l.pos += j
			for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
				l.pos++
			}
		}
	}
	l.emit(tokNumber, string(l.src[start:l.pos]), l.line)
}

// lexSingle reads a single-quoted string: only \' and \\ are escapes.
func (l *lexer) lexSingle() error {
	start := l.line
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\'':
			l.pos++
			l.emit(tokString, b.String(), start)
			return nil
		case c == '\\' && (l.peekAt(1) == '\'' || l.peekAt(1) == '\\'):
			b.WriteByte(l.src[l.pos+1])
			l.pos += 2
			continue
		case c == '\n':
			l.line++
		}
		b.WriteByte(c)
		l.pos++
	}
	return l.errorf(start, "unterminated string")
}

// lexDouble reads a double-quoted string with PHP's escapes. A "$name" or
// "{$" inside marks the string as interpolated, which the evaluator refuses.
func (l *lexer) lexDouble() error {
	start := l.line
	l.pos++
	var b strings.Builder
	interp := false
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '"':
			l.pos++
			l.toks = append(l.toks, token{kind: tokString, text: b.String(), line: start, interp: interp})
			return nil
		case c == '$' && (isIdentStart(l.peekAt(1)) || l.peekAt(1) == '{'):
			interp = true
		case c == '{' && l.peekAt(1) == '$':
			interp = true
		case c == '\\':
			l.pos++
			l.lexEscape(&b)
			continue
		case c == '\n':
			l.line++
		}
		b.WriteByte(c)
		l.pos++
	}
	return l.errorf(start, "unterminated string")
}

// phpSimpleEscapes are the one-character escapes of double-quoted strings.
var phpSimpleEscapes = map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'v': '\v', 'e': 0x1b, 'f': '\f', '\\': '\\', '$': '$', '"': '"'}

// lexEscape decodes the escape after a backslash (l.pos is past it).
func (l *lexer) lexEscape(b *strings.Builder) {
	if l.pos >= len(l.src) {
		b.WriteByte('\\')
		return
	}
	c := l.src[l.pos]
	if v, ok := phpSimpleEscapes[c]; ok {
		b.WriteByte(v)
		l.pos++
		return
	}
	switch {
	case c >= '0' && c <= '7':
		v, n := 0, 0
		for n < 3 && l.pos < len(l.src) && l.src[l.pos] >= '0' && l.src[l.pos] <= '7' {
			v = v*8 + int(l.src[l.pos]-'0')
			l.pos++
			n++
		}
		b.WriteByte(byte(v)) // PHP wraps \400 and up to one byte as well
		return
	case c == 'x' && isHex(l.peekAt(1)):
		l.pos++
		v := int(unhex(l.src[l.pos]))
		l.pos++
		if isHex(l.peekAt(0)) {
			v = v*16 + int(unhex(l.src[l.pos]))
			l.pos++
		}
		b.WriteByte(byte(v))
		return
	case c == 'u' && l.peekAt(1) == '{':
		window := l.src[l.pos:min(len(l.src), l.pos+12)] // \u{10FFFF} at most, plus zeros
		end := bytes.IndexByte(window, '}')
		if end > 2 {
			if v, err := strconv.ParseUint(string(l.src[l.pos+2:l.pos+end]), 16, 32); err == nil && v <= utf8.MaxRune {
				b.WriteRune(rune(v))
				l.pos += end + 1
				return
			}
		}
	}
	b.WriteByte('\\') // unknown escapes keep their backslash
}
