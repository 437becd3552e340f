// Package plugin is the QQ login plugin: the login, bind, register and unbind
// flow (Service) and its thin gin handlers. QQ protocol details live in
// plugin/qq, Discuz rules in package discuz, rows in package models.
package plugin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/rowcache"
	"qqconnect/internal/throttle"
	"qqconnect/models"
	"qqconnect/plugin/qq"
)

// MetaUnionIDRefused is the meta key holding when QQ last refused unionid
// (100048/100049) for this AppID; the doctor reads it.
const MetaUnionIDRefused = "qq_unionid_refused_at"

// Lifetimes of the server-side flow records.
const (
	StateTTL   = 10 * time.Minute               // QQ's own code lifetime
	PendingTTL = discuz.LifeGuest * time.Second // as long as Discuz's QQ游客 state
)

// Service runs the QQ login flow against one Discuz database.
type Service struct {
	Store       *models.Store
	QQ          *qq.Client
	RedirectURI string // exact, PUBLIC_URL + CALLBACK_PATH
	Now         func() time.Time
	Rand        io.Reader
	Log         *slog.Logger
	Guard       *throttle.Guard // the bind password form's limits (kind "bind"); required
	Metrics     Metrics
	RowCache    rowcache.Invalidator // Discuz's memory-cached member rows; nil when none
	SiteCharset string               // the site's charset (cached blobs hold its bytes); "" = utf-8
	Settings    *SettingsCache       // the QQ login settings, kept briefly; nil reads them every time
	Avatars     *AvatarImporter      // the QQ avatar import (when its switch is on); nil: never

	// The activation mail of regverify=1: the forum's URL with its trailing
	// slash (Discuz's siteurl), the authkey of its link, the transport.
	SiteURL string
	Authkey string // secret
	Mailer  Mailer

	unionIDRefused atomic.Pointer[unionIDRefusal] // the last 100048/100049, per AppID

	// OAuth 1.0 (cloud-era sites): the Qzone client, QQCONNECT_QQ_PROTOCOL
	// ("auto", "oauth1", "oauth2") and the Discuz version from DISCUZ_ROOT.
	QQ1             *qq.OAuth1Client
	ProtocolSetting string
	DiscuzVersion   string
}

// UnionIDRetry is how long an AppID that QQ refused unionid to logs in
// without asking for it: a permission granted later shows within it.
const UnionIDRetry = time.Hour

type unionIDRefusal struct {
	appID string
	until time.Time
}

// forgetMember drops Discuz's cached rows of uid after a direct write; a
// failure is logged, not fatal: the database is already right.
func (s *Service) forgetMember(ctx context.Context, uid int64) {
	if s.RowCache == nil {
		return
	}
	if err := s.RowCache.InvalidateMember(ctx, uid); err != nil {
		s.Log.Warn("could not drop Discuz's cached member rows; the forum shows the old binding until 内存清理 (全局 → 性能优化 → 内存优化)", "uid", uid, "err", err)
	}
}

// forgetSyscache drops Discuz's memory copy of a syscache row qqconnect
// rewrote; a failure is logged, not fatal.
func (s *Service) forgetSyscache(ctx context.Context, cname string) {
	if s.RowCache == nil {
		return
	}
	if err := s.RowCache.InvalidateSyscache(ctx, cname); err != nil {
		s.Log.Warn("could not drop Discuz's cached "+cname+"; the forum shows the old figures until 内存清理 (全局 → 性能优化 → 内存优化)", "err", err)
	}
}

// Metrics receives login outcomes (Prometheus counters in main).
type Metrics interface {
	LoginOutcome(outcome string)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) rnd() io.Reader {
	if s.Rand != nil {
		return s.Rand
	}
	return rand.Reader
}

// siteText is UTF-8 text in the site's charset (the bytes Discuz's PHP
// works with), without the characters the charset lacks.
func (s *Service) siteText(v string) string {
	cs := strings.ToLower(s.SiteCharset)
	if cs == "" || cs == "utf-8" || cs == "utf8" {
		return v
	}
	out, err := discuz.ToCharset(models.DropUnstorable(cs, v), cs)
	if err != nil {
		return ""
	}
	return out
}

func (s *Service) outcome(o string) {
	if s.Metrics != nil {
		s.Metrics.LoginOutcome(o)
	}
}

// Refusal is a flow outcome the visitor must be told about; nothing was written.
type Refusal struct {
	Code   string // stable id, e.g. "closed", used by tests and metrics
	ZH, EN string
	Hint   string // for administrators, shown only where safe
}

func (r *Refusal) Error() string { return "refused: " + r.Code }

func refuse(code, zh, en string) *Refusal { return &Refusal{Code: code, ZH: zh, EN: en} }

