package discuz

import (
	"bytes"
	"errors"
	"fmt"
	"math"
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

// ---- values ----

type valKind int

const (
	valNull valKind = iota
	valBool
	valInt
	valFloat
	valString
	valArray
	valUnsupported // an expression this reader does not evaluate
)

type phpValue struct {
	kind valKind
	b    bool
	i    int64
	f    float64
	s    string
	arr  *phpArray
	line int
}

// phpArray is an ordered PHP array. Keys are stored as strings; an int key
// and its canonical decimal string ("1") are the same key, as in PHP.
type phpArray struct {
	keys []string
	vals map[string]*phpValue
	next int64
}

func newPHPArray() *phpArray { return &phpArray{vals: map[string]*phpValue{}} }

func (a *phpArray) get(k string) *phpValue { return a.vals[k] }

func (a *phpArray) set(k string, v *phpValue) {
	if _, ok := a.vals[k]; !ok {
		a.keys = append(a.keys, k)
	}
	a.vals[k] = v
	if n, ok := canonicalInt(k); ok && n >= a.next && n < math.MaxInt64 {
		a.next = n + 1
	}
}

func (a *phpArray) appendValue(v *phpValue) {
	a.set(strconv.FormatInt(a.next, 10), v)
}

// canonicalInt reports whether k is a string PHP would turn into an int key.
func canonicalInt(k string) (int64, bool) {
	n, err := strconv.ParseInt(k, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != k {
		return 0, false
	}
	return n, true
}

// phpString is PHP's string conversion of a scalar; ok is false for
// arrays and unsupported values.
func (v *phpValue) phpString() (string, bool) {
	switch v.kind {
	case valNull:
		return "", true
	case valBool:
		if v.b {
			return "1", true
		}
		return "", true
	case valInt:
		return strconv.FormatInt(v.i, 10), true
	case valFloat:
		return phpFloatString(v.f), true
	case valString:
		return v.s, true
	}
	return "", false
}

// phpFloatString is PHP's (string) of a float with precision=14:
// 1.5, 100, 0.3, 1.0E+20, 1.234E-5, INF, NAN.
func phpFloatString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NAN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	}
	s := strconv.FormatFloat(f, 'G', 14, 64)
	mant, exp, ok := strings.Cut(s, "E")
	if !ok {
		return s
	}
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	sign := exp[:1]
	exp = strings.TrimLeft(exp[1:], "0")
	return mant + "E" + sign + exp
}

// truthy is PHP's boolean conversion (unsupported values are false).
func (v *phpValue) truthy() bool {
	switch v.kind {
	case valBool:
		return v.b
	case valInt:
		return v.i != 0
	case valFloat:
		return v.f != 0
	case valString:
		return v.s != "" && v.s != "0"
	case valArray:
		return len(v.arr.keys) > 0
	}
	return false
}

// arrayKey converts a scalar to a PHP array key.
func (v *phpValue) arrayKey() (string, bool) {
	switch v.kind {
	case valNull:
		return "", true
	case valBool:
		if v.b {
			return "1", true
		}
		return "0", true
	case valInt:
		return strconv.FormatInt(v.i, 10), true
	case valFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) || math.Abs(v.f) >= 9.2e18 {
			return "", false
		}
		return strconv.FormatInt(int64(v.f), 10), true
	case valString:
		return v.s, true
	}
	return "", false
}

// ---- expression parser ----

// errUnsupported means valid-looking PHP that this reader does not
// evaluate (a function call, a constant, arithmetic, interpolation).
var errUnsupported = errors.New("unsupported expression")

const maxNesting = 64

type parser struct {
	toks []token
	pos  int
	file string
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &ConfigError{File: p.file, Line: t.line, Msg: fmt.Sprintf(format, args...)}
}

// canFollowOperand reports whether t may come right after a complete
// operand in PHP. A second operand straight after the first (a string, a
// number, a variable, a word) means a missing ';' or ','.
func canFollowOperand(t token) bool {
	switch t.kind {
	case tokPunct, tokEOF:
		return true
	case tokIdent:
		switch strings.ToLower(t.text) {
		case "and", "or", "xor", "instanceof":
			return true
		}
	}
	return false
}

// continuesExpr reports whether t, found after a literal, is an operator
// that makes the expression more than a literal ("'a' ?: 'b'", "1 + 2").
func continuesExpr(t token) bool {
	if t.kind == tokIdent {
		return canFollowOperand(t)
	}
	if t.kind != tokPunct {
		return false
	}
	switch t.text {
	case ";", ")", "]", "}", ",", "=>":
		return false
	}
	return true
}

// parseExpr evaluates a literal expression: scalars, array(...)/[...],
// unary minus on numbers, parentheses and '.' concatenation. It returns
// errUnsupported for anything else that is not obviously broken.
func (p *parser) parseExpr(depth int) (*phpValue, error) {
	v, err := p.parseOperand(depth)
	if err != nil {
		return nil, err
	}
	for p.isPunct(".") {
		p.next()
		r, err := p.parseOperand(depth)
		if err != nil {
			return nil, err
		}
		ls, ok1 := v.phpString()
		rs, ok2 := r.phpString()
		if !ok1 || !ok2 {
			return nil, errUnsupported
		}
		v = &phpValue{kind: valString, s: ls + rs, line: v.line}
	}
	if t := p.peek(); !canFollowOperand(t) {
		return nil, p.errorf(t, "unexpected %s after a value (missing ';' or ','?)", t.describe())
	}
	return v, nil
}

