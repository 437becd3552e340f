package app

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"qqconnect/internal/testdb"
	"qqconnect/plugin/sandbox"
)

var suggestRe = regexp.MustCompile(`name="username"[^>]*value="([^"]*)"`)

// TestRealNicknames (issue 10 part 1): the QQ nicknames real sites see reach
// the bind page and an account on X3.4's 3-byte utf8 (MyISAM) and X3.5's
// utf8mb4 tables, the server in strict mode. On X3.4 conqqnick keeps what
// the column can hold; qqconnect's own utf8mb4 tables keep the nickname whole.
func TestRealNicknames(t *testing.T) {
	nicknames := []struct {
		name, nick string
		x34Guest   string // conqqnick on X3.4: the characters outside the BMP dropped
	}{
		{"emoji", "企鹅🐧小明", "企鹅小明"},
		{"CJK extension B", "𠀀𠀁测试", "测试"},
		{"ZWJ sequence", "家庭👨‍👩‍👧‍👦合影", "家庭合影"},
		{"40 characters", strings.Repeat("长", 40), strings.Repeat("长", 40)},
		{"only emoji", "🐧🐧🐧", ""},
	}
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			for i, n := range nicknames {
				t.Run(n.name, func(t *testing.T) {
					qqNum := itoa(int64(97001 + i))
					b := s.browser()
					if _, err := s.QQ.AddIdentity(qqNum, n.nick); err != nil {
						t.Fatal(err)
					}
					resp, body := b.qqLoginAs(qqNum, "/")
					if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/connect/qq/bind" {
						t.Fatalf("callback: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
					}
					openid := sandbox.OpenID(s.AppID, qqNum)
					var guest string
					if err := s.DB.SQL.QueryRow("SELECT conqqnick FROM pre_common_connect_guest WHERE conopenid=?", openid).Scan(&guest); err != nil {
						t.Fatalf("guest row: %v", err)
					}
					want := n.nick
					if v == testdb.X34 {
						want = n.x34Guest
					}
					if guest != want {
						t.Errorf("conqqnick = %q, want %q", guest, want)
					}
					_, page := b.get("/connect/qq/bind")
					if !strings.Contains(html.UnescapeString(page), n.nick) {
						t.Errorf("bind page does not show the whole nickname %q", n.nick)
					}
					// The suggested username is one the register form accepts here.
					m := suggestRe.FindStringSubmatch(page)
					username := "qqnick" + qqNum
					if m != nil && m[1] != "" {
						username = html.UnescapeString(m[1])
						if v == testdb.X34 {
							for _, r := range username {
								if r > 0xFFFF {
									t.Fatalf("suggested username %q does not fit X3.4's utf8 column", username)
								}
							}
						}
					}
					resp, body = b.post(bindPath, "/connect/qq/register", url.Values{"username": {username}, "email": {"nick" + qqNum + "@example.com"}})
					if resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("register as %q: %d %.400s", username, resp.StatusCode, body)
					}
					var nick string
					if err := s.DB.SQL.QueryRow("SELECT nickname FROM pre_qqconnect_identity WHERE openid=?", openid).Scan(&nick); err != nil || nick != n.nick {
						t.Errorf("identity nickname = %q, %v; want %q whole", nick, err, n.nick)
					}
					if !utf8.ValidString(nick) {
						t.Error("identity nickname is not valid UTF-8")
					}
				})
			}
		})
	}
}

// TestUsernameTakenInAnotherCase (issue 10 part 1): a name UCenter already
// holds in another letter case is "taken", the form keeps what was typed,
// and nothing is written.
func TestUsernameTakenInAnotherCase(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			s.addMember("CaseName", "pw-123456", 10)
			b := s.browser()
			b.qqLogin("97100", "/")
			before := s.checksum()
			resp, body := b.post(bindPath, "/connect/qq/register", url.Values{"username": {"casename"}, "email": {"case@example.com"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "已被注册") || !strings.Contains(body, `value="casename"`) {
				t.Fatalf("%d %.400s", resp.StatusCode, body)
			}
			if s.checksum() != before {
				t.Fatal("refusal wrote rows")
			}
		})
	}
}
