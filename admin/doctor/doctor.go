// Package doctor holds every diagnostic check of qqconnect's admin toolbox:
// the checks Discuz's own 云平台诊断工具 made (X3.2/X3.3, discuz.md §6), the
// ones a standalone X3.4+/qqconnect site needs, and the network checks
// towards QQ. One implementation serves the /admin/doctor page and
// `qqconnect doctor --json` (CONTRACT §1).
//
// Run starts every check in its own goroutine with its own deadline
// (Env.CheckTimeout) and returns the results in the fixed order of IDs,
// whatever order they finish in. A check that panics or overruns its
// deadline becomes a "fail" result; Run itself never panics.
//
// The checks only read: nothing here writes to the database. Where a
// one-click fix exists, Result.Repair names the repair action (package
// admin/repair, CONTRACT §1).
package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"qqconnect/models"
)

// Status is the outcome of one check.
type Status string

// The four outcomes. Only Fail makes Report.OK false (and the exit status 1).
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Repair action ids (CONTRACT §1) offered by Result.Repair.
const (
	RepairClearSiteKey  = "clear-site-key"
	RepairClearAppKey   = "clear-app-key"
	RepairPluginDisable = "plugin-disable"
	RepairPluginEnable  = "plugin-enable"
	RepairSetAppKey     = "set-app-key"
	RepairRefreshCache  = "refresh-cache"
	RepairFixGuestGroup = "fix-guest-group"
	RepairSwitchOAuth2  = "switch-oauth2"
	// RepairConnectSettings is the QQ互联 settings editor (connect.allow …).
	RepairConnectSettings = "connect-settings"
	RepairAvatarOff       = "avatar-import-off"
)

// Result is one check's outcome. Detail and Fix are one line each and never
// carry a secret (appkey and site key are masked as ab****yz).
type Result struct {
	ID     string `json:"id"`     // stable id, e.g. "plugin_row"
	Title  string `json:"title"`  // Chinese + " / " + English
	Status Status `json:"status"` // ok | warn | fail | skip
	Detail string `json:"detail"` // what was found
	Fix    string `json:"fix"`    // a concrete fix in words ("" when ok)
	Repair string `json:"repair,omitempty"`
	MS     int64  `json:"ms"` // how long the check took
}

// Report is the outcome of one Run. OK is false when any check failed.
type Report struct {
	OK     bool     `json:"ok"`
	Checks []Result `json:"checks"`
}

// ExitCode is the exit status of `qqconnect doctor`: 0 when every check is
// ok, warn or skip, 1 when any failed.
func (r Report) ExitCode() int {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return 1
		}
	}
	return 0
}

// Resolver looks host names up; *net.Resolver satisfies it.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Env is everything the checks look at. Zero fields get the defaults named
// below; Run works on a copy, so the caller's Env is never changed.
type Env struct {
	Store *models.Store // nil if the database could not be opened: then "database" fails and DB checks skip
	DBErr error         // why Store is nil

	PublicURL     string // QQCONNECT_PUBLIC_URL
	CallbackPath  string // QQCONNECT_CALLBACK_PATH
	QQAPIBase     string // QQCONNECT_QQ_API_BASE, default https://graph.qq.com
	DiscuzVersion string // DISCUZ_VERSION from DISCUZ_ROOT; "" = unknown (guessed from the schema)
	Sandbox       bool
	Protocol      string // QQCONNECT_QQ_PROTOCOL: "auto" (default), "oauth2" or "oauth1"
	DBDriver      string // QQCONNECT_DB_DRIVER; "" = Store.Dialect (unknown without a Store)
	UCHost        string // UC_DBHOST when UCenter is on another MySQL server
	AvatarDir     string // the forum's avatar directory ("" unknown: AvatarNote says why)
	AvatarNote    string
	// ConfigRead names the config_global.php read and when ("" = none).
	ConfigRead string
	// InstanceProof answers a nonce as this forum's qqconnect does
	// (web.InstanceProof with the authkey); nil: the public_url check skips.
	InstanceProof func(nonce string) string
	// TrustedProxies is QQCONNECT_TRUSTED_PROXIES as in effect; Default
	// says it is the loopback default.
	TrustedProxies      []string
	TrustedProxyDefault bool

	// Discuz's memory/file cache configuration (config_global.php).
	MemoryBackend  string   // the backend Discuz uses (first in the file's order); "" = the first of MemoryRedis, MemoryMemcache, MemoryOther
	MemoryRedis    string   // host:port of the redis memory cache, "" when none
	MemoryMemcache string   // host:port of the memcache/memcached server, "" when none
	MemoryPrefix   string   // the key prefix Discuz uses
	CacheType      string   // $_config['cache']['type'] ("file" or "sql")
	MemoryOther    []string // other configured memory backends: "memcache", "memcached", "apc", "apcu", "yac", "file"…
	// MemoryProbe reaches the redis/memcached server qqconnect clears
	// (PING, version) under the check's deadline; nil = not probed.
	MemoryProbe func(ctx context.Context) error

	Resolver Resolver     // default net.DefaultResolver
	HTTP     *http.Client // default: 5 s timeout, redirects not followed
	QQHost   string       // host name the DNS check resolves, default the host of QQAPIBase
	Now      func() time.Time
	// CheckTimeout bounds every check (default 5 s).
	CheckTimeout time.Duration
}

