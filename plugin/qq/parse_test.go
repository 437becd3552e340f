package qq

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTokenResponse(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     *Token
		wantCode int
		wantKind Kind
	}{
		{"form default", tokenForm, &Token{AccessToken: "FE04************************CCE2", RefreshToken: "88E4************************BE14", ExpiresIn: 7776000}, 0, 0},
		{"form 60 days, trailing newline", tokenForm5184000, &Token{AccessToken: "FE04************************CCE2", RefreshToken: "88E4************************BE14", ExpiresIn: 5184000}, 0, 0},
		{"json expires_in string", tokenJSONString, &Token{AccessToken: testAccessToken, RefreshToken: testRefresh, ExpiresIn: 5184000}, 0, 0},
		{"json expires_in number + openid", tokenJSONNumber, &Token{AccessToken: testAccessToken, RefreshToken: testRefresh, ExpiresIn: 7776000, OpenID: testOpenID}, 0, 0},
		{"json expires_in float", `{"access_token":"AT1234","expires_in":7776000.0}`, &Token{AccessToken: "AT1234", ExpiresIn: 7776000}, 0, 0},
		{"json with BOM and spaces", "\xef\xbb\xbf \n" + tokenJSONString + "\n", &Token{AccessToken: testAccessToken, RefreshToken: testRefresh, ExpiresIn: 5184000}, 0, 0},
		{"jsonp success", "callback( " + tokenJSONString + " );\n", &Token{AccessToken: testAccessToken, RefreshToken: testRefresh, ExpiresIn: 5184000}, 0, 0},
		{"jsonp error 100020", tokenJSONPReused, nil, 100020, KindRelogin},
		{"json error 100019", tokenJSONCodeError, nil, 100019, KindRelogin},
		{"json error as string", tokenJSONStrError, nil, 100019, KindRelogin},
		{"json error 100010", tokenJSONRedirect, nil, 100010, KindConfig},
		{"json error 100009", tokenJSONBadSecret, nil, 100009, KindConfig},
		{"error with a token next to it", `{"error":100019,"access_token":"X"}`, nil, 100019, KindRelogin},
		{"non-numeric error", `{"error":"invalid_request"}`, nil, 0, KindUnexpected},
		{"form error", "error=110405&error_description=too+many", nil, 110405, KindRateLimited},
		{"error 0 is success", `{"error":0,"access_token":"AT1234"}`, &Token{AccessToken: "AT1234"}, 0, 0},
		{"empty access_token", `{"access_token":"","expires_in":"5184000"}`, nil, 0, KindUnexpected},
		{"no access_token", `{"expires_in":"5184000"}`, nil, 0, KindUnexpected},
		{"form without access_token", "expires_in=7776000&refresh_token=x", nil, 0, KindUnexpected},
		{"empty body", "", nil, 0, KindUnexpected},
		{"whitespace body", " \r\n", nil, 0, KindUnexpected},
		{"html page", htmlErrorPage, nil, 0, KindUnexpected},
		{"truncated json", tokenTruncated, nil, 0, KindUnexpected},
		{"truncated jsonp", "callback( {\"error\":100020,\"error_descr", nil, 0, KindUnexpected},
		{"json array", `[{"access_token":"x"}]`, nil, 0, KindUnexpected},
		{"trailing garbage", tokenJSONString + "{}", nil, 0, KindUnexpected},
		{"negative expires_in", `{"access_token":"AT1234","expires_in":-5}`, &Token{AccessToken: "AT1234"}, 0, 0},
		{"garbage expires_in", `{"access_token":"AT1234","expires_in":"soon"}`, &Token{AccessToken: "AT1234"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTokenResponse([]byte(tt.body))
			if tt.want != nil {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if *got != *tt.want {
					t.Fatalf("got %#v\nwant %#v", []any{got.AccessToken, got.RefreshToken, got.ExpiresIn, got.OpenID}, []any{tt.want.AccessToken, tt.want.RefreshToken, tt.want.ExpiresIn, tt.want.OpenID})
				}
				return
			}
			checkErr(t, got == nil, err, "token", tt.wantCode, tt.wantKind)
		})
	}
}

