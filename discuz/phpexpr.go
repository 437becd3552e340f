package discuz

// The expression parser of the PHP config reader (phplex.go): literals,
// arrays and define() arguments; anything else is unsupported.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

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