// Refusals with the wording Discuz uses, so forum members recognise them.
var (
	ErrClosed     = refuse("closed", "抱歉，QQ互联功能尚未开启", "QQ login is switched off on this forum.")
	ErrAppInvalid = refuse("app_invalid", "抱歉，QQ互联功能暂时不可用", "QQ login is temporarily unavailable (the forum has no QQ AppID/AppKey).")
	ErrState      = refuse("state", "登录请求已失效或不是从本浏览器发起的，请重新点击QQ登录", "This login request expired or was started in another browser. Please click “QQ login” again.")
	// Discuz's connect_uin_in_blacklist; the page links to 更换其他QQ账号登录.
	ErrBlacklisted     = refuse("blacklisted", "抱歉，此QQ账号已被本站屏蔽，您可以更换其他QQ账号登录", "Sorry, this QQ account is blocked on this forum. You can log in with another QQ account.")
	ErrOpenIDBound     = refuse("openid_bound", "该QQ用户已绑定了本站的另一个用户", "This QQ account is already bound to another forum account.")
	ErrAccountBound    = refuse("account_bound", "该账号已经绑定了QQ，请先解除绑定", "This forum account is already bound to a QQ account; unbind it first.")
	ErrAwaitingVerify  = refuse("awaiting_verification", "该账号尚在等待验证，暂时不能绑定QQ", "This account is still awaiting verification and cannot be bound yet.")
	ErrPendingGone     = refuse("pending", "QQ登录信息已过期，请重新点击QQ登录", "Your QQ login has expired. Please click “QQ login” again.")
	ErrBadPassword     = refuse("bad_password", "用户名或密码错误", "Wrong username or password.")
	ErrRateLimited     = refuse("rate_limited", "尝试次数过多，请15分钟后再试", "Too many attempts. Please try again in 15 minutes.")
	ErrBusy            = refuse("busy", "该QQ账号或用户名正在另一个请求中处理，请稍后再试", "This QQ account or username is being processed by another request. Please try again in a moment.")
	ErrRegisterClosed  = refuse("register_closed", "本站未开放QQ注册，请绑定已有账号", "This forum does not allow new accounts through QQ; bind an existing account instead.")
	ErrUinLimit        = refuse("uin_limit", "该QQ注册的账号数已达上限", "This QQ account has reached the forum's limit of accounts.")
	ErrUsernameTaken   = refuse("username_taken", "该用户名已被注册", "This username is already taken.")
	ErrUsernameInvalid = refuse("username_invalid", "用户名须为3到15个字符（中文算2个），且不能含空格和 % , * \" < > & ( ) ' \\ 等字符", "Usernames are 3–15 characters (a Chinese character counts 2) without spaces or % , * \" < > & ( ) ' \\.")
	ErrUsernameCensor  = refuse("username_censored", "用户名包含被系统屏蔽的字符", "This username is not allowed on this forum.")
	ErrEmailInvalid    = refuse("email_invalid", "Email 地址无效", "Please enter a valid email address.")
	ErrEmailTooLong    = refuse("email_too_long", "Email 地址过长，本站无法保存", "This email address is longer than the forum can store.")
	ErrUsernameCharset = refuse("username_charset", "用户名包含本站无法保存的字符（如表情符号）", "This username contains characters the forum cannot store (such as emoji).")
	ErrNotBound        = refuse("not_bound", "您的账号尚未绑定QQ", "Your account is not bound to QQ.")
	ErrPasswordNeeded  = refuse("password_needed", "您的账号是通过QQ注册的，解除绑定前请先设置登录密码（两次输入须一致，至少6位）", "Your account was created through QQ: set a password (twice, at least 6 characters) before unbinding.")
	ErrNotLoggedIn     = refuse("not_logged_in", "请先登录论坛", "Please log in to the forum first.")
)

// loginSettings are the QQ login settings with qqconnect's own switches,
// kept briefly when Settings is set.
func (s *Service) loginSettings(ctx context.Context) (*models.QQSettings, error) {
	if s.Settings != nil {
		return s.Settings.Get(ctx)
	}
	return s.Store.LoadLoginSettings(ctx)
}

// CheckEnabled reports why QQ login cannot start, as Discuz's connect.php does.
func (s *Service) CheckEnabled(ctx context.Context) (*models.QQSettings, error) {
	q, err := s.loginSettings(ctx)
	if err != nil {
		return nil, err
	}
	if !q.PluginInstalled || !q.PluginAvailable || !q.Allow() {
		return q, ErrClosed
	}
	if q.AppID == "" || q.AppKey == "" {
		return q, ErrAppInvalid
	}
	return q, nil
}

func (s *Service) creds(q *models.QQSettings) qq.Credentials {
	return qq.Credentials{AppID: q.AppID, AppKey: q.AppKey}
}

// Protocol is the QQ protocol this site uses now, decided as Discuz decides
// it: X3.4+ always OAuth 2.0; an X3.2/X3.3 site only while its connect
// setting's oauth2 is falsy; QQCONNECT_QQ_PROTOCOL overrides.
func (s *Service) Protocol(q *models.QQSettings) string {
	switch s.ProtocolSetting {
	case "oauth1", "oauth2":
		return s.ProtocolSetting
	}
	if discuz.IsCloudEra(s.DiscuzVersion) {
		if v, _ := q.Connect.Get("oauth2"); !v.Truthy() {
			return "oauth1"
		}
	}
	return "oauth2"
}