func TestParseMeResponse(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     *Me
		wantCode int
		wantKind Kind
	}{
		{"jsonp", meJSONP, &Me{ClientID: testAppID, OpenID: testOpenID}, 0, 0},
		{"jsonp unionid", meJSONPUnionID, &Me{ClientID: testAppID, OpenID: testOpenID, UnionID: testUnionID}, 0, 0},
		{"jsonp odd whitespace", meJSONPSpaces, &Me{ClientID: testAppID, OpenID: testOpenID}, 0, 0},
		{"jsonp without semicolon", "callback({\"client_id\":\"101896710\",\"openid\":\"" + testOpenID + "\"})", &Me{ClientID: testAppID, OpenID: testOpenID}, 0, 0},
		{"jsonp with parens inside a string", "callback( {\"client_id\":\"101896710\",\"openid\":\"" + testOpenID + "\",\"x\":\"a)(b\"} );", &Me{ClientID: testAppID, OpenID: testOpenID}, 0, 0},
		{"json", meJSON, &Me{ClientID: testAppID, OpenID: testOpenID, UnionID: testUnionID}, 0, 0},
		{"json openid not last", `{"openid":"` + testOpenID + `","unionid":"` + testUnionID + `","client_id":101896710}`, &Me{ClientID: testAppID, OpenID: testOpenID, UnionID: testUnionID}, 0, 0},
		{"wap form", meWAPForm, &Me{ClientID: "100222222", OpenID: "17042B5C7D9E1F2A4B6C8D0E2F4A878C"}, 0, 0},
		{"jsonp error 100016", meJSONPError, nil, 100016, KindRelogin},
		{"json error 100013", meJSONIllegal, nil, 100013, KindRelogin},
		{"companyid not set", meCompanyID, nil, 100048, KindPermission},
		{"companyid not set jsonp", meCompanyJSONP, nil, 100048, KindPermission},
		{"no unionid permission", meNoUnionPerm, nil, 100049, KindPermission},
		{"missing openid", `{"client_id":"101896710"}`, nil, 0, KindUnexpected},
		{"empty openid", `{"client_id":"101896710","openid":""}`, nil, 0, KindUnexpected},
		{"openid with quotes", `{"client_id":"101896710","openid":"a'b"}`, nil, 0, KindUnexpected},
		{"openid too long", `{"client_id":"1","openid":"` + strings.Repeat("A", 65) + `"}`, nil, 0, KindUnexpected},
		{"truncated jsonp", "callback( {\"client_id\":\"101896710\",\"openid\":\"1AE2", nil, 0, KindUnexpected},
		{"jsonp no object", "callback( 42 );", nil, 0, KindUnexpected},
		{"jsonp garbage after", "callback( {\"openid\":\"A\"} ); alert(1)", nil, 0, KindUnexpected},
		{"html", htmlLoginNotice, nil, 0, KindUnexpected},
		{"empty", "", nil, 0, KindUnexpected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMeResponse([]byte(tt.body))
			if tt.want != nil {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if *got != *tt.want {
					t.Fatalf("got %+v want %+v", *got, *tt.want)
				}
				return
			}
			checkErr(t, got == nil, err, "me", tt.wantCode, tt.wantKind)
		})
	}
}

