package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"qqconnect/discuz"
)

// setConnect sets keys of the serialized connect setting, as Discuz's
// QQ互联 page saves them.
func (s *testSite) setConnect(kv ...string) {
	s.t.Helper()
	var raw string
	if err := s.DB.SQL.QueryRow("SELECT svalue FROM pre_common_setting WHERE skey = 'connect'").Scan(&raw); err != nil {
		s.t.Fatal(err)
	}
	arr, err := discuz.UnserializeArray([]byte(raw))
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		arr.Set(kv[i], discuz.Str(kv[i+1]))
	}
	s.DB.Exec(s.t, "UPDATE pre_common_setting SET svalue = ? WHERE skey = 'connect'", string(discuz.Serialize(discuz.Value{Kind: discuz.KindArray, Arr: arr})))
	s.settingsChanged()
}

// TestRegisterFormRules (issue 14 item 1): the QQ register form follows
// the site's registration rules as Discuz's member_connect.php does — the
// terms (bbrules), the invite rule (regstatus 2 unless
// connect.register_invite or inviteipwhite), connect.register_gender /
// register_birthday and the site's own registration profile fields, stored
// in pre_common_member_profile, or pre_common_member_verify_info for the
// fields the site verifies.
func TestRegisterFormRules(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newTestSite(t, v, nil)
			qq := 65000
			try := func(name string, form url.Values) (*http.Response, string, int64) {
				t.Helper()
				qq++
				b := s.browser()
				b.qqLogin(itoa(int64(qq)), "/")
				_, page := b.get("/connect/qq/bind")
				form.Set("username", name)
				form.Set("email", name+"@example.com")
				resp, body := b.post("/connect/qq/bind", "/connect/qq/register", form)
				var uid int64
				s.DB.SQL.QueryRow("SELECT uid FROM pre_common_member WHERE username = ?", name).Scan(&uid)
				return resp, page + body, uid
			}
			refused := func(step, name string, form url.Values, want string) string {
				t.Helper()
				resp, body, uid := try(name, form)
				if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) || uid != 0 {
					t.Errorf("%s: %d uid %d, want 422 %q: %s", step, resp.StatusCode, uid, want, alertOf(body))
				}
				return body
			}
			done := func(step, name string, form url.Values) int64 {
				t.Helper()
				resp, body, uid := try(name, form)
				if resp.StatusCode != http.StatusSeeOther || uid == 0 {
					t.Fatalf("%s: %d, want 303: %s", step, resp.StatusCode, alertOf(body))
				}
				return uid
			}

			// The terms: shown escaped, agreement required.
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = ? WHERE skey = ?", "1", "bbrules")
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = ? WHERE skey = ?", "第一条\n<b>第二条</b>", "bbrulestxt")
			body := refused("no agreement", "rules_no", url.Values{}, "您必须同意服务条款后才能注册")
			if !strings.Contains(body, "第一条\n&lt;b&gt;第二条&lt;/b&gt;") || !strings.Contains(body, `name="agreebbrule"`) {
				t.Errorf("register form lacks the terms, escaped: %.400s", body)
			}
			done("agreed", "rules_yes", url.Values{"agreebbrule": {"1"}})
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = '0' WHERE skey = 'bbrules'")

			// Invite only.
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = '2' WHERE skey = 'regstatus'")
			body = refused("invite only", "inv_no", url.Values{}, "需要有效的邀请码才能注册")
			if !strings.Contains(body, `id="invite-only"`) {
				t.Error("the register tab does not say the site is invite-only")
			}
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = ? WHERE skey = 'inviteconfig'", `a:1:{s:13:"inviteipwhite";s:9:"127.0.0.1";}`)
			done("client on inviteipwhite", "inv_ip", url.Values{})
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = '' WHERE skey = 'inviteconfig'")
			s.setConnect("register_invite", "1")
			done("register_invite lifts it", "inv_qq", url.Values{})
			s.DB.Exec(t, "UPDATE pre_common_setting SET svalue = '1' WHERE skey = 'regstatus'")

			// Profile fields: gender and birthday from connect, the site's
			// qq (profilevalidate's pattern), a required select, and field1,
			// which the site verifies first.
			s.setConnect("register_gender", "1", "register_birthday", "1")
			s.DB.Exec(t, "UPDATE pre_common_member_profile_setting SET showinregister = 1, required = 1 WHERE fieldid = 'qq'")
			s.DB.Exec(t, "UPDATE pre_common_member_profile_setting SET showinregister = 1, required = 1, available = 1, formtype = 'select', choices = '本科\n硕士' WHERE fieldid = 'education'")
			s.DB.Exec(t, "UPDATE pre_common_member_profile_setting SET showinregister = 1, available = 1, needverify = 1, formtype = 'text', size = 20, title = '工号' WHERE fieldid = 'field1'")
			good := func() url.Values {
				return url.Values{"gender": {"1"}, "birthyear": {"1990"}, "birthmonth": {"5"}, "birthday": {"17"},
					"qq": {"12345"}, "education": {"硕士"}, "field1": {" a<b "}}
			}
			_, page, _ := try("form_only", url.Values{"username": {"x"}})
			for _, want := range []string{`name="gender"`, `name="birthyear"`, `<option value="1990"`, `name="birthmonth"`, `name="birthday"`, `name="qq"`, `<option value="本科"`, `name="field1"`} {
				if !strings.Contains(page, want) {
					t.Errorf("register form lacks %s", want)
				}
			}
			bad := good()
			bad.Set("qq", "0123")
			refused("bad qq", "prof_bad", bad, "QQ格式不正确或为空")
			bad = good()
			bad.Del("education")
			body = refused("missing select", "prof_miss", bad, "格式不正确或为空")
			if !strings.Contains(body, `value="0123"`) && !strings.Contains(body, `value="12345"`) {
				t.Error("the form is not refilled after a refusal")
			}
			bad = good()
			bad.Set("education", "博士")
			refused("choice not offered", "prof_choice", bad, "格式不正确或为空")
			bad = good()
			bad.Set("field1", strings.Repeat("长", 7)) // 21 bytes in UTF-8: over size 20
			refused("too long", "prof_long", bad, "工号格式不正确或为空")
			uid := done("profile", "prof_ok", good())
			var gender, year, month, day int
			var qqNum, edu, f1 string
			if err := s.DB.SQL.QueryRow("SELECT gender, birthyear, birthmonth, birthday, qq, education, field1 FROM pre_common_member_profile WHERE uid = ?", uid).
				Scan(&gender, &year, &month, &day, &qqNum, &edu, &f1); err != nil {
				t.Fatal(err)
			}
			if gender != 1 || year != 1990 || month != 5 || day != 17 || qqNum != "12345" || edu != "硕士" || f1 != "" {
				t.Errorf("profile row: %d %d-%d-%d qq %q edu %q field1 %q", gender, year, month, day, qqNum, edu, f1)
			}
			var field string
			var vtype, flag int
			if err := s.DB.SQL.QueryRow("SELECT verifytype, flag, field FROM pre_common_member_verify_info WHERE uid = ? AND username = 'prof_ok'", uid).Scan(&vtype, &flag, &field); err != nil {
				t.Fatalf("verify info: %v", err)
			}
			if vtype != 0 || flag != 0 || field != `a:1:{s:6:"field1";s:6:"a&lt;b";}` {
				t.Errorf("verify info: type %d flag %d field %q", vtype, flag, field)
			}
			if n := s.count("SELECT COUNT(*) FROM pre_common_member_verify WHERE uid = ?", uid); n != 1 {
				t.Errorf("%d pre_common_member_verify rows", n)
			}

			// A required upload cannot be given through QQ: said, refused.
			s.DB.Exec(t, "UPDATE pre_common_member_profile_setting SET showinregister = 1, available = 1, required = 1, formtype = 'file' WHERE fieldid = 'field2'")
			body = refused("file field", "prof_file", good(), "本站注册需要上传文件")
			if !strings.Contains(body, `id="needs-file"`) {
				t.Error("the register tab does not say why")
			}
		})
	}
}
