package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	c, _, err := Load(args, func(k string) string { return env[k] }, io.Discard)
	return c, err
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"Addr":         {c.Addr, "127.0.0.1:8080"},
		"PublicURL":    {c.PublicURL, "http://127.0.0.1:8080"},
		"RedirectURI":  {c.RedirectURI(), "http://127.0.0.1:8080/connect/qq/callback"},
		"DBDriver":     {c.DBDriver, "sqlite"},
		"DBDSN":        {c.DBDSN, "data/qqconnect.db"},
		"UCPrefix":     {c.UCTablePrefix, "pre_ucenter_"},
		"QQAPIBase":    {c.QQAPIBase, "http://127.0.0.1:8080/sandbox/qq"}, // sandbox is on in standalone mode
		"CookiePath":   {c.CookiePath, "/"},
		"QzoneAPIBase": {c.QzoneAPIBase, "http://127.0.0.1:8080/sandbox/qq"},
	}
	for name, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", name, v[0], v[1])
		}
	}
	if !c.Sandbox {
		t.Error("sandbox should default on in sqlite mode")
	}
}

func TestPrecedenceFlagOverEnv(t *testing.T) {
	env := map[string]string{"QQCONNECT_PUBLIC_URL": "https://env.example", "QQCONNECT_TABLE_PREFIX": "bbs_",
		"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": "u:p@tcp(127.0.0.1:3306)/d", "QQCONNECT_AUTHKEY": "k"}
	c, err := load(t, []string{"--public-url", "https://flag.example/"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://flag.example" || c.TablePrefix != "bbs_" || c.UCTablePrefix != "bbs_ucenter_" {
		t.Fatalf("got %q %q %q", c.PublicURL, c.TablePrefix, c.UCTablePrefix)
	}
	if c.Sandbox || c.QQAPIBase != "https://graph.qq.com" || !c.HTTPS() {
		t.Fatalf("mysql mode: sandbox %v base %q", c.Sandbox, c.QQAPIBase)
	}
}

func TestBadSettingsNameTheSetting(t *testing.T) {
	cases := []struct {
		env     map[string]string
		setting string
	}{
		{map[string]string{"QQCONNECT_ADDR": "nonsense"}, "QQCONNECT_ADDR"},
		{map[string]string{"QQCONNECT_PUBLIC_URL": "ftp://x"}, "QQCONNECT_PUBLIC_URL"},
		{map[string]string{"QQCONNECT_PUBLIC_URL": "https://x/?a=1"}, "QQCONNECT_PUBLIC_URL"},
		{map[string]string{"QQCONNECT_CALLBACK_PATH": "connect/qq"}, "QQCONNECT_CALLBACK_PATH"},
		{map[string]string{"QQCONNECT_DB_DRIVER": "postgres"}, "QQCONNECT_DB_DRIVER"},
		{map[string]string{"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": "x"}, "QQCONNECT_AUTHKEY"},
		{map[string]string{"QQCONNECT_TABLE_PREFIX": "pre;drop"}, "QQCONNECT_TABLE_PREFIX"},
		{map[string]string{"QQCONNECT_QQ_PROTOCOL": "oauth3"}, "QQCONNECT_QQ_PROTOCOL"},
		{map[string]string{"QQCONNECT_QQ_API_BASE": "graph.qq.com"}, "QQCONNECT_QQ_API_BASE"},
		{map[string]string{"QQCONNECT_SANDBOX": "maybe"}, "QQCONNECT_SANDBOX"},
		{map[string]string{"QQCONNECT_TRUSTED_PROXIES": "10.0.0.0/33"}, "QQCONNECT_TRUSTED_PROXIES"},
		{map[string]string{"QQCONNECT_REDIS_URL": "http://x"}, "QQCONNECT_REDIS_URL"},
		{map[string]string{"QQCONNECT_DISCUZ_ROOT": "/nonexistent/discuz"}, "QQCONNECT_DISCUZ_ROOT"},
	}
	for _, c := range cases {
		_, err := load(t, nil, c.env)
		var ce *Error
		if !errors.As(err, &ce) || ce.Setting != c.setting {
			t.Errorf("%v: got %v, want an error naming %s", c.env, err, c.setting)
		}
	}
}

func TestCallbackPathOfExistingDiscuzSite(t *testing.T) {
	c, err := load(t, nil, map[string]string{"QQCONNECT_PUBLIC_URL": "https://bbs.example.com",
		"QQCONNECT_CALLBACK_PATH": "/connect.php?mod=login&op=callback"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RedirectURI(); got != "https://bbs.example.com/connect.php?mod=login&op=callback" {
		t.Fatalf("redirect_uri %q", got)
	}
}

// TestDiscuzRoot reads a realistic install directory.
func TestDiscuzRoot(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "config"), 0o755)
	os.MkdirAll(filepath.Join(root, "source"), 0o755)
	global := `<?php
// ----------------------------  CONFIG DB  ----------------------------- //
$_config['db'][1]['dbhost'] = '127.0.0.1:3307';
$_config['db'][1]['dbuser'] = "forum";
$_config['db'][1]['dbpw'] = 'p@ss\'word';
$_config['db'][1]['dbcharset'] = 'utf8mb4';
$_config['db'][1]['pconnect'] = 0;
$_config['db'][1]['dbname'] = 'discuz';
$_config['db'][1]['tablepre'] = 'bbs_';
$_config['memory']['prefix'] = 'AbCdEf_';
$_config['memory']['redis']['server'] = '127.0.0.1';
$_config['memory']['redis']['port'] = 6379;
$_config['cookie']['cookiepre'] = 'OqGo_';
$_config['cookie']['cookiedomain'] = '.example.com';
$_config['cookie']['cookiepath'] = '/';
$_config['security']['authkey'] = 'f00dfeedf00dfeed';
$_config['output']['charset'] = 'utf-8';
`
	os.WriteFile(filepath.Join(root, "config", "config_global.php"), []byte(global), 0o600)
	os.WriteFile(filepath.Join(root, "config", "config_ucenter.php"), []byte("<?php\ndefine('UC_CONNECT', 'mysql');\ndefine('UC_DBTABLEPRE', '`discuz`.bbs_ucenter_');\n"), 0o600)
	os.WriteFile(filepath.Join(root, "source", "discuz_version.php"), []byte("<?php\nif(!defined('IN_DISCUZ')) { exit('Access Denied'); }\ndefine('DISCUZ_VERSION', 'X3.4');\ndefine('DISCUZ_RELEASE', '20191201');\n"), 0o600)
	c, err := load(t, nil, map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_PUBLIC_URL": "https://bbs.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DBDriver != "mysql" || !strings.Contains(c.DBDSN, "tcp(127.0.0.1:3307)/discuz") || c.TablePrefix != "bbs_" ||
		c.UCTablePrefix != "bbs_ucenter_" || c.Authkey != "f00dfeedf00dfeed" || c.CookiePre != "OqGo_" ||
		c.CookieDomain != ".example.com" || c.DiscuzVersion != "X3.4" || c.MemoryPrefix != "AbCdEf_" || c.MemoryRedis != "127.0.0.1:6379" {
		t.Fatalf("config from DISCUZ_ROOT: %+v", *c)
	}
	if c.Sandbox {
		t.Error("sandbox must be off for a real forum")
	}
	// Variables still win over the files.
	c, err = load(t, nil, map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_TABLE_PREFIX": "pre_", "QQCONNECT_AUTHKEY": "other"})
	if err != nil || c.TablePrefix != "pre_" || c.Authkey != "other" {
		t.Fatalf("override: %v %+v", err, c)
	}
	if strings.Contains((&Error{"X", "y"}).Error(), "f00dfeed") {
		t.Fatal("unreachable")
	}
}
