package qq

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Seeds are the real bodies plus the shapes that broke other clients.
var fuzzSeeds = []string{
	tokenForm, tokenForm5184000, tokenJSONString, tokenJSONNumber, tokenJSONPReused, tokenJSONCodeError,
	tokenJSONStrError, tokenJSONRedirect, tokenJSONBadSecret, tokenTruncated,
	meJSONP, meJSONPUnionID, meJSONPSpaces, meJSON, meJSONPError, meJSONIllegal, meCompanyID, meCompanyJSONP,
	meNoUnionPerm, meWAPForm,
	userInfoOK, userInfoNoQQ2, userInfoOnlyQQ, userInfoHTML, userInfo1002, userInfo2021, userInfoMinus1,
	userInfo100030, userInfoNoRet, htmlErrorPage, htmlLoginNotice,
	"", "callback(", "callback()", ")(", "callback( {} );", "a=b;c=d", "%zz=1", "{\"error\":1e999}",
	"{\"ret\":\"-0\"}", "\xef\xbb\xbf{\"access_token\":\"\\u0000\"}",
}

// checkFuzzErr: failures are always *Error, short, and never a half result.
func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatalf("error is %T, not *Error: %v", err, err)
	}
	s := err.Error()
	if len(s) > 700 || !utf8.ValidString(s) {
		t.Fatalf("error string too long or not UTF-8 (%d): %q", len(s), s)
	}
	if len(qe.Description) > 200 {
		t.Fatalf("description too long: %d", len(qe.Description))
	}
}

func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := ParseTokenResponse(body)
		if err != nil {
			if tok != nil {
				t.Fatal("result and error together")
			}
			checkFuzzErr(t, err)
			return
		}
		if tok == nil || tok.AccessToken == "" || tok.ExpiresIn < 0 || strings.ContainsAny(tok.AccessToken, " \t\r\n") {
			t.Fatalf("bad success: %#v", []any{tok})
		}
	})
}

func FuzzParseMeResponse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		me, err := ParseMeResponse(body)
		if err != nil {
			if me != nil {
				t.Fatal("result and error together")
			}
			checkFuzzErr(t, err)
			return
		}
		if me == nil || !validID(me.OpenID) || (me.UnionID != "" && !validID(me.UnionID)) {
			t.Fatalf("bad success: %+v", me)
		}
	})
}

func FuzzParseUserInfoResponse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := ParseUserInfoResponse(body)
		if err != nil {
			if u != nil {
				t.Fatal("result and error together")
			}
			checkFuzzErr(t, err)
			return
		}
		if u == nil || u.Raw == nil {
			t.Fatal("success without Raw")
		}
		if n, ok := toInt(u.Raw["ret"]); !ok || n != 0 {
			t.Fatalf("success with ret %v", u.Raw["ret"])
		}
		if !utf8.ValidString(u.Nickname) || hasTag(u.Nickname) {
			t.Fatalf("nickname not clean: %q", u.Nickname)
		}
		if u.AvatarURL != "" && !strings.HasPrefix(u.AvatarURL, "http://") && !strings.HasPrefix(u.AvatarURL, "https://") {
			t.Fatalf("avatar not http(s): %q", u.AvatarURL)
		}
	})
}

func hasTag(s string) bool {
	i := strings.IndexByte(s, '<')
	return i >= 0 && strings.IndexByte(s[i:], '>') >= 0
}