const (
	defaultQQAPIBase    = "https://graph.qq.com"
	defaultCheckTimeout = 5 * time.Second
)

// withDefaults returns a copy of env with every default filled in.
func withDefaults(env *Env) *Env {
	e := &Env{}
	if env != nil {
		*e = *env
	}
	e.QQAPIBase = strings.TrimRight(strings.TrimSpace(e.QQAPIBase), "/")
	if e.QQAPIBase == "" {
		e.QQAPIBase = defaultQQAPIBase
	}
	if e.Resolver == nil {
		e.Resolver = net.DefaultResolver
	}
	if e.HTTP == nil {
		e.HTTP = &http.Client{
			Timeout:       defaultCheckTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if e.QQHost == "" {
		if u, err := url.Parse(e.QQAPIBase); err == nil {
			e.QQHost = u.Hostname()
		}
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.CheckTimeout <= 0 {
		e.CheckTimeout = defaultCheckTimeout
	}
	return e
}

// check is one entry of the fixed list.
type check struct {
	id, zh, en string
	run        func(ctx context.Context, r *runner) Result
}

func (c check) title() string { return c.zh + " / " + c.en }

// checks is the fixed order of Report.Checks.
var checks = []check{
	{"database", "数据库连接与表结构", "Database and schema", checkDatabase},
	{"ucenter", "UCenter 数据库", "Where UCenter lives", checkUCenter},
	{"discuz_version", "产品版本", "Discuz version", checkDiscuzVersion},
	{"plugin_row", "QQ互联插件", "qqconnect plugin", checkPluginRow},
	{"connect_setting", "QQ互联设置", "connect setting", checkConnectSetting},
	{"regconnect", "开放QQ注册", "Registration through QQ", checkRegConnect},
	{"app_credentials", "QQ互联appid/appkey", "QQ app credentials", checkAppCredentials},
	{"setting_cache", "Discuz设置缓存", "Discuz setting cache", checkSettingCache},
	{"cloud_status", "云平台状态", "Cloud platform status", checkCloudStatus},
	{"guest_group", "QQ互联游客用户组", "QQ guest user group", checkGuestGroup},
	{"site_closed", "站点关闭", "Site closed", checkSiteClosed},
	{"qq_dns", "QQ互联域名解析", "QQ DNS lookup", checkQQDNS},
	{"qq_https", "QQ互联接口测试", "QQ HTTPS reachability", checkQQHTTPS},
	{"clock_skew", "服务器时间检查", "Server clock", checkClockSkew},
	{"retired_hosts", "已停用的腾讯接口", "Retired Tencent hosts", checkRetiredHosts},
	{"qq_protocol", "QQ登录协议", "QQ login protocol", checkProtocol},
	{"unionid", "UnionID 权限", "UnionID permission", checkUnionID},
	{"avatar_import", "QQ头像导入", "QQ avatar import", checkAvatarImport},
	{"redirect_uri", "回调地址", "OAuth redirect_uri", checkRedirectURI},
	{"sandbox", "QQ登录沙箱", "QQ login sandbox", checkSandbox},
	{"trusted_proxies", "反向代理", "Trusted proxies", checkTrustedProxies},
	{"public_url", "论坛地址能否到达qqconnect", "qqconnect reachable through the forum", checkPublicURL},
	{"memory_cache", "内存缓存", "Discuz memory cache", checkMemoryCache},
	{"setting_cache_age", "设置缓存是否过期", "Setting cache age", checkSettingCacheAge},
	{"bindings", "QQ绑定数据", "QQ bindings", checkBindings},
}

// CheckInfo names one check, e.g. for a page that lists checks before
// their results arrive.
type CheckInfo struct {
	ID, Title string
}

// Checks lists every check in Report order.
func Checks() []CheckInfo {
	out := make([]CheckInfo, len(checks))
	for i, c := range checks {
		out[i] = CheckInfo{ID: c.id, Title: c.title()}
	}
	return out
}

// Run runs every check once, in parallel, and returns the results in the
// order of Checks(). It never panics and always returns one result per check.
func Run(ctx context.Context, env *Env) Report {
	return runChecks(ctx, env, nil)
}

// runChecks runs the checks whose id is in only (all when only is nil).
func runChecks(ctx context.Context, env *Env, only []string) Report {
	if ctx == nil {
		ctx = context.Background()
	}
	r := newRunner(ctx, withDefaults(env))
	var list []check
	for _, c := range checks {
		if only == nil || contains(only, c.id) {
			list = append(list, c)
		}
	}
	results := make([]Result, len(list))
	var wg sync.WaitGroup
	for i, c := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = r.runOne(c)
		}()
	}
	wg.Wait()
	rep := Report{OK: true, Checks: results}
	for _, res := range results {
		if res.Status == Fail {
			rep.OK = false
		}
	}
	return rep
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// runOne runs one check under its own deadline and turns a panic or an
// overrun into a fail result.
func (r *runner) runOne(c check) (res Result) {
	start := time.Now()
	defer func() {
		res.ID, res.Title = c.id, c.title()
		res.MS = time.Since(start).Milliseconds()
	}()
	ctx, cancel := context.WithTimeout(r.ctx, r.env.CheckTimeout)
	defer cancel()
	done := make(chan Result, 1) // buffered: a check that overran may still finish later
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- Result{Status: Fail,
					Detail: fmt.Sprintf("internal error in this check: %v", p),
					Fix:    "report this as a qqconnect bug, with the output of `qqconnect doctor --json`"}
			}
		}()
		done <- c.run(ctx, r)
	}()
	select {
	case res = <-done:
		// A check whose queries failed because its deadline passed is a
		// timeout, not a database or network fault.
		if res.Status == Fail && ctx.Err() != nil {
			return r.interrupted(start)
		}
		return res
	case <-ctx.Done():
		return r.interrupted(start)
	}
}

