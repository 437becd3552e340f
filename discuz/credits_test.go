package discuz

import (
	"errors"
	"testing"
)

// TestCreditsFormula: the formulas checkformulacredits() accepts are
// evaluated with PHP's precedence and round(); the ones it refuses fall
// back to extcredits1 (cache_setting.php); an empty one is 0.
func TestCreditsFormula(t *testing.T) {
	vars := map[string]float64{"posts": 10, "digestposts": 2, "extcredits1": 3, "extcredits2": 7, "extcredits3": 1, "friends": 4}
	get := func(n string) float64 { return vars[n] }
	for _, c := range []struct {
		formula string
		want    int64
	}{
		{"posts+digestposts*5+extcredits1*2+extcredits2+extcredits3", 34},
		{"", 0},
		{" posts - friends ", 6},
		{"(posts+extcredits2)/2", 9}, // 8.5 rounds half away from zero
		{"-posts/4", -3},             // -2.5
		{"posts*-1+friends", -6},     // '-' may stand before an operand
		{"posts/3*3", 10},            // float division
		{"posts*1.5", 15},            // decimal numbers
		{"polls+posts", 10},          // polls is no count column: 0
		{"posts+", 3},                // refused: extcredits1
		{"2posts", 3},                // operand after operand
		{"posts--friends", 3},        // PHP's decrement
		{"extcredits9", 3},           // not an allowed name
		{"Posts", 3},                 // names are case-sensitive
		{"(posts", 3},                // unbalanced
		{"posts)(", 3},               // unbalanced
		{"+posts", 3},                // no unary plus
		{"system('x')", 3},           // no functions
		{"posts;extcredits2", 3},     // one expression only
		{"0x10", 3},                  // hex (PHP would take it)
		{"   ", 3},                   // blanks only: refused, not empty
	} {
		got, err := ParseCreditsFormula(c.formula).Credits(get)
		if err != nil || got != c.want {
			t.Errorf("%q = %d, %v; want %d", c.formula, got, err, c.want)
		}
	}
	if _, err := ParseCreditsFormula("posts/(friends-4)").Credits(get); !errors.Is(err, ErrDivisionByZero) {
		t.Errorf("division by zero: %v", err)
	}
}

// TestInviteAuth: getinvite()'s reading of the invite_auth cookie and of
// an invite row.
func TestInviteAuth(t *testing.T) {
	for _, c := range []struct {
		in   string
		want InviteAuth
	}{
		{"", InviteAuth{}},
		{"12,abc", InviteAuth{Parts: 2, ID: 12, Code: "abc"}},
		{"12x, abc ", InviteAuth{Parts: 2, ID: 12, Code: "abc"}},
		{"5,key,3", InviteAuth{Parts: 3, ID: 5, Code: "key", AppID: 3}},
		{"5", InviteAuth{Parts: 1, ID: 5}},
	} {
		if got := ParseInviteAuth(c.in); got != c.want {
			t.Errorf("%q: %+v, want %+v", c.in, got, c.want)
		}
	}
	now := int64(1000)
	for _, c := range []struct {
		row, code     string
		fuid, endtime int64
		want          bool
	}{
		{"AbC", "AbC", 0, 0, true},
		{"AbC", "abc", 0, 0, false},
		{"AbC", "AbC", 7, 0, false},
		{"AbC", "AbC", 0, 1000, false},
		{"AbC", "AbC", 0, 1001, true},
	} {
		if got := InviteUsable(c.row, c.code, c.fuid, c.endtime, now); got != c.want {
			t.Errorf("%+v: %v", c, got)
		}
	}
	// helper_invite::generate_key and space_key, as PHP computes them.
	if k := PersonalInviteKeyX35("5f4dcc3b5aa765d61d8327deb882cf99", 1); k != md5hex(md5hex("5f4dcc3b5aa765d61d8327deb882cf99") + "|1")[8:24] || len(k) != 16 {
		t.Errorf("generate_key %q", k)
	}
	if PersonalInviteKeyX34("site", 2, 0) != md5hex("site|2")[8:24] || PersonalInviteKeyX34("site", 2, 9) != md5hex("site|2|9")[8:24] {
		t.Error("space_key")
	}
}
