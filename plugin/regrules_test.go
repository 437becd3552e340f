package plugin

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"qqconnect/internal/testdb"
	"qqconnect/models"
)

// code is the refusal code of err ("" for nil, "error" for anything else).
func code(err error) string {
	var r *Refusal
	switch {
	case err == nil:
		return ""
	case errors.As(err, &r):
		return r.Code
	}
	return "error: " + err.Error()
}

// TestCheckRegisterOpen: bbclosed refuses registration (register_disable).
func TestCheckRegisterOpen(t *testing.T) {
	cases := []struct {
		q    *models.QQSettings
		raw  string
		want string
	}{
		{&models.QQSettings{}, "", ""},
		{&models.QQSettings{}, "0", ""},
		{&models.QQSettings{}, "1", "register_disable"},
		{&models.QQSettings{BBClosed: true}, "1", "register_disable"},
		{nil, "1", "register_disable"},
	}
	for _, c := range cases {
		err := (&Service{}).checkRegisterOpen(c.q, &models.RegRuleSettings{BBClosed: c.raw})
		if got := code(err); got != c.want {
			t.Errorf("bbclosed %q: %q, want %q", c.raw, got, c.want)
		}
	}
}

// TestCheckRegisterEmailNoDB: the email rules that need no database
// (doublee on, so UCenter is not asked), in checkemail()'s order.
func TestCheckRegisterEmailNoDB(t *testing.T) {
	x34 := models.RegRuleSettings{UCDoubleE: "1", EmailMaxLen: 32}
	with := func(f func(*models.RegRuleSettings)) models.RegRuleSettings {
		rs := x34
		f(&rs)
		return rs
	}
	cases := []struct {
		name  string
		rs    models.RegRuleSettings
		email string
		want  string
	}{
		{"plain", x34, "user@qq.com", ""},
		{"trimmed and lower-cased first", x34, "  User@QQ.com\r\n", ""},
		{"bad format", x34, "user@localhost", "email_invalid"},
		{"UTF-8", x34, "用户@qq.com", "email_invalid"},
		{"33 bytes on X3.4", x34, "aaaaaaaaaaaaaaaaaaaaaaaaa@qq.com1", "email_invalid"},
		{"33 bytes on X3.5", with(func(r *models.RegRuleSettings) { r.EmailMaxLen = 255 }), "aaaaaaaaaaaaaaaaaaaaaaaaa@qq.com1", ""},
		{"Discuz whitelist", with(func(r *models.RegRuleSettings) { r.RegMailDomain, r.MailDomainList = "1", "qq.com" }), "a@163.com", "email_domain"},
		{"Discuz blacklist before the format", with(func(r *models.RegRuleSettings) { r.RegMailDomain, r.MailDomainList = "2", "localhost" }), "a@localhost", "email_domain"},
		{"too long before the blacklist", with(func(r *models.RegRuleSettings) { r.RegMailDomain, r.MailDomainList = "2", "qq.com" }), "aaaaaaaaaaaaaaaaaaaaaaaaa@qq.com1x", "email_invalid"},
		{"UCenter accessemail", with(func(r *models.RegRuleSettings) { r.UCAccessEmail = "qq.com\r\n163.com" }), "a@gmail.com", "email_domain"},
		{"UCenter accessemail hit", with(func(r *models.RegRuleSettings) { r.UCAccessEmail = "qq.com\r\n163.com" }), "a@vip.163.com", ""},
		{"UCenter censoremail", with(func(r *models.RegRuleSettings) { r.UCCensorEmail = "spam.com" }), "a@SPAM.com", "email_domain"},
		{"format before UCenter lists", with(func(r *models.RegRuleSettings) { r.UCCensorEmail = "localhost" }), "a@localhost", "email_invalid"},
	}
	for _, c := range cases {
		rs := c.rs
		if got := code((&Service{}).checkRegisterEmail(context.Background(), &rs, c.email)); got != c.want {
			t.Errorf("%s: %q → %q, want %q", c.name, c.email, got, c.want)
		}
	}
}

