package discuz

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ProfileField is one row of pre_common_member_profile_setting, as the
// register form uses it (build_cache_fields_register).
type ProfileField struct {
	FieldID, Title, Description string
	FormType                    string // text, textarea, select, radio, checkbox, list, file
	Size                        int    // text: bytes (strlen); checkbox/list: choices at most
	Choices                     []string
	Validate                    string // a PHP regex, "" = profilevalidate's default
	Required, NeedVerify        bool
}

// Multi reports whether the field takes several values (checkbox, list).
func (f *ProfileField) Multi() bool { return f.FormType == "checkbox" || f.FormType == "list" }

// isAreaField: the birth and residence parts, which Discuz's form fills
// from its district picker and checks as a group.
func isAreaField(id string) bool {
	switch id {
	case "birthcountry", "birthprovince", "birthcity", "birthdist", "birthcommunity",
		"residecountry", "resideprovince", "residecity", "residedist", "residecommunity":
		return true
	}
	return false
}

// profileValidate is spacecp_profilevalidate.php: the checks of fields
// whose own validate is empty.
var profileValidate = map[string]string{
	"telephone": `/^((\(?\d{3,4}\)?)|(\d{3,4}-)?)\d{7,8}$/`,
	"mobile":    `/^(\+)?(86)?0?1\d{10}$/`,
	"zipcode":   `/^\d{5,6}$/`,
	"revenue":   `/^\d+$/`,
	"height":    `/^\d{1,3}$/`,
	"weight":    `/^\d{1,3}$/`,
	"qq":        `/^[1-9]*[1-9][0-9]*$/`,
}

// PHPRegexp compiles a PHP preg pattern ("/…/flags", any delimiter) as a Go
// regexp. Patterns RE2 cannot run (back-references, look-arounds) give an
// error; the caller decides.
func PHPRegexp(p string) (*regexp.Regexp, error) {
	p = strings.TrimSpace(p)
	if len(p) < 2 {
		return nil, strconv.ErrSyntax
	}
	d := p[0]
	switch d {
	case '(':
		d = ')'
	case '{':
		d = '}'
	case '[':
		d = ']'
	case '<':
		d = '>'
	}
	end := strings.LastIndexByte(p, d)
	if end <= 0 {
		return nil, strconv.ErrSyntax
	}
	body, flags := p[1:end], p[end+1:]
	var goFlags string
	for _, f := range flags {
		switch f {
		case 'i', 's', 'm':
			goFlags += string(f)
		case 'u', 'D', 'U', 'x':
			// u: Go is UTF-8 already; D: $ at the very end is Go's default
			// without m; U and x change the pattern's meaning: refuse.
			if f == 'U' || f == 'x' {
				return nil, strconv.ErrSyntax
			}
		default:
			return nil, strconv.ErrSyntax
		}
	}
	if goFlags != "" {
		body = "(?" + goFlags + ")" + body
	}
	return regexp.Compile(body)
}

// HTMLSpecialChars is dhtmlspecialchars() without flags: & " < > only.
func HTMLSpecialChars(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// ProfileValue is profile_check() on the register form: it returns the
// value Discuz stores and whether the field passes. values are the form's
// values for the field (several for checkbox/list), other the whole form
// (the area fields pass as a group). byteLen is strlen in the site's
// charset. A validate pattern Go cannot run is skipped (badPattern true).
func ProfileValue(f ProfileField, values []string, other func(id string) string, byteLen func(string) int) (stored string, ok, badPattern bool) {
	first := ""
	if len(values) > 0 {
		first = values[0]
	}
	if !f.Multi() && first == "" || f.Multi() && len(values) == 0 {
		if !f.Required {
			return "", true, false
		}
		if isAreaField(f.FieldID) {
			group := "reside"
			if strings.HasPrefix(f.FieldID, "birth") {
				group = "birth"
			}
			for _, part := range []string{"country", "province", "city", "dist", "community"} {
				if v := other(group + part); v != "" && v != "0" {
					return "", true, false
				}
			}
		}
		return "", false, false
	}
	switch {
	case f.FieldID == "birthday" || f.FieldID == "birthmonth" || f.FieldID == "birthyear" || f.FieldID == "gender":
		return strconv.FormatInt(PHPIntval(first), 10), true, false
	case isAreaField(f.FieldID):
		return getstr(first), true, false
	}
	switch f.FormType {
	case "text", "textarea":
		v := getstr(first)
		if f.Size > 0 && byteLen(v) > f.Size {
			return v, false, false
		}
		pattern := f.Validate
		if pattern == "" {
			pattern = profileValidate[f.FieldID]
		}
		if pattern != "" {
			re, err := PHPRegexp(pattern)
			if err != nil {
				return v, true, true
			}
			if !re.MatchString(v) {
				return v, false, false
			}
		}
		return v, true, false
	case "checkbox", "list":
		var kept []string
		for _, v := range values {
			if slices.Contains(f.Choices, v) {
				kept = append(kept, v)
			}
		}
		if f.Size > 0 && len(kept) > f.Size {
			return strings.Join(kept, "\n"), false, false
		}
		return strings.Join(kept, "\n"), true, false
	case "radio", "select":
		return first, slices.Contains(f.Choices, first), false
	}
	return first, true, false
}

// getstr is function_home.php's getstr($v) as profile_check calls it: trim,
// cut at three NULs, drop [hide] blocks, escape HTML, trim.
func getstr(s string) string {
	s = PHPTrim(s)
	if i := strings.Index(s, "\x00\x00\x00"); i >= 0 {
		s = s[:i]
	}
	s = hideBlock.ReplaceAllString(s, "")
	return PHPTrim(HTMLSpecialChars(s))
}

var hideBlock = regexp.MustCompile(`(?is)\[hide=?\d*\](.*?)\[/hide\]`)

// PHPIntval is intval() of a form value: leading space, sign and digits.
func PHPIntval(s string) int64 { return phpIntval(s) }
