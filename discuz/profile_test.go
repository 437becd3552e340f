package discuz

import "testing"

func TestProfileValue(t *testing.T) {
	byteLen := func(s string) int { return len(s) }
	none := func(string) string { return "" }
	text := ProfileField{FieldID: "field1", FormType: "text", Size: 8}
	tests := []struct {
		name    string
		f       ProfileField
		values  []string
		other   func(string) string
		want    string
		ok, bad bool
	}{
		{"optional empty", text, nil, none, "", true, false},
		{"required empty", ProfileField{FieldID: "field1", FormType: "text", Required: true}, []string{""}, none, "", false, false},
		{"escaped and trimmed", text, []string{" a<b "}, none, "a&lt;b", true, false},
		{"size counts escaped bytes", text, []string{"<<"}, none, "&lt;&lt;", true, false},
		{"over size", text, []string{"<<<"}, none, "&lt;&lt;&lt;", false, false},
		{"hide block dropped", text, []string{"x[hide]y[/hide]"}, none, "x", true, false},
		{"qq default pattern", ProfileField{FieldID: "qq", FormType: "text"}, []string{"0123"}, none, "0123", false, false},
		{"qq good", ProfileField{FieldID: "qq", FormType: "text"}, []string{"12345"}, none, "12345", true, false},
		{"own pattern, flags", ProfileField{FieldID: "field2", FormType: "text", Validate: "#^ab+$#i"}, []string{"ABB"}, none, "ABB", true, false},
		{"pattern Go cannot run", ProfileField{FieldID: "field2", FormType: "text", Validate: `/^(a)\1$/`}, []string{"aa"}, none, "aa", true, true},
		{"birthyear intval", ProfileField{FieldID: "birthyear", FormType: "select"}, []string{"1990x"}, none, "1990", true, false},
		{"gender 0 is a value", ProfileField{FieldID: "gender", FormType: "select", Required: true}, []string{"0"}, none, "0", true, false},
		{"select in choices", ProfileField{FieldID: "education", FormType: "select", Choices: []string{"本科", "硕士"}}, []string{"硕士"}, none, "硕士", true, false},
		{"select not offered", ProfileField{FieldID: "education", FormType: "select", Choices: []string{"本科"}}, []string{"博士"}, none, "博士", false, false},
		{"checkbox keeps offered", ProfileField{FieldID: "interest", FormType: "checkbox", Choices: []string{"a", "b", "c"}}, []string{"c", "x", "a"}, none, "c\na", true, false},
		{"checkbox over size", ProfileField{FieldID: "interest", FormType: "checkbox", Size: 1, Choices: []string{"a", "b"}}, []string{"a", "b"}, none, "a\nb", false, false},
		{"area group", ProfileField{FieldID: "birthcity", FormType: "text", Required: true}, nil, func(id string) string {
			if id == "birthprovince" {
				return "广东"
			}
			return ""
		}, "", true, false},
		{"area group empty", ProfileField{FieldID: "residecity", FormType: "text", Required: true}, nil, none, "", false, false},
	}
	for _, tt := range tests {
		got, ok, bad := ProfileValue(tt.f, tt.values, tt.other, byteLen)
		if got != tt.want || ok != tt.ok || bad != tt.bad {
			t.Errorf("%s: ProfileValue = %q, %v, %v; want %q, %v, %v", tt.name, got, ok, bad, tt.want, tt.ok, tt.bad)
		}
	}
}

func TestConnectInviteRequired(t *testing.T) {
	tests := []struct {
		name                   string
		regstatus              int64
		regconnect, qqNoInvite bool
		white, ip              string
		want                   bool
	}{
		{"open", 1, true, false, "", "1.2.3.4", false},
		{"invite only", 2, true, false, "", "1.2.3.4", true},
		{"open plus invites", 3, true, false, "", "1.2.3.4", false},
		{"closed, QQ registration on", 0, true, false, "", "1.2.3.4", false},
		{"register_invite lifts it", 2, true, true, "", "1.2.3.4", false},
		{"ip on the white list", 2, true, false, "10.0.\n1.2.", "1.2.3.4", false},
		{"ip not on it", 2, true, false, "10.0.", "1.2.3.4", true},
		{"an empty line matches all, as in Discuz", 2, true, false, "10.0.\n", "1.2.3.4", false},
	}
	for _, tt := range tests {
		if got := ConnectInviteRequired(tt.regstatus, tt.regconnect, tt.qqNoInvite, tt.white, tt.ip); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