// TestCheckRegisterRulesDB: doublee, regctrl and regfloodctrl against a real
// Discuz database, and the order of checkRegisterRules.
func TestCheckRegisterRulesDB(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	for _, v := range []string{testdb.X34, testdb.X35} {
		t.Run(v, func(t *testing.T) {
			d := testdb.New(t, v)
			d.InstallQQConnect(t, "101234567", "FIXTURE")
			st, err := models.Open(ctx, models.DriverMySQL, d.DSN, models.Tables{Pre: "pre_", UC: "pre_ucenter_"}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := models.CheckCompat(ctx, st); err != nil {
				t.Fatal(err)
			}
			s := &Service{Store: st}
			d.Exec(t, `INSERT INTO pre_ucenter_members (username, password, email, regip, regdate, salt)
				VALUES ('alice', 'x', 'taken@qq.com', '1.2.3.4', 1700000000, '')`)
			d.Exec(t, "INSERT INTO pre_common_regip (ip, dateline, count) VALUES ('5.5.5.5', ?, -1), ('6.6.6.6', ?, 3)",
				now.Unix()-3600, now.Unix()-3600)

			setting := func(k, v string) { d.Exec(t, "REPLACE INTO pre_common_setting (skey, svalue) VALUES (?, ?)", k, v) }
			cases := []struct {
				name, email, ip string
				setup           func()
				want            string
				zh              string
			}{
				{"fresh", "new@qq.com", "1.1.1.1", nil, "", ""},
				{"duplicate email (doublee 0)", "Taken@QQ.com", "1.1.1.1", nil, "email_duplicate", "该 Email 地址已被注册"},
				{"doublee 1 allows it", "taken@qq.com", "1.1.1.1",
					func() { d.Exec(t, "UPDATE pre_ucenter_settings SET v = '1' WHERE k = 'doublee'") }, "", ""},
				{"regctrl", "new@qq.com", "5.5.5.5", func() { setting("regctrl", "24") }, "register_ctrl", "抱歉，您的 IP 地址在 24 小时内无法注册"},
				{"regctrl other IP", "new@qq.com", "1.1.1.1", nil, "", ""},
				{"regfloodctrl", "new@qq.com", "6.6.6.6", func() { setting("regfloodctrl", "3") }, "register_flood_ctrl", "抱歉，IP 地址在 24 小时内只能注册 3 次"},
				{"regfloodctrl under the limit", "new@qq.com", "6.6.6.6", func() { setting("regfloodctrl", "4") }, "", ""},
				{"email before the IP", "bad@localhost", "5.5.5.5", nil, "email_invalid", "Email 地址无效"},
				{"bbclosed first", "bad@localhost", "5.5.5.5", func() { setting("bbclosed", "1") }, "register_disable", "抱歉，目前站点禁止新用户注册"},
			}
			for _, c := range cases {
				if c.setup != nil {
					c.setup()
				}
				q, err := st.LoadQQSettings(ctx)
				if err != nil {
					t.Fatal(err)
				}
				err = s.checkRegisterRules(ctx, q, c.email, c.ip, now)
				if got := code(err); got != c.want {
					t.Errorf("%s: %q, want %q", c.name, got, c.want)
					continue
				}
				var r *Refusal
				if errors.As(err, &r) && r.ZH != c.zh {
					t.Errorf("%s: %q, want %q", c.name, r.ZH, c.zh)
				}
			}
		})
	}
}

// checkRegisterRules applies, in Discuz's order, the rules of its QQ
// registration (member.php?mod=connect → register_ctl) that the rest of
// Register does not: the closed site, the email rules (Discuz's
// regmaildomain, UCenter's format, accessemail/censoremail and doublee),
// regctrl/ipregctrl and regfloodctrl. Discuz checks the email before the
// username and the IP limits after it; callers that keep that order use
// the three steps below instead.
// (test helper: Register runs the same three steps, in this order.)
func (s *Service) checkRegisterRules(ctx context.Context, q *models.QQSettings, email, ip string, now time.Time) error {
	rs, err := s.Store.LoadRegRuleSettings(ctx)
	if err != nil {
		return err
	}
	if err := s.checkRegisterOpen(q, rs); err != nil {
		return err
	}
	if err := s.checkRegisterEmail(ctx, rs, email); err != nil {
		return err
	}
	return s.checkRegisterIP(ctx, rs, ip, now)
}
