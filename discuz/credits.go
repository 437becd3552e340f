package discuz

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Discuz's creditsformula (总积分计算公式): an arithmetic expression over a
// member's pre_common_member_count columns, which Discuz checks with
// checkformulacredits() and evaluates with eval() in countcredit(). It is
// parsed here, never run as code.

// CreditsFormulaVars are the names checkformulacredits() allows. polls is
// not a pre_common_member_count column: it reads as 0, as in PHP.
var CreditsFormulaVars = []string{"extcredits1", "extcredits2", "extcredits3", "extcredits4", "extcredits5",
	"extcredits6", "extcredits7", "extcredits8", "digestposts", "posts", "threads", "oltime", "friends",
	"doings", "polls", "blogs", "albums", "sharings"}

// ErrDivisionByZero: the formula divides by zero for this member (PHP 7
// warns and gives INF, PHP 8 stops with an error; neither stores a total).
var ErrDivisionByZero = errors.New("creditsformula divides by zero")

// CreditsFormula is a parsed formula.
type CreditsFormula struct {
	root *formulaNode // nil: an empty formula, worth 0
}

type formulaNode struct {
	op          byte // 0 number, 'v' variable, 'n' negation, or + - * /
	num         float64
	name        string
	left, right *formulaNode
}

// ParseCreditsFormula reads the formula as checkformulacredits() accepts
// it: the allowed names, decimal numbers, + - * / and parentheses, a '-'
// also in front of an operand; spaces between. A formula Discuz would
// reject becomes extcredits1, as cache_setting.php replaces it; an empty
// one is worth 0, as countcredit() leaves it. (Discuz's PHP tokenizer also
// takes hex, octal and exponent numbers; those are refused here, and so
// fall back to extcredits1.)
func ParseCreditsFormula(s string) *CreditsFormula {
	if s == "" {
		return &CreditsFormula{}
	}
	p := &formulaParser{s: s}
	n, ok := p.expr()
	p.space()
	// "--" is PHP's decrement token, which Discuz refuses.
	if !ok || p.i != len(p.s) || strings.Contains(s, "--") {
		return &CreditsFormula{root: &formulaNode{op: 'v', name: "extcredits1"}}
	}
	return &CreditsFormula{root: n}
}

// Credits is round(formula) for a member whose columns vars gives.
func (f *CreditsFormula) Credits(vars func(name string) float64) (int64, error) {
	if f.root == nil {
		return 0, nil
	}
	v, err := f.root.eval(vars)
	if err != nil {
		return 0, err
	}
	return int64(math.Round(v)), nil // PHP's round(): half away from zero
}

func (n *formulaNode) eval(vars func(string) float64) (float64, error) {
	switch n.op {
	case 0:
		return n.num, nil
	case 'v':
		return vars(n.name), nil
	}
	l, err := n.left.eval(vars)
	if err != nil {
		return 0, err
	}
	if n.op == 'n' {
		return -l, nil
	}
	r, err := n.right.eval(vars)
	if err != nil {
		return 0, err
	}
	switch n.op {
	case '+':
		return l + r, nil
	case '-':
		return l - r, nil
	case '*':
		return l * r, nil
	}
	if r == 0 {
		return 0, ErrDivisionByZero
	}
	return l / r, nil
}

type formulaParser struct {
	s string
	i int
}

func (p *formulaParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *formulaParser) peek() byte {
	p.space()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *formulaParser) expr() (*formulaNode, bool) {
	l, ok := p.term()
	for ok {
		c := p.peek()
		if c != '+' && c != '-' {
			break
		}
		p.i++
		var r *formulaNode
		if r, ok = p.term(); ok {
			l = &formulaNode{op: c, left: l, right: r}
		}
	}
	return l, ok
}

func (p *formulaParser) term() (*formulaNode, bool) {
	l, ok := p.unary()
	for ok {
		c := p.peek()
		if c != '*' && c != '/' {
			break
		}
		p.i++
		var r *formulaNode
		if r, ok = p.unary(); ok {
			l = &formulaNode{op: c, left: l, right: r}
		}
	}
	return l, ok
}

func (p *formulaParser) unary() (*formulaNode, bool) {
	if p.peek() == '-' {
		p.i++
		n, ok := p.unary()
		return &formulaNode{op: 'n', left: n}, ok
	}
	return p.primary()
}

func (p *formulaParser) primary() (*formulaNode, bool) {
	c := p.peek()
	switch {
	case c == '(':
		p.i++
		n, ok := p.expr()
		if !ok || p.peek() != ')' {
			return nil, false
		}
		p.i++
		return n, true
	case c >= '0' && c <= '9' || c == '.':
		start := p.i
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.') {
			p.i++
		}
		if p.i < len(p.s) && isIdentByte(p.s[p.i]) {
			return nil, false // 2posts, 0x1f, 1e3
		}
		v, err := strconv.ParseFloat(p.s[start:p.i], 64)
		return &formulaNode{num: v}, err == nil
	case isIdentByte(c):
		start := p.i
		for p.i < len(p.s) && (isIdentByte(p.s[p.i]) || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
			p.i++
		}
		name := p.s[start:p.i]
		for _, v := range CreditsFormulaVars {
			if v == name {
				return &formulaNode{op: 'v', name: name}, true
			}
		}
	}
	return nil, false
}

func isIdentByte(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// UserUsergroupNote is lang_notification's user_usergroup, the notice
// checkusergroup() sends when credits move a member to another group.
func UserUsergroupNote(grouptitle string) string {
	return `您的用户组升级为 <a href="home.php?mod=spacecp&ac=credit&op=usergroup">` + grouptitle +
		`</a> &nbsp; <a href="home.php?mod=spacecp&ac=usergroup" target="_blank" class="lit">看看我能做什么 &rsaquo;</a>`
}
