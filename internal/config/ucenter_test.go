package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// TestUCenterPlacement: where config_ucenter.php (or the prefix variable)
// puts UCenter, and the layouts qqconnect refuses by name.
func TestUCenterPlacement(t *testing.T) {
	global := "<?php\n$_config['db'][1]['dbhost'] = 'localhost';\n$_config['db'][1]['dbuser'] = 'forum';\n$_config['db'][1]['dbpw'] = 'x';\n" +
		"$_config['db'][1]['dbname'] = 'discuz';\n$_config['db'][1]['tablepre'] = 'pre_';\n$_config['security']['authkey'] = 'k';\n"
	cases := []struct {
		name, ucenter       string
		wantDB, wantPre     string
		wantErr, errMention string
	}{
		{"same database", "define('UC_CONNECT', 'mysql');\ndefine('UC_DBNAME', 'discuz');\ndefine('UC_DBTABLEPRE', '`discuz`.pre_ucenter_');", "", "pre_ucenter_", "", ""},
		{"own database, same server", "define('UC_CONNECT', 'mysql');\ndefine('UC_DBHOST', '127.0.0.1');\ndefine('UC_DBNAME', 'ucenter');\ndefine('UC_DBTABLEPRE', '`ucenter`.uc_');", "ucenter", "uc_", "", ""},
		{"own database named only in UC_DBNAME", "define('UC_CONNECT', 'mysql');\ndefine('UC_DBHOST', 'localhost');\ndefine('UC_DBNAME', 'ucdb');\ndefine('UC_DBTABLEPRE', 'uc_');", "ucdb", "uc_", "", ""},
		{"another server", "define('UC_CONNECT', 'mysql');\ndefine('UC_DBHOST', '10.0.0.9:3307');\ndefine('UC_DBUSER', 'ucuser');\ndefine('UC_DBPW', 'uc@pw');\ndefine('UC_DBNAME', 'ucenter');\ndefine('UC_DBTABLEPRE', '`ucenter`.uc_');", "ucenter", "uc_", "", ""},
		{"another server, same database name", "define('UC_CONNECT', 'mysql');\ndefine('UC_DBHOST', '10.0.0.9');\ndefine('UC_DBNAME', 'discuz');\ndefine('UC_DBTABLEPRE', '`discuz`.pre_ucenter_');", "discuz", "pre_ucenter_", "", ""},
		{"another server, no database", "define('UC_CONNECT', 'mysql');\ndefine('UC_DBHOST', '10.0.0.9');\ndefine('UC_DBTABLEPRE', 'uc_');", "", "", "QQCONNECT_DISCUZ_ROOT", "UC_DBNAME"},
		{"over HTTP", "define('UC_CONNECT', '');\ndefine('UC_API', 'http://uc.example.com');", "", "", "QQCONNECT_DISCUZ_ROOT", "UC_CONNECT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			os.MkdirAll(filepath.Join(root, "config"), 0o755)
			os.WriteFile(filepath.Join(root, "config", "config_global.php"), []byte(global), 0o600)
			os.WriteFile(filepath.Join(root, "config", "config_ucenter.php"), []byte("<?php\n"+c.ucenter+"\n"), 0o600)
			cfg, err := load(t, nil, map[string]string{"QQCONNECT_DISCUZ_ROOT": root})
			if c.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) || e.Setting != c.wantErr || !strings.Contains(err.Error(), c.errMention) {
					t.Fatalf("err = %v, want one naming %s and %q", err, c.wantErr, c.errMention)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.UCDatabase != c.wantDB || cfg.UCTablePrefix != c.wantPre {
				t.Fatalf("UCenter at %q.%q, want %q.%q", cfg.UCDatabase, cfg.UCTablePrefix, c.wantDB, c.wantPre)
			}
			// Another server: a second connection with UCenter's own account.
			remote := strings.Contains(c.ucenter, "10.0.0.9")
			if remote != (cfg.UCDSN != "") {
				t.Fatalf("UCDSN %q for %s", cfg.UCDSN, c.name)
			}
			if remote {
				dc, err := mysql.ParseDSN(cfg.UCDSN)
				if err != nil || !strings.HasPrefix(dc.Addr, "10.0.0.9:") || dc.DBName != c.wantDB {
					t.Fatalf("UCDSN %+v %v", dc, err)
				}
				if strings.Contains(c.ucenter, "ucuser") && (dc.User != "ucuser" || dc.Passwd != "uc@pw" || dc.Addr != "10.0.0.9:3307") {
					t.Fatalf("UCDSN account %q@%q", dc.User, dc.Addr)
				}
			}
		})
	}
	// The variable takes Discuz's UC_DBTABLEPRE form too.
	cfg, err := load(t, nil, map[string]string{"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": "u@tcp(127.0.0.1:3306)/forum",
		"QQCONNECT_AUTHKEY": "k", "QQCONNECT_UC_TABLE_PREFIX": "`ucenter`.pre_ucenter_"})
	if err != nil || cfg.UCDatabase != "ucenter" || cfg.UCTablePrefix != "pre_ucenter_" {
		t.Fatalf("prefix variable: %+v %v", cfg, err)
	}
	if _, err := load(t, nil, map[string]string{"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": "u@tcp(127.0.0.1:3306)/forum",
		"QQCONNECT_AUTHKEY": "k", "QQCONNECT_UC_TABLE_PREFIX": "uc;drop.pre_"}); err == nil {
		t.Fatal("a UCenter database name with ; accepted")
	}
}