func TestParseUserInfoResponse(t *testing.T) {
	tests := []struct {
		name               string
		body               string
		wantNick, wantAvat string
		wantCode           int
		wantKind           Kind
		wantErr            bool
	}{
		{"real response", userInfoOK, "飞翔的企鹅", "http://thirdqq.qlogo.cn/g?b=oidb&k=QtAu5OiaSfqGD0kfclwvxJA&s=100&t=1557635654", 0, 0, false},
		{"no qq_2 falls back to qq_1", userInfoNoQQ2, "Tom", "http://q.qlogo.cn/qqapp/101896710/1AE29162841F18BC992BF91A445570C5/40", 0, 0, false},
		{"only figureurl_qq", userInfoOnlyQQ, "Tom", "http://thirdqq.qlogo.cn/g?b=oidb&k=x&s=100", 0, 0, false},
		{"html nickname, javascript avatar", userInfoHTML, "飞翔的企鹅 x", "http://q.qlogo.cn/a", 0, 0, false},
		{"ret as string 0", `{"ret":"0","nickname":"a<b"}`, "a<b", "", 0, 0, false},
		{"jsonp", "callback( " + userInfoNoQQ2 + " );", "Tom", "http://q.qlogo.cn/qqapp/101896710/1AE29162841F18BC992BF91A445570C5/40", 0, 0, false},
		{"ret 1002", userInfo1002, "", "", 1002, KindRelogin, true},
		{"ret 2021", userInfo2021, "", "", 2021, KindRelogin, true},
		{"ret -1", userInfoMinus1, "", "", -1, KindUnexpected, true},
		{"ret 100030", userInfo100030, "", "", 100030, KindRelogin, true},
		{"error key", meJSONIllegal, "", "", 100013, KindRelogin, true},
		{"no ret", userInfoNoRet, "", "", 0, KindUnexpected, true},
		{"ret null", `{"ret":null,"nickname":"x"}`, "", "", 0, KindUnexpected, true},
		{"form is not user info", "ret=0&nickname=x", "", "", 0, KindUnexpected, true},
		{"html", htmlErrorPage, "", "", 0, KindUnexpected, true},
		{"truncated", userInfoOK[:120], "", "", 0, KindUnexpected, true},
		{"empty", "", "", "", 0, KindUnexpected, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUserInfoResponse([]byte(tt.body))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if got.Nickname != tt.wantNick || got.AvatarURL != tt.wantAvat || got.Raw == nil {
					t.Fatalf("got nick %q avatar %q, want %q %q", got.Nickname, got.AvatarURL, tt.wantNick, tt.wantAvat)
				}
				return
			}
			checkErr(t, got == nil, err, "get_user_info", tt.wantCode, tt.wantKind)
		})
	}
	u, _ := ParseUserInfoResponse([]byte(userInfoOK))
	if u.Raw["city"] != "安道尔城" {
		t.Errorf("Raw lost fields: %v", u.Raw["city"])
	}
}

func checkErr(t *testing.T, nilResult bool, err error, ep string, code int, kind Kind) {
	t.Helper()
	if err == nil || !nilResult {
		t.Fatalf("want an error and a nil result, got err=%v", err)
	}
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatalf("not a *Error: %T %v", err, err)
	}
	if qe.Code != code || qe.Kind != kind || qe.Endpoint != ep {
		t.Fatalf("got code %d kind %v endpoint %q, want %d %v %q (%v)", qe.Code, qe.Kind, qe.Endpoint, code, kind, ep, err)
	}
	checkSafe(t, err.Error())
}

// checkSafe asserts that an error string holds no test secret and at most a
// ~100-byte excerpt of a body.
func checkSafe(t *testing.T, s string) { t.Helper(); checkSafeN(t, s, 400) }

func checkSafeN(t *testing.T, s string, limit int) {
	t.Helper()
	for _, secret := range []string{testAppKey, testAccessToken, testRefresh, testCode} {
		if strings.Contains(s, secret) {
			t.Fatalf("error string leaks a secret: %s", s)
		}
	}
	if len(s) > limit {
		t.Fatalf("error string too long (%d): %s", len(s), s)
	}
}

func TestUnexpectedExcerptBounded(t *testing.T) {
	body := strings.Repeat("<p>QQ登录</p>", 200) + testAccessToken
	_, err := ParseTokenResponse([]byte(body))
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatal(err)
	}
	if !strings.Contains(qe.Detail, "QQ登录") {
		t.Errorf("detail should carry a short excerpt: %q", qe.Detail)
	}
	// "HTML … (2230 bytes): " + ≤100 bytes quoted (CJK is escaped by %q? no: printed as is).
	if len(qe.Detail) > 200 {
		t.Errorf("detail too long: %d %q", len(qe.Detail), qe.Detail)
	}
	_, err = ParseTokenResponse([]byte(tokenTruncated))
	if err == nil || strings.Contains(err.Error(), "A852CFCD") {
		t.Errorf("truncated token reply must not echo the token: %v", err)
	}
}

func TestCleanNickname(t *testing.T) {
	for in, want := range map[string]string{
		"飞翔的企鹅":                   "飞翔的企鹅",
		"<b>bold</b>":             "bold",
		"&lt;b&gt;x&lt;/b&gt;":    "x",
		"I <3 QQ":                 "I <3 QQ",
		"a\x00b\u2028c\n":         "abc",
		"  😀 smile ":              "😀 smile",
		"\xff\xfeok":              "\uFFFDok",
		"<<script>script>x":       "script>x",
		"<a href='x'>y</a>&amp;z": "y&z",
	} {
		if got := cleanNickname(in); got != want {
			t.Errorf("cleanNickname(%q) = %q, want %q", in, got, want)
		}
	}
}
