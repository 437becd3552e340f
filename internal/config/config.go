// Package config turns environment variables, command-line flags and an
// optional Discuz install directory into one validated Config (CONTRACT §2).
// Precedence: flag > environment variable > DISCUZ_ROOT files > default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"qqconnect/discuz"
)

// Config is everything qqconnect needs to run. It is read once in main and
// passed down; nothing else reads the environment.
type Config struct {
	Addr          string
	PublicURL     string // no trailing slash
	CallbackPath  string
	DBDriver      string // "sqlite" or "mysql"
	DBDSN         string
	TablePrefix   string
	UCTablePrefix string
	DiscuzRoot    string
	Authkey       string // secret: never log
	CookiePre     string
	CookieDomain  string
	CookiePath    string
	QQAPIBase     string
	QQProtocol    string
	QzoneAPIBase  string
	Sandbox       bool
	RedisURL      string
	TrustedProxy  []string
	// TrustedProxyDefault: TrustedProxy is the loopback default (nothing
	// set, qqconnect listening on loopback).
	TrustedProxyDefault bool
	NoMigrate           bool

	// SandboxOnRealForum is the operator's explicit consent to run the
	// sandbox on a mysql (real forum) database.
	SandboxOnRealForum bool
	MetricsAddr        string // separate listener of /metrics; "" = on Addr

	// Learned from DISCUZ_ROOT, when set.
	DiscuzVersion string
	Charset       string // site charset, "utf-8" unless config_global says otherwise
	UCDatabase    string // UCenter's own database ("" = the forum's)
	UCDSN         string // secret (password): UCenter's MySQL server when it is not the forum's ("" = the forum's)
	UCHost        string // UC_DBHOST as written, for the doctor
	UCAppID       int64  // UC_APPID: the forum's row in UCenter's applications (0 = unknown: no synchronized login)
	UCMyKey       string // secret: UC_MYKEY of uc_server/data/config.inc.php, when UCenter lives under DISCUZ_ROOT
	DBNote        string // how config_global's dbhost is reached (the socket PHP would use), for errors
	// Discuz's memory cache ($_config['memory']): Discuz uses the first
	// backend configured in the file's order (discuz_memory::init).
	MemoryPrefix       string   // $_config['memory']['prefix']; "" = Discuz derives it from the Host header
	MemoryBackend      string   // the backend Discuz uses: redis, memcache, memcached, apcu, yac, …; "" = none
	MemoryRedis        string   // host:port (or a Unix socket path) of Discuz's redis, when redis is MemoryBackend
	MemoryRedisPW      string   // secret: never log
	MemoryRedisDB      int      // ['redis']['db'] (X3.5 only SELECTs it)
	MemoryMemcache     string   // ['memcache'|'memcached']['server'], when one of them is MemoryBackend
	MemoryMemcachePort int      // its ['port']
	MemoryOther        []string // configured backends qqconnect does not clear, in the file's order
	CacheType          string
	// AvatarDir is where the forum keeps its avatar files (discuz.AvatarDir):
	// "" when qqconnect cannot tell, and AvatarNote says why (or how it was found).
	AvatarDir  string
	AvatarNote string
}

// RedirectURI is the one exact OAuth redirect_uri: PUBLIC_URL + CALLBACK_PATH.
func (c *Config) RedirectURI() string { return c.PublicURL + c.CallbackPath }

// HTTPS reports whether the public origin is https, so cookies get Secure.
func (c *Config) HTTPS() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// Error names the setting that is wrong, so the operator can fix it in one go.
type Error struct {
	Setting string // e.g. QQCONNECT_PUBLIC_URL
	Msg     string
}

func (e *Error) Error() string { return e.Setting + ": " + e.Msg }

// SandboxOnRealForumPhrase is the one value of QQCONNECT_SANDBOX_ON_REAL_FORUM
// that allows the sandbox on a mysql database: a phrase, not "true", so
// nobody switches it on by habit or by copying a demo's settings.
const SandboxOnRealForumPhrase = "i-know-this-is-not-qq"

// setting describes one CONTRACT §2 variable and its flag.
type setting struct {
	env, flag, usage string
	dst              *string
}

