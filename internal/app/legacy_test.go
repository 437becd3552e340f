package app

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qqconnect/admin/doctor"
	"qqconnect/admin/repair"
	"qqconnect/internal/testdb"
	"qqconnect/models"
	"qqconnect/plugin/sandbox"
)

// discuzRoot writes a cloud-era install directory: config files and
// source/discuz_version.php saying version.
func discuzRoot(t *testing.T, version string) string {
	t.Helper()
	return discuzRootCharset(t, version, "utf8", "utf-8")
}

// discuzRootCharset is discuzRoot of an edition whose config_global.php says
// dbcharset and output charset (gbk/gbk for SC_GBK, big5/big5 for TC_BIG5).
func discuzRootCharset(t *testing.T, version, dbcharset, output string) string {
	t.Helper()
	root := t.TempDir()
	for dir, files := range map[string]map[string]string{
		"config": {
			"config_global.php": "<?php\n$_config['db'][1]['dbhost'] = '127.0.0.1';\n$_config['db'][1]['dbuser'] = 'root';\n" +
				"$_config['db'][1]['dbpw'] = '';\n$_config['db'][1]['dbcharset'] = '" + dbcharset + "';\n$_config['db'][1]['dbname'] = 'discuz';\n" +
				"$_config['db'][1]['tablepre'] = 'pre_';\n$_config['cookie']['cookiepre'] = 'OqGo_';\n$_config['cookie']['cookiedomain'] = '';\n" +
				"$_config['cookie']['cookiepath'] = '/';\n$_config['security']['authkey'] = 'cloudera0authkey';\n$_config['output']['charset'] = '" + output + "';\n",
			"config_ucenter.php": "<?php\ndefine('UC_CONNECT', 'mysql');\ndefine('UC_DBTABLEPRE', '`discuz`.pre_ucenter_');\n",
		},
		"source": {"discuz_version.php": "<?php\nif(!defined('IN_DISCUZ')) {\n\texit('Access Denied');\n}\ndefine('DISCUZ_VERSION', '" + version + "');\ndefine('DISCUZ_RELEASE', '20170101');\n"},
	} {
		os.MkdirAll(filepath.Join(root, dir), 0o755)
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(root, dir, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// qqLoginOAuth1 runs the Qzone OAuth 1.0 login through the sandbox.
func (b *browser) qqLoginOAuth1(qqNum string) (*http.Response, string, string) {
	t := b.s.t
	t.Helper()
	resp, body := b.get("/connect/qq/login?referer=/")
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), b.s.QQURL+"/oauth/qzoneoauth_authorize?") {
		t.Fatalf("OAuth 1.0 login: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	q := loc.Query()
	b.s.QQ.AddIdentity(qqNum, "云平台"+qqNum)
	cb, err := b.s.QQ.AuthorizeOAuth1(t.Context(), q.Get("oauth_consumer_key"), q.Get("oauth_token"), q.Get("oauth_callback"), qqNum)
	if err != nil {
		t.Fatalf("sandbox OAuth 1.0 authorize: %v", err)
	}
	resp, body = b.get(cb)
	return resp, body, cb
}

// TestCloudEraOAuth1: an X3.3 site whose connect setting has a falsy oauth2
// logs in through the retired Qzone OAuth 1.0 flow, and stores the token and
// secret in conuin/conuinsecret as cloud-era Discuz did.
func TestCloudEraOAuth1(t *testing.T) {
	s := newTestSite(t, testdb.X34, map[string]string{"QQCONNECT_DISCUZ_ROOT": discuzRoot(t, "X3.3")})
	b := s.browser()
	resp, body, cb := b.qqLoginOAuth1("11001")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/connect/qq/bind" {
		t.Fatalf("OAuth 1.0 callback: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	openid := sandbox.OpenID(s.AppID, "11001")
	if n := s.count("SELECT count(*) FROM pre_common_connect_guest WHERE conopenid=? AND conuin<>'' AND conuinsecret<>'' AND conuintoken=''", openid); n != 1 {
		t.Fatal("guest row lacks the OAuth 1.0 token and secret")
	}
	// The request token is single use.
	if _, body := s.browser().get(cb); !strings.Contains(body, "不是从本浏览器发起") {
		t.Fatalf("callback replayed: %.300s", body)
	}
	if resp, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {"cloudera"}, "email": {"c@example.com"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d %.300s", resp.StatusCode, body)
	}
	uid := b.discuzLogin()
	if n := s.count("SELECT count(*) FROM pre_common_member_connect WHERE uid=? AND conopenid=? AND conuin<>'' AND conuinsecret<>'' AND conuintoken='' AND conisregister=1", uid, openid); n != 1 {
		t.Fatal("connect row does not hold conuin/conuinsecret as cloud-era Discuz did")
	}
	var before string
	s.DB.SQL.QueryRow("SELECT conuin FROM pre_common_member_connect WHERE uid=?", uid).Scan(&before)
	b2 := s.browser()
	resp, body, _ = b2.qqLoginOAuth1("11001")
	if resp.StatusCode != http.StatusFound || b2.discuzLogin() != uid {
		t.Fatalf("second OAuth 1.0 login: %d %.300s", resp.StatusCode, body)
	}
	if n := s.count("SELECT count(*) FROM pre_common_member_connect WHERE uid=? AND conuin<>? AND conuin<>''", uid, before); n != 1 {
		t.Fatal("login did not refresh conuin")
	}

	// The doctor offers the switch to OAuth 2.0; after it the same member
	// logs in through graph.qq.com by openid, and undo switches back.
	if err := models.SeedDemoSettingCache(t.Context(), s.App.Store, time.Now()); err != nil {
		t.Fatal(err)
	}
	rep := doctor.Run(t.Context(), DoctorEnv(s.App.Cfg, s.App, nil))
	var proto doctor.Result
	for _, c := range rep.Checks {
		if c.ID == "qq_protocol" {
			proto = c
		}
	}
	if proto.Status != doctor.Warn || proto.Repair != repair.SwitchOAuth2 {
		t.Fatalf("doctor qq_protocol: %+v", proto)
	}
	entry, _, err := NewRepairer(s.App).Apply(t.Context(), repair.SwitchOAuth2, repair.Args{}, repair.Actor{Name: "test", Source: "cli"})
	if err != nil || entry == nil {
		t.Fatalf("switch-oauth2: %v", err)
	}
	s.settingsChanged() // the CLI's repairer, another process's in production
	b3 := s.browser()
	if resp, body := b3.qqLogin("11001", "/"); resp.StatusCode != http.StatusFound || b3.discuzLogin() != uid {
		t.Fatalf("OAuth 2.0 login after the switch: %d %.300s", resp.StatusCode, body)
	}
	if _, err := NewRepairer(s.App).Undo(t.Context(), entry.ID, repair.Actor{Name: "test", Source: "cli"}); err != nil {
		t.Fatalf("undo switch: %v", err)
	}
	s.settingsChanged()
	if resp, _ := s.browser().get("/connect/qq/login?referer=/"); !strings.Contains(resp.Header.Get("Location"), "/oauth/qzoneoauth_authorize?") {
		t.Fatalf("after undo the site should use OAuth 1.0 again: %q", resp.Header.Get("Location"))
	}
}

// TestLegacyBindingWithOAuth2: a member bound in the cloud era (conuin set,
// openid stored lower-case) logs in through OAuth 2.0 by openid, and the row
// is normalised to Discuz's upper-case openid.
func TestLegacyBindingWithOAuth2(t *testing.T) {
	s := newTestSite(t, testdb.X34, map[string]string{"QQCONNECT_DISCUZ_ROOT": discuzRoot(t, "X3.4")})
	uid := s.addMember("oldtimer", "old-pw-123", 10)
	openid := sandbox.OpenID(s.AppID, "12001")
	s.DB.Exec(t, `INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conisregister, conuintoken)
		VALUES (?, 'B6F2A9E0C4D1F3A8B6F2A9E0C4D1F3A8B6F2', 'a1b2c3d4e5f6a7b8', ?, 1, 0, '')`, uid, strings.ToLower(openid))
	s.DB.Exec(t, "UPDATE pre_common_member SET conisbind=1 WHERE uid=?", uid)
	b := s.browser()
	resp, body := b.qqLogin("12001", "/forum.php")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/forum.php" {
		t.Fatalf("legacy member login: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if b.discuzLogin() != uid {
		t.Fatal("not logged in as the legacy member")
	}
	if n := s.count("SELECT count(*) FROM pre_common_member_connect WHERE uid=? AND BINARY conopenid=? AND conuintoken<>''", uid, openid); n != 1 {
		t.Fatal("binding not normalised to the upper-case openid with the OAuth 2.0 token")
	}
}

// TestLegacyRowWithoutOpenID: a very old cloud-era binding that never stored
// an openid cannot log in by QQ; the member binds again with the password
// and the old row is replaced.
func TestLegacyRowWithoutOpenID(t *testing.T) {
	s := newTestSite(t, testdb.X34, nil)
	uid := s.addMember("ancient", "ancient-pw-1", 10)
	s.DB.Exec(t, `INSERT INTO pre_common_member_connect (uid, conuin, conuinsecret, conopenid, conisfeed, conisregister, conuintoken)
		VALUES (?, 'C0FFEE00C0FFEE00C0FFEE00C0FFEE00C0FF', 'c0ffee00c0ffee00', '', 1, 0, '')`, uid)
	s.DB.Exec(t, "UPDATE pre_common_member SET conisbind=1 WHERE uid=?", uid)
	b := s.browser()
	if resp, _ := b.qqLogin("13001", "/"); resp.Header.Get("Location") != "/connect/qq/bind" {
		t.Fatalf("an openid-less legacy row matched a QQ login: %q", resp.Header.Get("Location"))
	}
	if resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"ancient"}, "password": {"ancient-pw-1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-bind: %d %.300s", resp.StatusCode, body)
	}
	if n := s.count("SELECT count(*) FROM pre_common_member_connect WHERE uid=? AND conopenid=? AND conuin=''", uid, sandbox.OpenID(s.AppID, "13001")); n != 1 {
		t.Fatal("the legacy row was not replaced by the new binding")
	}
}
