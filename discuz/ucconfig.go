package discuz

// config/config_ucenter.php: where UCenter lives and how to reach it.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// UCenterConfig is config/config_ucenter.php: how Discuz reaches UCenter.
type UCenterConfig struct {
	Connect    string // UC_CONNECT: "mysql" = direct DB access, "" = HTTP API
	DBHost     string
	DBUser     string
	DBPassword string
	DBName     string
	DBCharset  string
	// DBTablePre is UC_DBTABLEPRE as written, e.g. "`discuz`.pre_ucenter_";
	// TableDB and TablePrefix are its two halves ("discuz", "pre_ucenter_").
	DBTablePre  string
	TableDB     string
	TablePrefix string
	DBConnect   bool   // UC_DBCONNECT: persistent connection
	Key         string // UC_KEY, the shared secret with UCenter
	API         string // UC_API, the UCenter base URL
	Charset     string // UC_CHARSET
	IP          string // UC_IP
	AppID       string // UC_APPID
	PPP         int    // UC_PPP
	Standalone  bool   // UC_STANDALONE (X3.5)
	AvatarPath  string // UC_AVTPATH (X3.5 standalone mode): the avatar directory under the forum, "" = ./data/avatar/
}

// IsMySQL reports whether Discuz talks to UCenter's tables directly.
func (c *UCenterConfig) IsMySQL() bool { return strings.EqualFold(c.Connect, "mysql") }

// MySQLDSN returns a DSN for UCenter's database (often the forum's own),
// utf8mb4 like the forum's (GlobalConfig.MySQLDSN).
func (c *UCenterConfig) MySQLDSN() string {
	db := c.TableDB
	if db == "" {
		db = c.DBName
	}
	return mysqlDSN(c.DBHost, c.DBUser, c.DBPassword, db, connCharset)
}

// ReadConfigUCenter reads and parses a config_ucenter.php file.
func ReadConfigUCenter(path string) (*UCenterConfig, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ucenter config: %w", err)
	}
	return parseConfigUCenter(path, src)
}

// ParseConfigUCenter parses the define('UC_...', value) calls of a
// config_ucenter.php without running it.
func ParseConfigUCenter(src []byte) (*UCenterConfig, error) {
	return parseConfigUCenter("config_ucenter.php", src)
}

func parseConfigUCenter(file string, src []byte) (*UCenterConfig, error) {
	defs, err := readDefines(file, src)
	if err != nil {
		return nil, err
	}
	if len(defs) == 0 {
		return nil, &ConfigError{File: file, Line: 1, Msg: "no define() calls: not a config_ucenter.php"}
	}
	var first error
	str := func(name string) string {
		d, ok := defs[name]
		if !ok {
			return ""
		}
		s, ok := d.phpString()
		if !ok && first == nil {
			first = &ConfigError{File: file, Line: d.line, Msg: name + " is not a literal value"}
		}
		return s
	}
	c := &UCenterConfig{
		Connect:    str("UC_CONNECT"),
		DBHost:     str("UC_DBHOST"),
		DBUser:     str("UC_DBUSER"),
		DBPassword: str("UC_DBPW"),
		DBName:     str("UC_DBNAME"),
		DBCharset:  str("UC_DBCHARSET"),
		DBTablePre: str("UC_DBTABLEPRE"),
		Key:        str("UC_KEY"),
		API:        str("UC_API"),
		Charset:    str("UC_CHARSET"),
		IP:         str("UC_IP"),
		AppID:      str("UC_APPID"),
		AvatarPath: str("UC_AVTPATH"),
	}
	c.DBConnect = defs["UC_DBCONNECT"] != nil && defs["UC_DBCONNECT"].truthy()
	c.Standalone = defs["UC_STANDALONE"] != nil && defs["UC_STANDALONE"].truthy()
	if ppp := strings.TrimSpace(str("UC_PPP")); ppp != "" {
		n, err := strconv.Atoi(ppp)
		if err != nil && first == nil {
			first = &ConfigError{File: file, Line: defs["UC_PPP"].line, Msg: "UC_PPP is not a number"}
		}
		c.PPP = n
	}
	if first != nil {
		return nil, first
	}
	c.TableDB, c.TablePrefix = splitUCTablePre(c.DBTablePre)
	return c, nil
}

// splitUCTablePre splits "`discuz`.pre_ucenter_" into "discuz" and
// "pre_ucenter_"; a value without a database part is all prefix.
func splitUCTablePre(s string) (db, prefix string) {
	i := strings.LastIndex(s, ".")
	if i < 0 {
		return "", s
	}
	return strings.Trim(s[:i], "`"), s[i+1:]
}

// readDefines collects define('NAME', literal) calls anywhere in a PHP
// file (also inside if-blocks). A define whose value is not a literal is
// recorded as unsupported.
func readDefines(file string, src []byte) (map[string]*phpValue, error) {
	toks, err := lexPHP(file, src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, file: file}
	defs := map[string]*phpValue{}
	for p.peek().kind != tokEOF {
		t := p.next()
		if t.kind != tokIdent || !strings.EqualFold(t.text, "define") || !p.isPunct("(") {
			continue
		}
		p.next()
		name := p.peek()
		if name.kind != tokString || name.interp {
			continue
		}
		p.next()
		if !p.isPunct(",") {
			continue
		}
		p.next()
		start := p.pos
		v, err := p.parseExpr(0)
		if err == nil && continuesExpr(p.peek()) {
			err = errUnsupported
		}
		switch {
		case err == errUnsupported:
			p.pos = start
			v = &phpValue{kind: valUnsupported}
		case err != nil:
			return nil, fixFile(err, file)
		case !p.isPunct(")") && !p.isPunct(","):
			return nil, p.errorf(p.peek(), "expected ')' to close define(), found %s", p.peek().describe())
		}
		v.line = t.line
		defs[name.text] = v
	}
	return defs, nil
}

// ReadUCMyKey reads UC_MYKEY from UCenter's own uc_server/data/config.inc.php
// (bundled installs keep UCenter under the forum's root): the key UCenter
// 1.6 encrypts the applications' authkeys with.
func ReadUCMyKey(path string) (string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read UCenter server config: %w", err)
	}
	defs, err := readDefines(path, src)
	if err != nil {
		return "", err
	}
	d, ok := defs["UC_MYKEY"]
	if !ok {
		return "", &ConfigError{File: path, Line: 1, Msg: "no UC_MYKEY"}
	}
	k, ok := d.phpString()
	if !ok {
		return "", &ConfigError{File: path, Line: d.line, Msg: "UC_MYKEY is not a literal value"}
	}
	return k, nil
}
