package qq

import (
	"errors"
	"strings"
	"testing"
)

// Every code of the table in qq-api.md §1.6 (100047 is not in it).
func tableCodes() []int {
	var codes []int
	for c := 100000; c <= 100051; c++ {
		if c != 100047 {
			codes = append(codes, c)
		}
	}
	codes = append(codes, 110401, 110404, 110405, 110406)
	for c := 110500; c <= 110510; c++ {
		codes = append(codes, c)
	}
	return codes
}

func TestExplainCoversTable(t *testing.T) {
	seen := map[string]int{}
	for _, code := range tableCodes() {
		zh, en := Explain(code)
		if zh == "" || en == "" || strings.Contains(en, "unknown") {
			t.Errorf("Explain(%d) = %q, %q", code, zh, en)
		}
		if prev, dup := seen[en]; dup && code < 110500 {
			t.Errorf("Explain(%d) repeats the text of %d", code, prev)
		}
		seen[en] = code
	}
	if _, en := Explain(999); !strings.Contains(en, "unknown error code 999") {
		t.Errorf("unknown code: %q", en)
	}
}

func TestAdminHintsAndKinds(t *testing.T) {
	const cb = "https://bbs.example.com/connect/qq/callback"
	tests := []struct {
		code int
		kind Kind
		hint string // substring expected in the hint
	}{
		{100010, KindConfig, "精确登记为 " + cb},
		{100009, KindConfig, "App Key"},
		{100002, KindConfig, "App Key"},
		{100001, KindConfig, "APP ID"},
		{100008, KindConfig, "APP ID"},
		{100013, KindRelogin, "logs in again"},
		{100014, KindRelogin, "logs in again"},
		{100015, KindRelogin, "logs in again"},
		{100016, KindRelogin, "logs in again"},
		{100030, KindRelogin, "authorize again"},
		{110405, KindRateLimited, "retry later"},
		{100032, KindRateLimited, "retry later"},
		{100048, KindPermission, "openid still works"},
		{100049, KindPermission, "openid still works"},
		{100019, KindRelogin, "restarts the login"},
		{100020, KindRelogin, "restarts the login"},
		{110406, KindConfig, "only the developer's own QQ"},
		{100011, KindConfig, "only the developer's own QQ"},
		{1002, KindRelogin, "logs in again"},
		{110503, KindUnexpected, "QQ internal error"},
		{100029, KindUnexpected, "bad HTTP request"},
	}
	for _, tt := range tests {
		e := &Error{Code: tt.code, Kind: kindOf(tt.code), Endpoint: "token", fromQQ: true}
		if e.Kind != tt.kind {
			t.Errorf("kindOf(%d) = %v, want %v", tt.code, e.Kind, tt.kind)
		}
		if h := e.AdminHint(cb); !strings.Contains(h, tt.hint) {
			t.Errorf("AdminHint for %d = %q, want it to contain %q", tt.code, h, tt.hint)
		}
		zh, en := e.UserMessage()
		if zh == "" || en == "" || strings.Contains(zh+en, "100") {
			t.Errorf("UserMessage for %d = %q / %q", tt.code, zh, en)
		}
	}
	for _, code := range tableCodes() {
		if h := (&Error{Code: code, Kind: kindOf(code)}).AdminHint(cb); h == "" {
			t.Errorf("no hint for %d", code)
		}
	}
}

func TestUserMessages(t *testing.T) {
	want := map[Kind]string{
		KindConfig:      "联系网站管理员",
		KindPermission:  "联系网站管理员",
		KindRelogin:     "重新登录",
		KindRateLimited: "稍后再试",
		KindTransport:   "QQ登录暂时不可用，请稍后再试",
		KindUnexpected:  "QQ登录暂时不可用，请稍后再试",
	}
	for k, sub := range want {
		zh, en := (&Error{Kind: k}).UserMessage()
		if !strings.Contains(zh, sub) || en == "" {
			t.Errorf("%v: %q / %q", k, zh, en)
		}
		if k.String() == "" || strings.HasPrefix(k.String(), "kind(") {
			t.Errorf("Kind %d has no name", k)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Code: 100019, Description: "code to access token error", Endpoint: "token", fromQQ: true},
			`qq token: error 100019 "code to access token error"`},
		{&Error{Code: 100010, Description: "redirect uri is illegal", Endpoint: "token", HTTPStatus: 400, fromQQ: true},
			`qq token: error 100010 "redirect uri is illegal" (HTTP 400)`},
		{&Error{Endpoint: "me", Kind: KindTransport, HTTPStatus: 502, Detail: "Bad Gateway"},
			`qq me: transport: HTTP 502: Bad Gateway`},
		{&Error{Endpoint: "get_user_info", Kind: KindUnexpected, HTTPStatus: 200, Detail: "empty body"},
			`qq get_user_info: unexpected: empty body`},
		{&Error{Endpoint: "me", Kind: KindConfig, Detail: "x", err: ErrClientIDMismatch},
			`qq me: config: x: ` + ErrClientIDMismatch.Error()},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
	if !errors.Is(tests[4].err, ErrClientIDMismatch) {
		t.Error("errors.Is through Unwrap")
	}
}

func TestDescriptionSanitized(t *testing.T) {
	body := `{"error":100016,"error_description":"access token ` + testAccessToken + ` check failed` + strings.Repeat("!", 500) + `\u0000\n"}`
	_, err := ParseMeResponse([]byte(body))
	var qe *Error
	if !errors.As(err, &qe) || qe.Code != 100016 {
		t.Fatal(err)
	}
	if strings.Contains(qe.Description, testAccessToken) || len(qe.Description) > 200 || strings.ContainsAny(qe.Description, "\x00\n") {
		t.Fatalf("description not sanitized: %q", qe.Description)
	}
}