func (p *parser) parseOperand(depth int) (*phpValue, error) {
	if depth > maxNesting {
		return nil, p.errorf(p.peek(), "arrays nested too deeply")
	}
	t := p.next()
	switch t.kind {
	case tokString:
		if t.interp {
			return nil, errUnsupported
		}
		return &phpValue{kind: valString, s: t.text, line: t.line}, nil
	case tokNumber:
		return parseNumber(t)
	case tokIdent:
		switch strings.ToLower(t.text) {
		case "true", "false":
			return &phpValue{kind: valBool, b: strings.EqualFold(t.text, "true"), line: t.line}, nil
		case "null":
			return &phpValue{kind: valNull, line: t.line}, nil
		case "array":
			if p.isPunct("(") {
				p.next()
				return p.parseArray(")", t.line, depth)
			}
		}
		return nil, errUnsupported
	case tokPunct:
		switch t.text {
		case "[":
			return p.parseArray("]", t.line, depth)
		case "(":
			v, err := p.parseExpr(depth + 1)
			if err != nil {
				return nil, err
			}
			if !p.isPunct(")") {
				return nil, errUnsupported
			}
			p.next()
			return v, nil
		case "-", "+":
			if p.peek().kind != tokNumber {
				return nil, errUnsupported
			}
			v, err := parseNumber(p.next())
			if err != nil || t.text == "+" {
				return v, err
			}
			if v.kind == valInt && v.i != math.MinInt64 {
				v.i = -v.i
			} else if v.kind == valInt {
				v = &phpValue{kind: valFloat, f: -float64(v.i), line: v.line}
			} else {
				v.f = -v.f
			}
			return v, nil
		case ";", ")", "]", "}", ",", "=>", "=":
			return nil, p.errorf(t, "expected a value, found %s", t.describe())
		}
	case tokEOF:
		return nil, p.errorf(t, "unexpected end of file, expected a value")
	}
	return nil, errUnsupported
}

// parseArray reads elements up to the closing bracket (already past the
// opening one).
func (p *parser) parseArray(closer string, line, depth int) (*phpValue, error) {
	arr := newPHPArray()
	for !p.isPunct(closer) {
		if p.isPunct("...") {
			return nil, errUnsupported
		}
		v, err := p.parseExpr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.isPunct("=>") {
			p.next()
			k, ok := v.arrayKey()
			if !ok {
				return nil, errUnsupported
			}
			if v, err = p.parseExpr(depth + 1); err != nil {
				return nil, err
			}
			arr.set(k, v)
		} else {
			arr.appendValue(v)
		}
		if p.isPunct(",") {
			p.next()
			continue
		}
		if !p.isPunct(closer) {
			t := p.peek()
			if t.kind == tokEOF || t.kind == tokPunct && (t.text == ";" || t.text == ")" || t.text == "]") {
				return nil, p.errorf(t, "expected %q to close the array opened on line %d, found %s", closer, line, t.describe())
			}
			return nil, errUnsupported
		}
	}
	p.next()
	return &phpValue{kind: valArray, arr: arr, line: line}, nil
}

// parseNumber evaluates a PHP numeric literal (decimal, 0x, 0b, 0o or
// leading-0 octal, floats, '_' separators). Integers that overflow become
// floats, as in PHP.
func parseNumber(t token) (*phpValue, error) {
	s := strings.ReplaceAll(t.text, "_", "")
	lower := strings.ToLower(s)
	base := 10
	digits := s
	switch {
	case strings.HasPrefix(lower, "0x"):
		base, digits = 16, s[2:]
	case strings.HasPrefix(lower, "0b"):
		base, digits = 2, s[2:]
	case strings.HasPrefix(lower, "0o"):
		base, digits = 8, s[2:]
	case strings.ContainsAny(lower, ".e"):
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, &ConfigError{Line: t.line, Msg: "malformed number"}
		}
		return &phpValue{kind: valFloat, f: f, line: t.line}, nil
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	n, err := strconv.ParseInt(digits, base, 64)
	if err == nil {
		return &phpValue{kind: valInt, i: n, line: t.line}, nil
	}
	if u, uerr := strconv.ParseUint(digits, base, 64); uerr == nil {
		return &phpValue{kind: valFloat, f: float64(u), line: t.line}, nil
	}
	if f, ferr := strconv.ParseFloat(digits, 64); ferr == nil && base == 10 {
		return &phpValue{kind: valFloat, f: f, line: t.line}, nil
	}
	return nil, &ConfigError{Line: t.line, Msg: "malformed number"}
}

// skipStatement moves past the rest of a statement: to the ';' at bracket
// depth 0, or past a '}' that closes a block the statement opened.
func (p *parser) skipStatement() error {
	type open struct {
		closer string
		line   int
	}
	var stack []open
	for {
		t := p.next()
		switch t.kind {
		case tokEOF:
			if len(stack) > 0 {
				o := stack[len(stack)-1]
				return p.errorf(token{line: o.line}, "bracket opened here is not closed (expected %q before the end of file)", o.closer)
			}
			return p.errorf(t, "unexpected end of file, expected ';'")
		case tokPunct:
			switch t.text {
			case "(":
				stack = append(stack, open{")", t.line})
			case "[":
				stack = append(stack, open{"]", t.line})
			case "{":
				stack = append(stack, open{"}", t.line})
			case ")", "]", "}":
				if len(stack) == 0 || stack[len(stack)-1].closer != t.text {
					return p.errorf(t, "unexpected %q", t.text)
				}
				stack = stack[:len(stack)-1]
				if t.text == "}" && len(stack) == 0 {
					return nil
				}
			case ";":
				if len(stack) == 0 {
					return nil
				}
			}
		}
	}
}

// fixFile fills in the file name of ConfigErrors made without one.
func fixFile(err error, file string) error {
	var ce *ConfigError
	if errors.As(err, &ce) && ce.File == "" {
		ce.File = file
	}
	return err
}