// Load reads the configuration. args are the command-line arguments after the
// command name; getenv is os.Getenv (injected for tests). The remaining
// positional arguments are returned.
func Load(args []string, getenv func(string) string, stderr io.Writer) (*Config, []string, error) {
	var raw struct {
		addr, public, callback, driver, dsn, pre, ucpre, root, authkey, cpre, cdomain, cpath,
		qqbase, proto, qzone, sandbox, sandboxReal, metrics, redis, proxies string
	}
	settings := []setting{
		{"QQCONNECT_ADDR", "addr", "listen address", &raw.addr},
		{"QQCONNECT_PUBLIC_URL", "public-url", "external base URL of the site", &raw.public},
		{"QQCONNECT_CALLBACK_PATH", "callback-path", "path of the OAuth redirect_uri", &raw.callback},
		{"QQCONNECT_DB_DRIVER", "db-driver", "sqlite or mysql", &raw.driver},
		{"QQCONNECT_DB_DSN", "db-dsn", "database DSN", &raw.dsn},
		{"QQCONNECT_TABLE_PREFIX", "table-prefix", "Discuz table prefix", &raw.pre},
		{"QQCONNECT_UC_TABLE_PREFIX", "uc-table-prefix", "UCenter table prefix", &raw.ucpre},
		{"QQCONNECT_DISCUZ_ROOT", "discuz-root", "Discuz install directory", &raw.root},
		{"QQCONNECT_AUTHKEY", "authkey", "Discuz security authkey", &raw.authkey},
		{"QQCONNECT_COOKIE_PRE", "cookie-pre", "Discuz cookiepre", &raw.cpre},
		{"QQCONNECT_COOKIE_DOMAIN", "cookie-domain", "Discuz cookiedomain", &raw.cdomain},
		{"QQCONNECT_COOKIE_PATH", "cookie-path", "Discuz cookiepath", &raw.cpath},
		{"QQCONNECT_QQ_API_BASE", "qq-api-base", "base URL of the QQ endpoints", &raw.qqbase},
		{"QQCONNECT_QQ_PROTOCOL", "qq-protocol", "auto, oauth2 or oauth1", &raw.proto},
		{"QQCONNECT_QZONE_API_BASE", "qzone-api-base", "base URL of the OAuth 1.0 endpoints", &raw.qzone},
		{"QQCONNECT_SANDBOX", "sandbox", "serve the built-in QQ emulator (true/false)", &raw.sandbox},
		{"QQCONNECT_SANDBOX_ON_REAL_FORUM", "sandbox-on-real-forum", "allow the sandbox on a mysql database: exactly " + SandboxOnRealForumPhrase, &raw.sandboxReal},
		{"QQCONNECT_METRICS_ADDR", "metrics-addr", "serve /metrics only on this separate listen address", &raw.metrics},
		{"QQCONNECT_REDIS_URL", "redis-url", "shared state for several instances", &raw.redis},
		{"QQCONNECT_TRUSTED_PROXIES", "trusted-proxies", "comma-separated CIDRs whose X-Forwarded-For is believed", &raw.proxies},
	}
	fs := flag.NewFlagSet("qqconnect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flagVals := make(map[string]*string, len(settings))
	for _, s := range settings {
		flagVals[s.flag] = fs.String(s.flag, "", s.usage+" (env "+s.env+")")
	}
	noMigrate := fs.Bool("no-migrate", false, "serve without applying qqconnect's own migrations")
	if err := fs.Parse(args); err != nil {
		return nil, nil, &Error{Setting: "flags", Msg: err.Error()}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range settings {
		if given[s.flag] {
			*s.dst = *flagVals[s.flag]
		} else {
			*s.dst = strings.TrimSpace(getenv(s.env))
		}
	}

	c := &Config{NoMigrate: *noMigrate, Charset: "utf-8"}
	c.DiscuzRoot = raw.root
	if c.DiscuzRoot != "" {
		if err := c.readDiscuzRoot(); err != nil {
			return nil, nil, err
		}
	} else {
		c.AvatarDir, c.AvatarNote = discuz.AvatarDir("", "", nil)
	}
	override := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	c.Addr = "127.0.0.1:8080"
	override(&c.Addr, raw.addr)
	if c.DBDriver == "" {
		c.DBDriver = "sqlite"
	}
	override(&c.DBDriver, raw.driver)
	override(&c.DBDSN, raw.dsn)
	if raw.dsn != "" {
		c.DBNote = "" // config_global's dbhost is not what is used
	}
	if c.DBDSN == "" && c.DBDriver == "sqlite" {
		c.DBDSN = "data/qqconnect.db"
	}
	if c.TablePrefix == "" {
		c.TablePrefix = "pre_"
	}
	override(&c.TablePrefix, raw.pre)
	override(&c.UCTablePrefix, raw.ucpre)
	// Discuz's UC_DBTABLEPRE form "`ucdb`.pre_ucenter_": UCenter in a database
	// of its own on the forum's server.
	if i := strings.LastIndex(c.UCTablePrefix, "."); i >= 0 {
		c.UCDatabase, c.UCTablePrefix = strings.Trim(c.UCTablePrefix[:i], "`"), c.UCTablePrefix[i+1:]
	}
	if c.UCTablePrefix == "" {
		c.UCTablePrefix = c.TablePrefix + "ucenter_"
	}
	override(&c.Authkey, raw.authkey)
	override(&c.CookiePre, raw.cpre)
	override(&c.CookieDomain, raw.cdomain)
	if c.CookiePath == "" {
		c.CookiePath = "/"
	}
	override(&c.CookiePath, raw.cpath)
	c.CallbackPath = "/connect/qq/callback"
	override(&c.CallbackPath, raw.callback)
	c.QQAPIBase = "https://graph.qq.com"
	override(&c.QQAPIBase, raw.qqbase)
	c.QQProtocol = "auto"
	override(&c.QQProtocol, raw.proto)
	c.QzoneAPIBase = "http://openapi.qzone.qq.com"
	override(&c.QzoneAPIBase, raw.qzone)
	c.RedisURL = raw.redis
	c.PublicURL = raw.public
	c.MetricsAddr = raw.metrics

	if err := c.validate(raw.sandbox, raw.sandboxReal, raw.proxies, raw.qqbase != "", raw.qzone != ""); err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), nil
}

func (c *Config) validate(sandbox, sandboxReal, proxies string, qqBaseGiven, qzoneGiven bool) error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return &Error{"QQCONNECT_ADDR", fmt.Sprintf("%q is not host:port", c.Addr)}
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			return &Error{"QQCONNECT_METRICS_ADDR", fmt.Sprintf("%q is not host:port, e.g. 127.0.0.1:9100", c.MetricsAddr)}
		}
		if c.MetricsAddr == c.Addr {
			return &Error{"QQCONNECT_METRICS_ADDR", fmt.Sprintf("%q must differ from QQCONNECT_ADDR: /metrics gets a listener of its own", c.MetricsAddr)}
		}
	}
	if c.PublicURL == "" {
		host, port, _ := net.SplitHostPort(c.Addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		c.PublicURL = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return &Error{"QQCONNECT_PUBLIC_URL", fmt.Sprintf("%q must be an absolute http(s) URL without query, e.g. https://bbs.example.com", c.PublicURL)}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if !strings.HasPrefix(c.CallbackPath, "/") || strings.HasPrefix(c.CallbackPath, "//") || strings.ContainsAny(c.CallbackPath, " #\r\n") {
		return &Error{"QQCONNECT_CALLBACK_PATH", fmt.Sprintf("%q must be a path starting with one /", c.CallbackPath)}
	}
	switch c.DBDriver {
	case "sqlite", "mysql":
	default:
		return &Error{"QQCONNECT_DB_DRIVER", fmt.Sprintf("%q is not sqlite or mysql", c.DBDriver)}
	}
	if c.DBDSN == "" {
		return &Error{"QQCONNECT_DB_DSN", "is required for mysql (or set QQCONNECT_DISCUZ_ROOT)"}
	}
	if !validPrefix(c.TablePrefix) {
		return &Error{"QQCONNECT_TABLE_PREFIX", fmt.Sprintf("%q may hold only letters, digits and _", c.TablePrefix)}
	}
	if !validPrefix(c.UCTablePrefix) {
		return &Error{"QQCONNECT_UC_TABLE_PREFIX", fmt.Sprintf("%q may hold only letters, digits and _", c.UCTablePrefix)}
	}
	if !validPrefix(c.UCDatabase) {
		return &Error{"QQCONNECT_UC_TABLE_PREFIX", fmt.Sprintf("UCenter database %q: only letters, digits and _ are supported", c.UCDatabase)}
	}
	if c.DBDriver == "sqlite" && c.UCDatabase != "" {
		return &Error{"QQCONNECT_UC_TABLE_PREFIX", "a UCenter database of its own needs mysql"}
	}
	if c.DBDriver == "mysql" && c.UCDatabase != "" && c.UCDSN == "" {
		if dc, err := mysql.ParseDSN(c.DBDSN); err == nil && dc.DBName == c.UCDatabase {
			c.UCDatabase = "" // the forum's own database
		}
	}
	if c.DBDriver == "mysql" && c.Authkey == "" {
		return &Error{"QQCONNECT_AUTHKEY", "is required with mysql: copy $_config['security']['authkey'] or set QQCONNECT_DISCUZ_ROOT"}
	}
	switch c.QQProtocol {
	case "auto", "oauth2", "oauth1":
	default:
		return &Error{"QQCONNECT_QQ_PROTOCOL", fmt.Sprintf("%q is not auto, oauth2 or oauth1", c.QQProtocol)}
	}
	for name, base := range map[string]string{"QQCONNECT_QQ_API_BASE": c.QQAPIBase, "QQCONNECT_QZONE_API_BASE": c.QzoneAPIBase} {
		b, err := url.Parse(base)
		if err != nil || (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" {
			return &Error{name, fmt.Sprintf("%q must be an absolute http(s) URL", base)}
		}
	}
	c.QQAPIBase = strings.TrimRight(c.QQAPIBase, "/")
	c.Sandbox = c.DBDriver == "sqlite"
	if sandbox != "" {
		b, err := strconv.ParseBool(sandbox)
		if err != nil {
			return &Error{"QQCONNECT_SANDBOX", fmt.Sprintf("%q is not true or false", sandbox)}
		}
		c.Sandbox = b
	}
	if sandboxReal != "" && sandboxReal != SandboxOnRealForumPhrase {
		return &Error{"QQCONNECT_SANDBOX_ON_REAL_FORUM", fmt.Sprintf("must be exactly %q (or unset)", SandboxOnRealForumPhrase)}
	}
	c.SandboxOnRealForum = sandboxReal == SandboxOnRealForumPhrase
	// The sandbox logs anyone in as whichever QQ number they pick; on a real
	// forum that is every member bound to a sandbox openid.
	if c.Sandbox && c.DBDriver == "mysql" && !c.SandboxOnRealForum {
		return &Error{"QQCONNECT_SANDBOX", "is on with a mysql (real forum) database: QQ login would go to the built-in sandbox, " +
			"where anyone could log in as any member bound to a sandbox QQ number. Unset QQCONNECT_SANDBOX; " +
			"only for a throw-away copy of a forum also set QQCONNECT_SANDBOX_ON_REAL_FORUM=" + SandboxOnRealForumPhrase}
	}
	if c.Sandbox && !qqBaseGiven {
		c.QQAPIBase = c.PublicURL + "/sandbox/qq"
	}
	if c.Sandbox && !qzoneGiven {
		c.QzoneAPIBase = c.PublicURL + "/sandbox/qq"
	}
	c.QzoneAPIBase = strings.TrimRight(c.QzoneAPIBase, "/")
	switch {
	case strings.EqualFold(strings.TrimSpace(proxies), "none"):
		// explicitly none, even on loopback
	case proxies == "" && loopbackAddr(c.Addr):
		// Listening on loopback, every peer is a local process: the forum's
		// own reverse proxy. Believing its X-Forwarded-For keeps visitors
		// apart (rate limits, logs) without the operator saying so.
		c.TrustedProxy = []string{"127.0.0.1", "::1"}
		c.TrustedProxyDefault = true
	case proxies != "":
		for _, p := range strings.Split(proxies, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
				return &Error{"QQCONNECT_TRUSTED_PROXIES", fmt.Sprintf("%q is not an IP or CIDR", p)}
			}
			c.TrustedProxy = append(c.TrustedProxy, p)
		}
	}
	if c.RedisURL != "" {
		if r, err := url.Parse(c.RedisURL); err != nil || (r.Scheme != "redis" && r.Scheme != "rediss") {
			return &Error{"QQCONNECT_REDIS_URL", "must look like redis://host:6379/0"}
		}
	}
	return nil
}

