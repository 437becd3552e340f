package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"qqconnect/discuz"
	"qqconnect/internal/testdb"
)

// TestBindLikeDiscuzLogin (issue 14 #2): the bind form names the account
// as Discuz's login form does (username, UID with uidlogin, email, phone
// with X3.5's secmobilelogin), and an account with a 安全提问 needs its
// answer: the password alone is refused. Every form of the name spends the
// same account's attempts.
func TestBindLikeDiscuzLogin(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	uid := s.addMember("qiang", "qiang-pw-1", 10)
	s.DB.Exec(t, "UPDATE "+s.uc("members")+" SET secques = ? WHERE uid = ?", discuz.QuesCrypt(3, []byte("杭州")), uid)
	plain := s.addMember("ming", "ming-pw-1", 10)
	s.DB.Exec(t, "UPDATE "+s.uc("members")+" SET secmobicc = 86, secmobile = '13800138000' WHERE uid = ?", plain)
	s.DB.Exec(t, "REPLACE INTO pre_common_setting (skey, svalue) VALUES ('uidlogin', '1'), ('secmobilelogin', '1')")

	bind := func(qq string, form url.Values) (*browser, *http.Response, string) {
		b := s.browser()
		b.qqLogin(qq, "/")
		resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", form)
		return b, resp, body
	}
	// The form offers what the site allows.
	b := s.browser()
	b.qqLogin("47000", "/")
	if _, page := b.get("/connect/qq/bind"); !strings.Contains(page, `value="uid"`) || !strings.Contains(page, `value="secmobile"`) || !strings.Contains(page, "父亲出生的城市") {
		t.Fatalf("the bind form lacks the UID/phone choices or the 安全提问: %.1500s", page)
	}

	// The 安全提问: refused without it, with the wrong one, with a wrong answer.
	for i, form := range []url.Values{
		{"loginfield": {"email"}, "username": {"qiang@example.com"}, "password": {"qiang-pw-1"}},
		{"loginfield": {"email"}, "username": {"qiang@example.com"}, "password": {"qiang-pw-1"}, "questionid": {"2"}, "answer": {"杭州"}},
		{"loginfield": {"email"}, "username": {"qiang@example.com"}, "password": {"qiang-pw-1"}, "questionid": {"3"}, "answer": {"上海"}},
	} {
		if _, resp, body := bind("4710"+string(rune('0'+i)), form); resp.StatusCode == http.StatusSeeOther || !strings.Contains(body, "用户名或密码错误") {
			t.Fatalf("case %d: bound without the right 安全提问: %d %.300s", i, resp.StatusCode, body)
		}
	}
	if n := s.count("SELECT count(*) FROM pre_common_member_connect WHERE uid = ?", uid); n != 0 {
		t.Fatal("a refused bind wrote a binding")
	}
	// Two more failures by the UID: five for this account, whatever its name was.
	for i := 0; i < 2; i++ {
		bind("4711"+string(rune('0'+i)), url.Values{"loginfield": {"uid"}, "username": {itoa(uid)}, "password": {"wrong"}})
	}
	if _, resp, _ := bind("47120", url.Values{"username": {"qiang"}, "password": {"qiang-pw-1"}, "questionid": {"3"}, "answer": {"杭州"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after five failures under the email and the UID, the username still gets through: %d", resp.StatusCode)
	}
	s.DB.Exec(t, "DELETE FROM pre_qqconnect_login_attempt")

	// Right: by email with the 安全提问; by phone number (smsdefaultcc 86) without one.
	if b, resp, body := bind("47130", url.Values{"loginfield": {"email"}, "username": {"QIANG@example.com"}, "password": {"qiang-pw-1"}, "questionid": {"3"}, "answer": {"杭州"}}); resp.StatusCode != http.StatusSeeOther || b.discuzLogin() != uid {
		t.Fatalf("bind by email with the 安全提问: %d %.300s", resp.StatusCode, body)
	}
	if b, resp, body := bind("47140", url.Values{"loginfield": {"secmobile"}, "username": {"13800138000"}, "password": {"ming-pw-1"}}); resp.StatusCode != http.StatusSeeOther || b.discuzLogin() != plain {
		t.Fatalf("bind by phone number: %d %.300s", resp.StatusCode, body)
	}
	// An account without a 安全提问 refuses an answer, as UCenter does.
	s.DB.Exec(t, "DELETE FROM pre_common_member_connect WHERE uid = ?", plain)
	s.DB.Exec(t, "UPDATE pre_common_member SET conisbind = 0 WHERE uid = ?", plain)
	if _, resp, _ := bind("47150", url.Values{"username": {"ming"}, "password": {"ming-pw-1"}, "questionid": {"1"}, "answer": {"x"}}); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("an answer to a question the account never set was accepted")
	}
}
