package testdb

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// DiscuzRoot is a DISCUZ_ROOT whose config_global.php reaches d with
// the test server's account, says charset as dbcharset and output charset,
// and whose config_ucenter.php holds the given define() lines.
func (d *DB) DiscuzRoot(t testing.TB, charset, ucenter string) string {
	t.Helper()
	dc, err := mysql.ParseDSN(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	host := dc.Addr
	if dc.Net == "unix" {
		host = "localhost:" + dc.Addr
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "config"), 0o755)
	global := fmt.Sprintf("<?php\n$_config['db'][1]['dbhost'] = '%s';\n$_config['db'][1]['dbuser'] = '%s';\n$_config['db'][1]['dbpw'] = '%s';\n"+
		"$_config['db'][1]['dbcharset'] = '%s';\n$_config['db'][1]['dbname'] = '%s';\n$_config['db'][1]['tablepre'] = 'pre_';\n"+
		"$_config['cookie']['cookiepre'] = 'OqGo_';\n$_config['security']['authkey'] = 'siteauthkey';\n$_config['output']['charset'] = '%s';\n",
		host, dc.User, dc.Passwd, charset, dc.DBName, charset)
	for name, body := range map[string]string{"config_global.php": global, "config_ucenter.php": "<?php\n" + ucenter} {
		if err := os.WriteFile(filepath.Join(root, "config", name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