// interrupted is the result of a check stopped by its deadline, or by the
// run's: a caller may bound the whole run (the doctor command does).
func (r *runner) interrupted(start time.Time) Result {
	if errors.Is(r.ctx.Err(), context.Canceled) {
		return Result{Status: Fail, Detail: "cancelled before it finished: " + r.ctx.Err().Error(),
			Fix: "run the checks again"}
	}
	took := r.env.CheckTimeout
	if r.ctx.Err() != nil {
		took = time.Since(start).Round(100 * time.Millisecond)
	}
	return Result{Status: Fail,
		Detail: "timed out after " + took.String(),
		Fix:    "the database or network answers too slowly; run the checks again, then look at the server's load and connectivity"}
}

// Result constructors.

func ok(detail string) Result { return Result{Status: OK, Detail: detail} }

func warn(detail, fix string) Result { return Result{Status: Warn, Detail: detail, Fix: fix} }

func fail(detail, fix string) Result { return Result{Status: Fail, Detail: detail, Fix: fix} }

func skip(detail string) Result { return Result{Status: Skip, Detail: detail} }

func (res Result) repair(id string) Result { res.Repair = id; return res }

// lazy computes a value shared by several checks once, in its own goroutine
// under the run's context and one check timeout, so that a check giving up
// early never spoils the value for the others.
type lazy[T any] struct {
	once sync.Once
	done chan struct{}
	v    T
	err  error
}

