package discuz

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestParseConfigGlobalX35(t *testing.T) {
	c, err := ParseConfigGlobal([]byte(configX35))
	if err != nil {
		t.Fatal(err)
	}
	wantDB := DBConfig{
		Host: "127.0.0.1:3307", User: "discuz", Password: `p@ss:w/o"rd\x$y`, Name: "ultrax",
		Charset: "utf8mb4", TablePre: "pre_", Pconnect: false,
	}
	if c.DB != wantDB {
		t.Errorf("DB = %+v\nwant %+v", c.DB, wantDB)
	}
	if c.Authkey != `aB3'dE\f9#x//y` {
		t.Errorf("Authkey = %q", c.Authkey)
	}
	if want := (CookieConfig{Pre: "OqGo_", Domain: "", Path: "/"}); c.Cookie != want {
		t.Errorf("Cookie = %+v", c.Cookie)
	}
	if c.OutputCharset != "utf-8" || c.CacheType != "sql" {
		t.Errorf("OutputCharset %q CacheType %q", c.OutputCharset, c.CacheType)
	}
	wantMem := MemoryConfig{
		Prefix:    "Xq7Lm2_",
		Redis:     RedisConfig{Server: "127.0.0.1", Port: 6379, Password: "r3dis'pw", DB: 2},
		Memcache:  MemcacheConfig{Server: "", Port: 11211},
		Memcached: MemcacheConfig{Server: "", Port: 11211},
		Enabled:   []string{"apcu"},
	}
	if !reflect.DeepEqual(c.Memory, wantMem) {
		t.Errorf("Memory = %+v\nwant %+v", c.Memory, wantMem)
	}
	if !c.Memory.Configured() {
		t.Error("Memory.Configured() = false with redis set")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	lookups := []struct {
		path []string
		want string
		ok   bool
	}{
		{[]string{"admincp", "founder"}, "1", true},
		{[]string{"security", "querysafe", "dfunction", "2"}, "substring", true},
		{[]string{"security", "querysafe", "dnote", "4"}, `"`, true},
		{[]string{"security", "fsockopensafe", "port", "1"}, "443", true},
		{[]string{"security", "fsockopensafe", "ipversion", "0"}, "ipv6", true},
		{[]string{"security", "fsockopensafe", "verifypeer"}, "", true},
		{[]string{"security", "error", "showerror"}, "1", true},
		{[]string{"security", "fsockopensafe", "port"}, "", false}, // an array
		{[]string{"remote", "appkey"}, "", false},                  // md5(...) is not evaluated
		{[]string{"no", "such"}, "", false},
	}
	for _, l := range lookups {
		if got, ok := c.Lookup(l.path...); got != l.want || ok != l.ok {
			t.Errorf("Lookup(%v) = %q, %v; want %q, %v", l.path, got, ok, l.want, l.ok)
		}
	}
	if got, want := c.MySQLDSN(), `discuz:p@ss:w/o"rd\x$y@tcp(127.0.0.1:3307)/ultrax?charset=utf8mb4`; got != want {
		t.Errorf("MySQLDSN = %q, want %q", got, want)
	}

	// Windows line endings change nothing.
	crlf, err := ParseConfigGlobal([]byte(strings.ReplaceAll(configX35, "\n", "\r\n")))
	if err != nil || crlf.DB != c.DB || crlf.Authkey != c.Authkey {
		t.Errorf("CRLF file: %+v, %v", crlf, err)
	}
}

func TestParseConfigGlobalX34Flat(t *testing.T) {
	c, err := ParseConfigGlobal([]byte(configX34))
	if err != nil {
		t.Fatal(err)
	}
	wantDB := DBConfig{
		Host: "localhost:/var/run/mysqld/mysqld.sock", User: "root", Password: "root", Name: "discuz_gbk",
		Charset: "gbk", TablePre: "cdb_",
	}
	if c.DB != wantDB {
		t.Errorf("DB = %+v", c.DB)
	}
	if want := (CookieConfig{Pre: "Zx9k_", Domain: ".example.com", Path: "bbs"}); c.Cookie != want {
		t.Errorf("Cookie = %+v", c.Cookie)
	}
	if c.Authkey != "0123456789abcdef" || c.OutputCharset != "gbk" || c.CacheType != "" {
		t.Errorf("Authkey %q OutputCharset %q CacheType %q", c.Authkey, c.OutputCharset, c.CacheType)
	}
	if want := (MemcacheConfig{Server: "10.0.0.5", Port: 11211}); c.Memory.Memcache != want {
		t.Errorf("Memcache = %+v", c.Memory.Memcache)
	}
	if want := []string{"apc", "xcache", "eaccelerator", "yac", "wincache", "file"}; !reflect.DeepEqual(c.Memory.Enabled, want) {
		t.Errorf("Enabled = %v, want %v", c.Memory.Enabled, want)
	}
	if got, want := c.MySQLDSN(), "root:root@unix(/var/run/mysqld/mysqld.sock)/discuz_gbk?charset=utf8mb4"; got != want {
		t.Errorf("MySQLDSN = %q, want %q", got, want)
	}
	if got := CookieName(c.Cookie.Pre, c.Cookie.Path, c.Cookie.Domain, "auth"); got != "Zx9k_285f_auth" {
		t.Errorf("cookie name = %q", got)
	}
}

// TestParseConfigGlobalPHPSyntax covers PHP details a line regex gets wrong.
func TestParseConfigGlobalPHPSyntax(t *testing.T) {
	src := `<?php
$_config = array('db' => array(1 => array('dbhost' => 'h', 'dbname' => "n")), 'x' => ARRAY());
$_config['security']['authkey'] = 'k'; // trailing ' quote " and = sign
# $_config['security']['authkey'] = 'commented out';
/* $_config['security']['authkey'] = 'block'; */
$_config['esc']['single'] = 'a\nb\'c\\d\e';
$_config['esc']['double'] = "\x41\101\u{4e2d}\t\q\$";
$_config['num']['hex'] = 0x1F;
$_config['num']['oct'] = 017;
$_config['num']['oct8'] = 0o17;
$_config['num']['bin'] = 0b101;
$_config['num']['sep'] = 1_000;
$_config['num']['neg'] = -5;
$_config['num']['float'] = 1.5;
$_config['num']['big'] = 99999999999999999999;
$_config['num']['small'] = 0.00001234;
$_config['num']['fourteen'] = 123456789012345.0;
$_config['num']['whole'] = 100.0;
$_config['bool']['t'] = TRUE;
$_config['bool']['n'] = null;
$_config['list'][] = 'first';
$_config['list'][] = 'second';
$_config['keys']['01'] = 'string key';
$_config['keys'][1] = 'int key';
$_config['keys']['1'] = 'same int key';
$_config['concat'] = 'a' . "b" . 3;
$_config['paren'] = ('p');
$_config['interp'] = "$foo bar";
$_config['append'] = 'x';
$_config['append'] .= 'y';
$_config['const'] = PHP_EOL;
$_config['ternary'] = 'a' ?: 'b';
$_config['sum'] = 1 + 2;
$other = "ignored; even with ) and ' inside";
if (defined('X')) { $_config['cache']['type'] = 'file'; }
function f() { return 1; }
$_config['after'] = 'ok'; // closing tag in a comment ends PHP ?> plain text ' here
<?php $_config['reopened'] = 'yes';`
	c, err := ParseConfigGlobal([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.DB.Host != "h" || c.DB.Name != "n" || c.Authkey != "k" || c.CacheType != "" {
		t.Errorf("DB %+v Authkey %q CacheType %q", c.DB, c.Authkey, c.CacheType)
	}
	tests := []struct {
		path []string
		want string
		ok   bool
	}{
		{[]string{"esc", "single"}, `a\nb'c\d\e`, true},
		{[]string{"esc", "double"}, "AA中\t\\q$", true},
		{[]string{"num", "hex"}, "31", true},
		{[]string{"num", "oct"}, "15", true},
		{[]string{"num", "oct8"}, "15", true},
		{[]string{"num", "bin"}, "5", true},
		{[]string{"num", "sep"}, "1000", true},
		{[]string{"num", "neg"}, "-5", true},
		{[]string{"num", "float"}, "1.5", true},
		{[]string{"num", "big"}, "1.0E+20", true},
		{[]string{"num", "small"}, "1.234E-5", true},
		{[]string{"num", "fourteen"}, "1.2345678901234E+14", true},
		{[]string{"num", "whole"}, "100", true},
		{[]string{"bool", "t"}, "1", true},
		{[]string{"bool", "n"}, "", true},
		{[]string{"list", "0"}, "first", true},
		{[]string{"list", "1"}, "second", true},
		{[]string{"keys", "01"}, "string key", true},
		{[]string{"keys", "1"}, "same int key", true},
		{[]string{"concat"}, "ab3", true},
		{[]string{"paren"}, "p", true},
		{[]string{"interp"}, "", false},
		{[]string{"append"}, "", false},
		{[]string{"const"}, "", false},
		{[]string{"ternary"}, "", false},
		{[]string{"sum"}, "", false},
		{[]string{"x"}, "", false},
		{[]string{"after"}, "ok", true},
		{[]string{"reopened"}, "yes", true},
	}
	for _, tt := range tests {
		if got, ok := c.Lookup(tt.path...); got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%v) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseConfigGlobalErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unterminated single quote", "<?php\n$_config['a'] = 1;\n$_config['db'][1]['dbpw'] = 's3cret;\n$_config[2] = 2;\n", 3, "unterminated string"},
		{"unterminated double quote", "<?php\n\n$_config['db'][1]['dbpw'] = \"s3cret;\n", 3, "unterminated string"},
		{"unterminated comment", "<?php\n$_config['a'] = 1;\n/* s3cret\n\n", 3, "unterminated /* comment"},
		{"missing semicolon", "<?php\n$_config['db'][1]['dbpw'] = 's3cret'\n$_config['b'] = 2;\n", 3, "missing ';'"},
		{"missing bracket", "<?php\n$_config['a' = 's3cret';\n", 2, "expected ']'"},
		{"missing equals", "<?php\n$_config['a'] 's3cret';\n", 2, "expected '='"},
		{"missing value", "<?php\n$_config['a'] = ;\n", 2, "expected a value"},
		{"unclosed array", "<?php\n$_config['a'] = array(1,\n 's3cret';\n", 3, `to close the array opened on line 2`},
		{"unclosed paren elsewhere", "<?php\n$_config['a'] = 1;\nfoo('s3cret';\n\n", 3, "not closed"},
		{"stray closer", "<?php\n$_config['a'] = 1;\nfoo());\n", 3, `unexpected ")"`},
		{"no semicolon at end", "<?php\n$_config['a'] = 1;\nfoo()", 3, "expected ';'"},
		{"key not literal", "<?php\n\n$_config[$k] = 's3cret';\n", 3, "array key is not a literal"},
		{"needed value not literal", "<?php\n$_config['a'] = 1;\n$_config['security']['authkey'] = md5('s3cret');\n", 3, "$_config['security']['authkey'] is not a literal value"},
		{"needed value is array", "<?php\n$_config['db'][1]['dbpw'] = array('s3cret');\n", 2, "$_config['db'][1]['dbpw'] is an array"},
		{"port not a number", "<?php\n\n\n$_config['memory']['redis']['port'] = 's3cret';\n", 4, "is not a number"},
		{"heredoc", "<?php\n$_config['a'] = <<<EOT\ns3cret\nEOT;\n", 2, "heredoc"},
		{"not a config", "<?php\necho 's3cret';\n", 1, "no $_config assignments"},
		{"empty", "", 1, "no $_config assignments"},
		{"bad number", "<?php\n$_config['a'] = 0x;\n", 2, "malformed number"},
		{"too deep", "<?php\n$_config['a'] = " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + ";\n", 2, "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfigGlobal([]byte(tt.src))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if ce.Line != tt.line || ce.File != "config_global.php" || !strings.Contains(ce.Msg, tt.msg) {
				t.Errorf("err = %q, want line %d and %q", err, tt.line, tt.msg)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks a value: %q", err)
			}
		})
	}
}

func TestReadConfigGlobalFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config_global.php")
	if err := os.WriteFile(path, []byte(configX35), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ReadConfigGlobal(path)
	if err != nil || c.DB.Name != "ultrax" {
		t.Fatalf("ReadConfigGlobal = %+v, %v", c, err)
	}
	bad := filepath.Join(dir, "bad.php")
	if err := os.WriteFile(bad, []byte("<?php\n$_config['a'] = 'x'\n$_config['b'] = 1;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConfigGlobal(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":3: ") {
		t.Errorf("err = %v, want it to start with %q", err, bad+":3: ")
	}
	if _, err := ReadConfigGlobal(filepath.Join(dir, "missing.php")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, src := range []string{
		"<?php $_config['db'][1]['dbname'] = 'n'; $_config['security']['authkey'] = 'k';",
		"<?php $_config['db'][1]['dbhost'] = 'h'; $_config['security']['authkey'] = 'k';",
		"<?php $_config['db'][1]['dbhost'] = 'h'; $_config['db'][1]['dbname'] = 'n';",
	} {
		c, err := ParseConfigGlobal([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err == nil {
			t.Errorf("Validate passed for %q", src)
		}
	}
}

func TestHostAddr(t *testing.T) {
	none := func(string) bool { return false }
	run := func(string) bool { return true }
	tmp := func(p string) bool { return p == "/tmp/mysql.sock" }
	tests := []struct {
		host     string
		isSocket func(string) bool
		net      string
		addr     string
	}{
		{"localhost", run, "unix", "/var/run/mysqld/mysqld.sock"},
		{"LOCALHOST", tmp, "unix", "/tmp/mysql.sock"},
		{"", run, "unix", "/var/run/mysqld/mysqld.sock"},
		{"p:localhost", run, "unix", "/var/run/mysqld/mysqld.sock"},
		{"localhost", none, "tcp", "127.0.0.1:3306"},
		{"db.example.com", run, "tcp", "db.example.com:3306"},
		{"10.0.0.2:3307", run, "tcp", "10.0.0.2:3307"},
		{"localhost:3307", run, "tcp", "127.0.0.1:3307"},
		{":3307", run, "tcp", "127.0.0.1:3307"},
		{"127.0.0.1", run, "tcp", "127.0.0.1:3306"},
		{"localhost:/tmp/mysql.sock", none, "unix", "/tmp/mysql.sock"},
		{"[::1]:3307", run, "tcp", "[::1]:3307"},
		{"[::1]", run, "tcp", "[::1]:3306"},
		{"::1", run, "tcp", "[::1]:3306"},
	}
	for _, tt := range tests {
		n, a, note := HostAddr(tt.host, tt.isSocket)
		if n != tt.net || a != tt.addr {
			t.Errorf("HostAddr(%q) = %s(%s), want %s(%s)", tt.host, n, a, tt.net, tt.addr)
		}
		if strings.EqualFold(strings.TrimPrefix(tt.host, "p:"), "localhost") && !strings.Contains(note, "/") {
			t.Errorf("HostAddr(%q) note %q does not say which socket", tt.host, note)
		}
	}
}

// TestMySQLDSNEscaping: whatever the password, the driver reads back the
// same user, password, address and database.
func TestMySQLDSNEscaping(t *testing.T) {
	for _, pw := range []string{`p@ss:w/o"rd\x$y`, "a/b@c:d(e)?f=g&h", "pass word", "%41%", "", "@/:"} {
		for _, user := range []string{"discuz", "us@er"} {
			dsn := mysqlDSN("db.example.com:3307", user, pw, "my db/x", "utf8mb4")
			cfg, err := mysql.ParseDSN(dsn)
			if err != nil {
				t.Errorf("ParseDSN(%q): %v", dsn, err)
				continue
			}
			if cfg.User != user || cfg.Passwd != pw || cfg.Addr != "db.example.com:3307" || cfg.DBName != "my db/x" || cfg.Net != "tcp" {
				t.Errorf("round trip of %q/%q: got user %q pw %q addr %q db %q", user, pw, cfg.User, cfg.Passwd, cfg.Addr, cfg.DBName)
			}
			if !strings.HasSuffix(dsn, "?charset=utf8mb4") {
				t.Errorf("DSN %q lacks the charset", dsn)
			}
		}
	}
}

func TestParseConfigUCenter(t *testing.T) {
	c, err := ParseConfigUCenter([]byte(configUCenter))
	if err != nil {
		t.Fatal(err)
	}
	want := UCenterConfig{
		Connect: "mysql", DBHost: "localhost", DBUser: "root", DBPassword: `uc"pw'1`, DBName: "discuz",
		DBCharset: "utf8mb4", DBTablePre: "`discuz`.pre_ucenter_", TableDB: "discuz", TablePrefix: "pre_ucenter_",
		DBConnect: false, Key: "k3y$with,comma", API: "http://forum.example/uc_server", Charset: "utf-8",
		IP: "", AppID: "1", PPP: 20, Standalone: true,
	}
	if *c != want {
		t.Errorf("got  %+v\nwant %+v", *c, want)
	}
	if !c.IsMySQL() {
		t.Error("IsMySQL = false")
	}
	// UC_DBHOST 'localhost': the socket when this machine has one, as PHP would.
	n, a, _ := HostAddr("localhost", isSocket)
	if got, want := c.MySQLDSN(), `root:uc"pw'1@`+n+`(`+a+`)/discuz?charset=utf8mb4`; got != want {
		t.Errorf("MySQLDSN = %q, want %q", got, want)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "config_ucenter.php")
	if err := os.WriteFile(path, []byte(configUCenter), 0o600); err != nil {
		t.Fatal(err)
	}
	if rc, err := ReadConfigUCenter(path); err != nil || *rc != want {
		t.Errorf("ReadConfigUCenter = %+v, %v", rc, err)
	}
	if _, err := ReadConfigUCenter(filepath.Join(dir, "nope.php")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestParseConfigUCenterVariants(t *testing.T) {
	c, err := ParseConfigUCenter([]byte("<?php\ndefine('UC_CONNECT', '');\ndefine(\"UC_DBTABLEPRE\", \"pre_ucenter_\");\nDEFINE('UC_PPP', 20);\ndefine('UC_DBCONNECT', '1');\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.IsMySQL() || c.TableDB != "" || c.TablePrefix != "pre_ucenter_" || c.PPP != 20 || !c.DBConnect {
		t.Errorf("got %+v", c)
	}
	for _, tt := range []struct {
		pre, db, prefix string
	}{
		{"`discuz`.pre_ucenter_", "discuz", "pre_ucenter_"},
		{"discuz.pre_ucenter_", "discuz", "pre_ucenter_"},
		{"pre_ucenter_", "", "pre_ucenter_"},
		{"", "", ""},
	} {
		if db, prefix := splitUCTablePre(tt.pre); db != tt.db || prefix != tt.prefix {
			t.Errorf("splitUCTablePre(%q) = %q, %q", tt.pre, db, prefix)
		}
	}
	errs := []struct {
		src  string
		line int
	}{
		{"<?php\n\ndefine('UC_KEY', md5('s3cret'));\n", 3},
		{"<?php\ndefine('UC_PPP', 'x');\n", 2},
		{"<?php\ndefine('UC_KEY', 's3cret);\n", 2},
		{"<?php\ndefine('UC_KEY', 's3cret' 'x');\n", 2},
		{"<?php\n// nothing here\n", 1},
	}
	for _, e := range errs {
		_, err := ParseConfigUCenter([]byte(e.src))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Line != e.line || ce.File != "config_ucenter.php" {
			t.Errorf("ParseConfigUCenter(%q) err = %v, want line %d", e.src, err, e.line)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks a value: %v", err)
		}
	}
}

func FuzzParseConfigGlobal(f *testing.F) {
	f.Add([]byte(configX35))
	f.Add([]byte(configX34))
	f.Add([]byte(configUCenter))
	f.Add([]byte("<?php $_config['a'][] = array(1 => [2, 'x' . \"y\\x41\"], -3.5e2); ?>tail<?= $_config;"))
	f.Add([]byte("<?php if(!defined('A')) { define('DISCUZ_VERSION', \"X3.2 R2\"); }"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if c, err := ParseConfigGlobal(src); err == nil {
			_ = c.MySQLDSN()
			_ = c.Validate()
			_, _ = c.Lookup("db", "1", "dbhost")
		}
		if c, err := ParseConfigUCenter(src); err == nil {
			_ = c.MySQLDSN()
		}
		_, _, _ = parseVersion("discuz_version.php", src)
	})
}