func validPrefix(p string) bool {
	for _, r := range p {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// readDiscuzRoot takes DB, prefix, authkey and cookie settings from the
// forum's own config files, so an admin only has to point at the install.
func (c *Config) readDiscuzRoot() error {
	g, err := discuz.ReadConfigGlobal(filepath.Join(c.DiscuzRoot, "config", "config_global.php"))
	if err != nil {
		return &Error{"QQCONNECT_DISCUZ_ROOT", err.Error()}
	}
	c.DBDriver = "mysql"
	c.DBDSN = g.MySQLDSN()
	c.DBNote = g.DBHostNote()
	c.TablePrefix = g.DB.TablePre
	c.Authkey = g.Authkey
	c.CookiePre = g.Cookie.Pre
	c.CookieDomain = g.Cookie.Domain
	c.CookiePath = g.Cookie.Path
	if g.OutputCharset != "" {
		c.Charset = g.OutputCharset
	}
	c.readMemory(g)
	uc, err := discuz.ReadConfigUCenter(filepath.Join(c.DiscuzRoot, "config", "config_ucenter.php"))
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		uc = nil
	case err != nil:
		return &Error{"QQCONNECT_DISCUZ_ROOT", err.Error()}
	default:
		if err := c.placeUCenter(g, uc); err != nil {
			return err
		}
		c.readSynlogin(uc)
	}
	if v, _, err := discuz.ReadVersion(c.DiscuzRoot); err == nil {
		c.DiscuzVersion = v
	}
	c.AvatarDir, c.AvatarNote = discuz.AvatarDir(c.DiscuzRoot, c.DiscuzVersion, uc)
	return nil
}

// placeUCenter decides from config_ucenter.php where UCenter's tables are:
// the forum's database; a database of its own on the forum's MySQL server,
// which the forum's connection reaches with qualified table names (so a
// unit of work stays one transaction); or another MySQL server, reached
// with UCenter's own UC_DB* account. UCenter reached over HTTP (an empty
// UC_CONNECT) is refused by name.
func (c *Config) placeUCenter(g *discuz.GlobalConfig, uc *discuz.UCenterConfig) error {
	if !strings.EqualFold(strings.TrimSpace(uc.Connect), "mysql") {
		return &Error{"QQCONNECT_DISCUZ_ROOT", fmt.Sprintf("config_ucenter.php 中 UC_CONNECT=%q：本站通过 HTTP（UC_API）连接 UCenter，qqconnect 需要直接读写 UCenter 的数据库。"+
			"请把 UC_CONNECT 改为 'mysql'，并填写 UCenter 数据库的 UC_DBHOST/UC_DBUSER/UC_DBPW/UC_DBNAME/UC_DBTABLEPRE（Discuz 同样支持这种方式），然后重启 qqconnect / "+
			"config_ucenter.php has UC_CONNECT=%q: this forum reaches UCenter over HTTP (UC_API), "+
			"and qqconnect needs UCenter's database. Set UC_CONNECT='mysql' with UC_DBHOST/UC_DBUSER/UC_DBPW/UC_DBNAME/UC_DBTABLEPRE "+
			"of UCenter's database (Discuz works that way too), then restart qqconnect", uc.Connect, uc.Connect)}
	}
	db := uc.TableDB
	if db == "" && uc.DBName != "" {
		db = uc.DBName
	}
	if !sameDBHost(uc.DBHost, g.DB.Host) && strings.TrimSpace(uc.DBHost) != "" {
		// Another MySQL server: a second connection, with UCenter's own
		// account, as Discuz's uc_client opens one.
		if db == "" {
			return &Error{"QQCONNECT_DISCUZ_ROOT", fmt.Sprintf("config_ucenter.php 把 UCenter 放在另一台 MySQL 服务器（UC_DBHOST=%q）上，却没有写数据库名："+
				"请按 UCenter 自己的配置填写 UC_DBNAME（以及 UC_DBTABLEPRE，如 '`ucenter`.pre_ucenter_'）/ "+
				"config_ucenter.php puts UCenter on another MySQL server (UC_DBHOST=%q) but names no database: "+
				"set UC_DBNAME (and UC_DBTABLEPRE, e.g. '`ucenter`.pre_ucenter_') as UCenter's own config says", uc.DBHost, uc.DBHost)}
		}
		c.UCDatabase, c.UCDSN, c.UCHost = db, uc.MySQLDSN(), uc.DBHost
	} else if db != "" && db != g.DB.Name {
		c.UCDatabase = db
	}
	if uc.TablePrefix != "" {
		c.UCTablePrefix = uc.TablePrefix
	}
	return nil
}

// readSynlogin takes what UCenter's synchronized login needs: the forum's
// UC_APPID, and UCenter's UC_MYKEY when UCenter is installed under the
// forum (uc_server/), to read the authkeys UCenter 1.6 stores encrypted.
func (c *Config) readSynlogin(uc *discuz.UCenterConfig) {
	if id, err := strconv.ParseInt(strings.TrimSpace(uc.AppID), 10, 64); err == nil && id > 0 {
		c.UCAppID = id
	}
	if k, err := discuz.ReadUCMyKey(filepath.Join(c.DiscuzRoot, "uc_server", "data", "config.inc.php")); err == nil {
		c.UCMyKey = k
	}
}

// loopbackAddr reports whether a listen address is on loopback only.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameDBHost compares two Discuz dbhost values ("host", "host:port",
// "localhost:/path.sock"); localhost and 127.0.0.1 on the default port are
// one server.
func sameDBHost(a, b string) bool {
	norm := func(h string) string {
		h = strings.ToLower(strings.TrimSpace(h))
		h = strings.TrimSuffix(h, ":3306")
		if h == "127.0.0.1" || h == "" {
			h = "localhost"
		}
		return h
	}
	return norm(a) == norm(b)
}

// readMemory takes Discuz's memory cache from config_global.php the way
// discuz_memory::init picks it: the first configured backend in the file's
// order. qqconnect clears redis and memcache(d) itself; the others (and
// the fallbacks after the first) are listed in MemoryOther.
func (c *Config) readMemory(g *discuz.GlobalConfig) {
	c.MemoryPrefix = g.Memory.Prefix
	c.CacheType = g.CacheType
	c.MemoryBackend = g.MemoryBackend()
	cleared := ""
	switch c.MemoryBackend {
	case "redis":
		r := g.Memory.Redis
		switch {
		case strings.HasPrefix(r.Server, "/"): // phpredis: a path is a Unix socket
			c.MemoryRedis = r.Server
		case r.Port == 0: // phpredis's default port
			c.MemoryRedis = net.JoinHostPort(r.Server, "6379")
		default:
			c.MemoryRedis = net.JoinHostPort(r.Server, strconv.Itoa(r.Port))
		}
		c.MemoryRedisPW = g.Memory.Redis.Password
		c.MemoryRedisDB = g.Memory.Redis.DB
		cleared = "redis"
	case "memcache", "memcached":
		m := g.Memory.Memcache
		if c.MemoryBackend == "memcached" {
			m = g.Memory.Memcached
		}
		c.MemoryMemcache, c.MemoryMemcachePort = m.Server, m.Port
		cleared = c.MemoryBackend
	}
	for _, name := range g.MemoryOrder() {
		if name != cleared {
			c.MemoryOther = append(c.MemoryOther, name)
		}
	}
}

// GlobalConfigPath is config_global.php under DISCUZ_ROOT ("" without one).
func (c *Config) GlobalConfigPath() string {
	if c.DiscuzRoot == "" {
		return ""
	}
	return filepath.Join(c.DiscuzRoot, "config", "config_global.php")
}

// RereadMemory returns a copy of c with what config_global.php configures
// for Discuz's memory and file cache read again: the part qqconnect takes
// without a restart (database, authkey and cookies need one). A variable
// that overrode the file at start-up is not involved: no variable sets
// these.
func (c *Config) RereadMemory() (*Config, error) {
	path := c.GlobalConfigPath()
	if path == "" {
		return c, nil
	}
	g, err := discuz.ReadConfigGlobal(path)
	if err != nil {
		return nil, err
	}
	cp := *c
	cp.MemoryPrefix, cp.CacheType, cp.MemoryBackend = "", "", ""
	cp.MemoryRedis, cp.MemoryRedisPW, cp.MemoryRedisDB = "", "", 0
	cp.MemoryMemcache, cp.MemoryMemcachePort, cp.MemoryOther = "", 0, nil
	cp.readMemory(g)
	return &cp, nil
}
