package discuz

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// GlobalConfig is what qqconnect needs from Discuz's config/config_global.php.
// Values are as written in the file; nothing is defaulted except as noted.
type GlobalConfig struct {
	DB            DBConfig     // $_config['db'][1], the main server
	Authkey       string       // $_config['security']['authkey']
	Cookie        CookieConfig // $_config['cookie']
	OutputCharset string       // $_config['output']['charset'], e.g. "utf-8" or "gbk"
	Memory        MemoryConfig // $_config['memory']
	CacheType     string       // $_config['cache']['type']: "sql" or "file"

	file string
	root *phpValue
}

// DBConfig is $_config['db'][1].
type DBConfig struct {
	Host     string // dbhost: "host", "host:port" or "localhost:/path/to.sock"
	User     string
	Password string
	Name     string
	Charset  string // dbcharset: utf8mb4, utf8, gbk, big5 or ""
	TablePre string // tablepre, normally "pre_"
	Pconnect bool
}

// CookieConfig is $_config['cookie']. Pre lacks the 4-hex hash part; use
// CookieName to build real cookie names.
type CookieConfig struct {
	Pre    string
	Domain string
	Path   string
}

// MemoryConfig is $_config['memory']: where Discuz may keep its memory cache.
type MemoryConfig struct {
	Prefix    string
	Redis     RedisConfig
	Memcache  MemcacheConfig
	Memcached MemcacheConfig // X3.5
	// Enabled lists the switch-style backends (apc, apcu, xcache,
	// eaccelerator, yac, wincache, file) whose value is truthy; for the
	// array-valued "file" that means a non-empty ['file']['server'].
	Enabled []string
}

// RedisConfig is $_config['memory']['redis'].
type RedisConfig struct {
	Server   string
	Port     int
	Password string // requirepass
	DB       int
}

// MemcacheConfig is $_config['memory']['memcache'] or ['memcached'].
type MemcacheConfig struct {
	Server string
	Port   int
}

// Configured reports whether any memory backend is set up. Discuz uses one
// only if the PHP extension is loaded too, which cannot be seen from here;
// a true answer means its memory cache may hold copies of DB rows.
func (m MemoryConfig) Configured() bool {
	return m.Redis.Server != "" || m.Memcache.Server != "" || m.Memcached.Server != "" || len(m.Enabled) > 0
}

// switchBackends are the memory backends toggled by a plain value.
var switchBackends = []string{"apc", "apcu", "xcache", "eaccelerator", "yac", "wincache", "file"}

// ReadConfigGlobal reads and parses a config_global.php file.
func ReadConfigGlobal(path string) (*GlobalConfig, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read discuz config: %w", err)
	}
	return parseConfigGlobal(path, src)
}

// ParseConfigGlobal parses the text of a config_global.php without running
// it. It understands literal assignments to $_config[...] (both the
// $_config['db'][1] and the older $_config['db']['1'] form, array(...)
// values, comments, both quote styles) and skips every other statement.
// Assignments inside if-blocks are skipped as a whole. A value written as
// an expression (md5(...), a constant) is an error only if one of the
// fields above needs it.
func ParseConfigGlobal(src []byte) (*GlobalConfig, error) {
	return parseConfigGlobal("config_global.php", src)
}

func parseConfigGlobal(file string, src []byte) (*GlobalConfig, error) {
	toks, err := lexPHP(file, src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, file: file}
	root := &phpValue{kind: valNull}
	assigned := false
	for p.peek().kind != tokEOF {
		t := p.peek()
		switch {
		case t.kind == tokPunct && (t.text == ";" || t.text == "}"):
			p.next()
		case t.kind == tokVar && t.text == "_config":
			if err := p.configAssignment(root); err != nil {
				return nil, fixFile(err, file)
			}
			assigned = true
		default:
			if err := p.skipStatement(); err != nil {
				return nil, err
			}
		}
	}
	if !assigned {
		return nil, &ConfigError{File: file, Line: 1, Msg: "no $_config assignments: not a Discuz config_global.php"}
	}
	return buildGlobalConfig(file, root)
}