func (l *lazy[T]) get(ctx context.Context, r *runner, f func(context.Context) (T, error)) (T, error) {
	l.once.Do(func() {
		l.done = make(chan struct{})
		lctx, cancel := context.WithTimeout(r.ctx, r.env.CheckTimeout)
		go func() {
			defer close(l.done)
			defer cancel()
			defer func() {
				if p := recover(); p != nil {
					l.err = fmt.Errorf("internal error: %v", p)
				}
			}()
			l.v, l.err = f(lctx)
		}()
	})
	select {
	case <-l.done:
		return l.v, l.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// runner is one Run: the Env and the facts several checks share.
type runner struct {
	ctx context.Context
	env *Env

	ping     lazy[struct{}]
	settings lazy[map[string]string]
	plugin   lazy[*models.Plugin]
	era      lazy[era]
	probe    lazy[*probe]
}

func newRunner(ctx context.Context, env *Env) *runner {
	return &runner{ctx: ctx, env: env}
}

// errNoDB marks "the database is not usable": DB checks skip.
var errNoDB = errors.New("database unavailable")

// db returns the store once the database answered a ping. When it did not,
// the error wraps errNoDB and the caller skips.
func (r *runner) db(ctx context.Context) (*models.Store, error) {
	if r.env.Store == nil {
		return nil, errNoDB
	}
	_, err := r.ping.get(ctx, r, func(ctx context.Context) (struct{}, error) {
		if err := r.env.Store.Ping(ctx); err != nil {
			return struct{}{}, fmt.Errorf("%w: %v", errNoDB, err)
		}
		return struct{}{}, nil
	})
	if err != nil {
		return nil, err
	}
	return r.env.Store, nil
}

// dbSkip turns an error of r.db into the result of a DB-dependent check.
func dbSkip(err error) Result {
	if errors.Is(err, errNoDB) {
		return skip("database unavailable (see the database check)")
	}
	return fail("database error: "+err.Error(), "see the database check")
}

// settingKeys are the pre_common_setting rows the checks read.
var settingKeys = []string{
	"connect", "connectappid", "connectappkey", "regconnect", "bbclosed",
	"my_siteid", "my_sitekey", "cloud_status", "cloud_api_ip", "connect_api_ip", "my_ip",
}

// noOwnTables is the skip of a check that reads qqconnect's own tables on
// a forum where they do not exist yet (qqconnect never ran there); nil when
// the table is there.
func noOwnTables(s *models.Store, name string) *Result {
	if s.Schema == nil || s.Schema.HasTable(s.T.Own(name)) {
		return nil
	}
	r := skip("qqconnect's own table " + s.T.Own(name) + " does not exist yet: run `qqconnect migrate` (see the database check)")
	return &r
}

// loadSettings reads the settings rows once; a key without a row is absent.
func (r *runner) loadSettings(ctx context.Context) (*models.Store, map[string]string, error) {
	s, err := r.db(ctx)
	if err != nil {
		return nil, nil, err
	}
	m, err := r.settings.get(ctx, r, func(ctx context.Context) (map[string]string, error) {
		return s.Settings(ctx, settingKeys...)
	})
	return s, m, err
}

// loadPlugin reads the qqconnect row of pre_common_plugin once (nil when absent).
func (r *runner) loadPlugin(ctx context.Context) (*models.Plugin, error) {
	s, err := r.db(ctx)
	if err != nil {
		return nil, err
	}
	return r.plugin.get(ctx, r, func(ctx context.Context) (*models.Plugin, error) {
		return models.Maybe(s.PluginByIdentifier(ctx, "qqconnect"))
	})
}