// LoginState is one QQ login this browser started: kept in qqconnect's
// encrypted, signed session cookie (never in a table, so an anonymous
// GET /connect/qq/login costs no row), and marked used server-side when its
// callback completes (models.Store.MarkStateUsed).
type LoginState struct {
	Hash     string `json:"h"`           // sha256 of the state (OAuth 2.0) or request token (OAuth 1.0)
	Exp      int64  `json:"e"`           // Unix seconds
	UID      int64  `json:"u,omitempty"` // the member who started it while logged in (bind intent)
	Referer  string `json:"r,omitempty"` // local path to go to afterwards
	Protocol string `json:"p"`           // "oauth2" or "oauth1"
	Secret   string `json:"s,omitempty"` // OAuth 1.0 request token secret
}

// Start begins a QQ login: a fresh single-use state (OAuth 2.0) or request
// token (OAuth 1.0) and the QQ authorize URL. The caller keeps the
// returned LoginState in the visitor's session.
func (s *Service) Start(ctx context.Context, referer string, uid int64, mobile bool) (string, LoginState, error) {
	q, err := s.CheckEnabled(ctx)
	if err != nil {
		return "", LoginState{}, err
	}
	now := s.now()
	st := LoginState{UID: uid, Referer: referer, Exp: now.Add(StateTTL).Unix(), Protocol: s.Protocol(q)}
	var authURL string
	if st.Protocol == "oauth1" {
		if s.QQ1 == nil {
			return "", LoginState{}, errors.New("start QQ login: OAuth 1.0 client not configured")
		}
		rt, err := s.QQ1.RequestToken(ctx, s.creds(q))
		if err != nil {
			s.outcome("qq_error")
			return "", LoginState{}, err
		}
		st.Hash, st.Secret = hashHex(rt.Token), rt.Secret
		authURL = s.QQ1.AuthorizeURL(s.creds(q), rt.Token, s.RedirectURI)
	} else {
		state := randomToken(s.rnd(), 24)
		st.Hash = hashHex(state)
		authURL = s.QQ.AuthorizeURL(s.creds(q), s.RedirectURI, state, mobile)
	}
	return authURL, st, nil
}

// Pending returns the QQ identity waiting for bind/register in this browser.
func (s *Service) Pending(ctx context.Context, token, browserID string) (*models.Pending, error) {
	if token == "" {
		return nil, ErrPendingGone
	}
	p, err := s.Store.PendingByToken(ctx, hashHex(token), s.now())
	if errors.Is(err, models.ErrNotFound) || (err == nil && p.BrowserHash != hashHex(browserID)) {
		return nil, ErrPendingGone
	}
	if err != nil {
		return nil, fmt.Errorf("read pending QQ identity: %w", err)
	}
	return p, nil
}

// PendingFromGuest recovers the pending identity of a QQ游客 whose
// qqconnect record this browser no longer holds (qqconnect's session
// cookie lasts until the browser closes; Discuz's QQ游客 cookie a day). As
// member_connect.php does, it trusts the con_auth_hash the caller decoded
// only while Discuz's guest row for the openid exists, and never for a
// banned or already bound QQ. It returns the new record's key.
func (s *Service) PendingFromGuest(ctx context.Context, openid, browserID, referer string) (string, *models.Pending, error) {
	q, err := s.CheckEnabled(ctx)
	if err != nil {
		return "", nil, err
	}
	openid = strings.ToUpper(openid)
	g, err := models.Maybe(s.Store.GuestByOpenID(ctx, openid))
	if err != nil {
		return "", nil, err
	}
	if g == nil {
		return "", nil, ErrPendingGone
	}
	facts, err := s.Store.LoginLookup(ctx, q.AppID, openid)
	if err != nil {
		return "", nil, err
	}
	if facts.Blacklisted {
		return "", nil, ErrBlacklisted
	}
	if facts.Connect != nil && facts.Member != nil && facts.Member.ConIsBind == 1 {
		return "", nil, ErrPendingGone // bound since: the guest cookie is stale
	}
	now := s.now()
	token := randomToken(s.rnd(), 32)
	p := models.Pending{TokenHash: hashHex(token), BrowserHash: hashHex(browserID), AppID: q.AppID, OpenID: openid,
		Nickname: g.ConQQNick, Referer: referer, CreatedAt: now.Unix(), ExpiresAt: now.Add(PendingTTL).Unix()}
	if err := s.Store.ReplacePending(ctx, p); err != nil {
		return "", nil, fmt.Errorf("recover pending QQ identity: %w", err)
	}
	return token, &p, nil
}

// optional turns "" into NULL: an empty unionid must never act as a key.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