// configAssignment handles one "$_config[k]...[k] = value;" statement.
func (p *parser) configAssignment(root *phpValue) error {
	first := p.next()  // $_config
	var path []*string // nil element = "[]" append
	for p.isPunct("[") {
		p.next()
		if p.isPunct("]") {
			p.next()
			path = append(path, nil)
			continue
		}
		kv, err := p.parseExpr(0)
		if err == errUnsupported {
			return p.errorf(first, "array key is not a literal")
		}
		if err != nil {
			return err
		}
		k, ok := kv.arrayKey()
		if !ok || !p.isPunct("]") {
			return p.errorf(p.peek(), "expected ']' after the array key")
		}
		p.next()
		path = append(path, &k)
	}
	op := p.next()
	if op.kind != tokPunct || !strings.HasSuffix(op.text, "=") || op.text == "==" || op.text == "===" || op.text == "!=" || op.text == "!==" || op.text == "<=" || op.text == ">=" {
		return p.errorf(op, "expected '=' after $_config[...], found %s", op.describe())
	}
	start := p.pos
	var v *phpValue
	var err error
	if op.text == "=" {
		v, err = p.parseExpr(0)
		if err == nil && continuesExpr(p.peek()) {
			err = errUnsupported
		}
	} else {
		err = errUnsupported // .= and friends
	}
	switch {
	case err == errUnsupported:
		p.pos = start
		if err := p.skipStatement(); err != nil {
			return err
		}
		v = &phpValue{kind: valUnsupported}
	case err != nil:
		return err
	default:
		if t := p.next(); t.kind != tokPunct || t.text != ";" {
			return p.errorf(t, "expected ';' after the value, found %s", t.describe())
		}
	}
	v.line = first.line
	assignPath(root, path, v)
	return nil
}

// assignPath stores v at root[path...], turning non-arrays on the way into
// arrays (PHP would warn or fail on some of those; a config never does it).
func assignPath(root *phpValue, path []*string, v *phpValue) {
	cur := root
	for i, k := range path {
		if cur.kind != valArray {
			*cur = phpValue{kind: valArray, arr: newPHPArray(), line: cur.line}
		}
		if i == len(path)-1 {
			if k == nil {
				cur.arr.appendValue(v)
			} else {
				cur.arr.set(*k, v)
			}
			return
		}
		var child *phpValue
		if k != nil {
			child = cur.arr.get(*k)
		}
		if child == nil {
			child = &phpValue{kind: valNull, line: v.line}
			if k == nil {
				cur.arr.appendValue(child)
			} else {
				cur.arr.set(*k, child)
			}
		}
		cur = child
	}
	*cur = *v
}

// configReader pulls typed fields out of a parsed tree, remembering the
// first error.
type configReader struct {
	file string
	root *phpValue
	err  error
}

func lookup(root *phpValue, path ...string) *phpValue {
	cur := root
	for _, k := range path {
		if cur == nil || cur.kind != valArray {
			return nil
		}
		cur = cur.arr.get(k)
	}
	return cur
}

func configPath(path []string) string {
	var b strings.Builder
	b.WriteString("$_config")
	for _, k := range path {
		if _, ok := canonicalInt(k); ok {
			b.WriteString("[" + k + "]")
		} else {
			b.WriteString("['" + k + "']")
		}
	}
	return b.String()
}

func (r *configReader) fail(v *phpValue, path []string, msg string) {
	if r.err == nil {
		r.err = &ConfigError{File: r.file, Line: v.line, Msg: configPath(path) + " " + msg}
	}
}

func (r *configReader) str(path ...string) string {
	v := lookup(r.root, path...)
	if v == nil {
		return ""
	}
	switch v.kind {
	case valUnsupported:
		r.fail(v, path, "is not a literal value")
		return ""
	case valArray:
		r.fail(v, path, "is an array, expected a string")
		return ""
	}
	s, _ := v.phpString()
	return s
}

func (r *configReader) integer(path ...string) int {
	v := lookup(r.root, path...)
	if v == nil {
		return 0
	}
	switch v.kind {
	case valInt:
		return int(v.i)
	case valFloat:
		return int(v.f)
	case valBool:
		if v.b {
			return 1
		}
		return 0
	case valNull:
		return 0
	case valString:
		s := strings.TrimSpace(v.s)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			r.fail(v, path, "is not a number")
		}
		return n
	case valArray:
		r.fail(v, path, "is an array, expected a number")
	default:
		r.fail(v, path, "is not a literal value")
	}
	return 0
}

func (r *configReader) truthy(path ...string) bool {
	v := lookup(r.root, path...)
	if v == nil {
		return false
	}
	if v.kind == valUnsupported {
		r.fail(v, path, "is not a literal value")
	}
	return v.truthy()
}

func buildGlobalConfig(file string, root *phpValue) (*GlobalConfig, error) {
	r := &configReader{file: file, root: root}
	c := &GlobalConfig{file: file, root: root}
	c.DB = DBConfig{
		Host:     r.str("db", "1", "dbhost"),
		User:     r.str("db", "1", "dbuser"),
		Password: r.str("db", "1", "dbpw"),
		Name:     r.str("db", "1", "dbname"),
		Charset:  r.str("db", "1", "dbcharset"),
		TablePre: r.str("db", "1", "tablepre"),
		Pconnect: r.truthy("db", "1", "pconnect"),
	}
	c.Authkey = r.str("security", "authkey")
	c.Cookie = CookieConfig{
		Pre:    r.str("cookie", "cookiepre"),
		Domain: r.str("cookie", "cookiedomain"),
		Path:   r.str("cookie", "cookiepath"),
	}
	c.OutputCharset = r.str("output", "charset")
	c.CacheType = r.str("cache", "type")
	c.Memory = MemoryConfig{
		Prefix: r.str("memory", "prefix"),
		Redis: RedisConfig{
			Server:   r.str("memory", "redis", "server"),
			Port:     r.integer("memory", "redis", "port"),
			Password: r.str("memory", "redis", "requirepass"),
			DB:       r.integer("memory", "redis", "db"),
		},
		Memcache: MemcacheConfig{
			Server: r.str("memory", "memcache", "server"),
			Port:   r.integer("memory", "memcache", "port"),
		},
		Memcached: MemcacheConfig{
			Server: r.str("memory", "memcached", "server"),
			Port:   r.integer("memory", "memcached", "port"),
		},
	}
	for _, name := range switchBackends {
		v := lookup(root, "memory", name)
		on := false
		if v != nil && v.kind == valArray {
			on = r.truthy("memory", name, "server")
		} else {
			on = r.truthy("memory", name)
		}
		if on {
			c.Memory.Enabled = append(c.Memory.Enabled, name)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// Lookup returns another scalar from the file as a PHP string, e.g.
// Lookup("admincp", "founder"). ok is false when the value is missing, an
// array, or not a literal.
func (c *GlobalConfig) Lookup(path ...string) (value string, ok bool) {
	v := lookup(c.root, path...)
	if v == nil {
		return "", false
	}
	return v.phpString()
}

// Validate reports the first setting qqconnect cannot work without.
func (c *GlobalConfig) Validate() error {
	switch {
	case c.DB.Host == "":
		return fmt.Errorf("%s: $_config['db'][1]['dbhost'] is empty", c.file)
	case c.DB.Name == "":
		return fmt.Errorf("%s: $_config['db'][1]['dbname'] is empty", c.file)
	case c.Authkey == "":
		return fmt.Errorf("%s: $_config['security']['authkey'] is empty", c.file)
	}
	return nil
}

// MySQLDSN returns a go-sql-driver/mysql DSN for the main forum database.
// The connection is always utf8mb4, whatever dbcharset says: qqconnect's
// strings are UTF-8, its own tables are utf8mb4, and MySQL converts into
// each Discuz column's charset (gbk, big5, 3-byte utf8). A dbcharset
// connection would take UTF-8 bytes for GBK ones, or refuse an emoji in
// qqconnect's own tables.
func (c *GlobalConfig) MySQLDSN() string {
	return mysqlDSN(c.DB.Host, c.DB.User, c.DB.Password, c.DB.Name, connCharset)
}

// connCharset is the charset of every connection qqconnect opens.
const connCharset = "utf8mb4"

// mysqlDSN builds the DSN with the driver's own formatter, so that a
// password with '@', ':' or '/' survives. A user name containing ':'
// cannot be expressed in this DSN format.
func mysqlDSN(host, user, password, dbname, charset string) string {
	cfg := mysql.NewConfig()
	cfg.User = user
	cfg.Passwd = password
	cfg.DBName = dbname
	cfg.Net, cfg.Addr, _ = HostAddr(host, isSocket)
	_ = cfg.Apply(mysql.Charset(charset, "")) // cannot fail
	return cfg.FormatDSN()
}

// PHPSockets are where PHP's mysqli finds the server when dbhost is
// "localhost", in the order tried: Debian's and Ubuntu's PHP build
// (mysqli.default_socket), the same path through /run, MySQL's compiled-in
// default, and the RHEL/CentOS one.
var PHPSockets = []string{"/var/run/mysqld/mysqld.sock", "/run/mysqld/mysqld.sock", "/tmp/mysql.sock", "/var/lib/mysql/mysql.sock"}

// HostAddr turns a Discuz dbhost into a driver network and address the way
// PHP's mysqli reads it, and says what it chose (for error messages):
//   - "localhost" (or ""): the Unix socket, the first of PHPSockets that
//     exists; TCP 127.0.0.1:3306 only when none does. A forum account that
//     works only over the socket (Debian's unix_socket root, skip-networking,
//     user@localhost with skip-name-resolve) works for qqconnect too.
//   - "localhost:/path/to.sock": that socket.
//   - "localhost:3307", ":3307": TCP 127.0.0.1 on that port (the IPv4
//     literal, so ::1 is not tried first).
//   - "host", "host:port", "[v6]:port": TCP.
func HostAddr(host string, isSocket func(path string) bool) (network, addr, note string) {
	host = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(host), "p:"))
	if host == "" || strings.EqualFold(host, "localhost") {
		for _, p := range PHPSockets {
			if isSocket(p) {
				return "unix", p, fmt.Sprintf("dbhost %q: the Unix socket %s, as PHP's mysqli uses it for localhost", host, p)
			}
		}
		return "tcp", "127.0.0.1:3306", fmt.Sprintf("dbhost %q: none of the sockets PHP would use exists (%s), so TCP 127.0.0.1:3306; "+
			"write dbhost as 'localhost:/path/to/mysqld.sock' if the server listens elsewhere", host, strings.Join(PHPSockets, ", "))
	}
	if strings.HasPrefix(host, "[") { // [v6] or [v6]:port
		if h, port, err := net.SplitHostPort(host); err == nil {
			return "tcp", net.JoinHostPort(h, port), ""
		}
		return "tcp", net.JoinHostPort(strings.Trim(host, "[]"), "3306"), ""
	}
	if strings.Count(host, ":") > 1 && !strings.Contains(host, "/") { // bare IPv6
		return "tcp", net.JoinHostPort(host, "3306"), ""
	}
	h, rest, found := strings.Cut(host, ":")
	switch {
	case !found:
		return "tcp", net.JoinHostPort(host, "3306"), ""
	case strings.HasPrefix(rest, "/"):
		return "unix", rest, fmt.Sprintf("dbhost %q: the Unix socket %s", host, rest)
	case h == "" || strings.EqualFold(h, "localhost"):
		h = "127.0.0.1"
	}
	if rest == "" {
		rest = "3306"
	}
	return "tcp", net.JoinHostPort(h, rest), ""
}

// isSocket reports whether path is a Unix socket.
func isSocket(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}

// DBHostNote says how the forum's dbhost is reached (for error messages);
// "" when it is a plain TCP address.
func (c *GlobalConfig) DBHostNote() string {
	_, _, note := HostAddr(c.DB.Host, isSocket)
	return note
}
