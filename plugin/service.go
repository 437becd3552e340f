// Package plugin is the QQ login plugin: the login, bind, register and unbind
// flow (Service) and its thin gin handlers. QQ protocol details live in
// plugin/qq, Discuz rules in package discuz, rows in package models.
package plugin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
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
	StateTTL   = 10 * time.Minute // QQ's own code lifetime
	PendingTTL = 10 * time.Minute
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
	ErrClosed          = refuse("closed", "抱歉，QQ互联功能尚未开启", "QQ login is switched off on this forum.")
	ErrAppInvalid      = refuse("app_invalid", "抱歉，QQ互联功能暂时不可用", "QQ login is temporarily unavailable (the forum has no QQ AppID/AppKey).")
	ErrState           = refuse("state", "登录请求已失效或不是从本浏览器发起的，请重新点击QQ登录", "This login request expired or was started in another browser. Please click “QQ login” again.")
	ErrBlacklisted     = refuse("blacklisted", "抱歉，您的QQ账号已被本站禁止登录", "This QQ account is banned on this forum.")
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

// CheckEnabled reports why QQ login cannot start, as Discuz's connect.php does.
func (s *Service) CheckEnabled(ctx context.Context) (*models.QQSettings, error) {
	load := s.Store.LoadQQSettings
	if s.Settings != nil {
		load = s.Settings.Get
	}
	q, err := load(ctx)
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

// CallbackResult says what the callback decided.
type CallbackResult struct {
	Member       *models.Member // set when a bound member logs in (or a logged-in member just bound)
	PendingToken string         // set when the QQ user must bind or register
	Referer      string
	Bound        bool   // a logged-in member bound QQ from the callback
	OpenID       string // the binding's openid when a bound member logs in ("" otherwise)
}

// qqUser is what either protocol yields: the openid, credentials to keep as
// Discuz does, and how to ask QQ for the nickname.
type qqUser struct {
	openid, unionid string
	cred            models.QQCred
	expiresIn       int64
	profile         func(ctx context.Context) (*qq.UserInfo, error)
}

// CallbackKey is the hash of the state (or OAuth 1.0 request token) a
// callback query carries, "" when it carries none; the caller removes the
// matching LoginState from the session whatever the outcome.
func CallbackKey(query url.Values) string {
	key := query.Get("state")
	if query.Get("oauth_token") != "" && key == "" {
		key = query.Get("oauth_token")
	}
	if key == "" {
		return ""
	}
	return hashHex(key)
}

// Callback finishes the QQ side: the state must be one this browser's
// session holds (bound to the browser), unexpired and of the protocol the
// query speaks; then the token exchange, the server-side single-use mark,
// the openid, and login, bind (logged-in member) or pending.
func (s *Service) Callback(ctx context.Context, browserID string, states []LoginState, query url.Values, ip string, loggedInUID int64) (*CallbackResult, error) {
	oauth1 := query.Get("oauth_token") != "" && query.Get("state") == ""
	key := CallbackKey(query)
	now := s.now()
	var st *LoginState
	for i := range states {
		if key != "" && subtle.ConstantTimeCompare([]byte(states[i].Hash), []byte(key)) == 1 {
			st = &states[i]
		}
	}
	if st == nil || st.Exp <= now.Unix() || (st.Protocol == "oauth1") != oauth1 {
		s.outcome("bad_state")
		return nil, ErrState
	}
	q, err := s.CheckEnabled(ctx)
	if err != nil {
		return nil, err
	}
	cred := s.creds(q)
	var u *qqUser
	if oauth1 {
		u, err = s.exchangeOAuth1(ctx, cred, query, st)
	} else {
		u, err = s.exchangeOAuth2(ctx, cred, query.Get("code"))
	}
	if err != nil {
		return nil, err
	}
	// Single use, server-side, across instances: a state completes one login.
	// Marked after QQ accepted the code, so only real QQ logins leave a row.
	if err := s.Store.MarkStateUsed(ctx, st.Hash, now, st.Exp); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			s.outcome("bad_state")
			return nil, ErrState
		}
		return nil, err
	}
	return s.finish(ctx, q, browserID, st, u, ip, loggedInUID)
}

func (s *Service) exchangeOAuth2(ctx context.Context, cred qq.Credentials, code string) (*qqUser, error) {
	if code == "" {
		s.outcome("cancelled")
		return nil, ErrState
	}
	tok, err := s.QQ.ExchangeCode(ctx, cred, code, s.RedirectURI)
	if err != nil {
		s.outcome("qq_error")
		return nil, err
	}
	// An AppID QQ refused unionid to is not asked again for a while: asking
	// costs a second /me call on every login (and a write of the meta row).
	wantUnionID := true
	if r := s.unionIDRefused.Load(); r != nil && r.appID == cred.AppID && s.now().Before(r.until) {
		wantUnionID = false
	}
	me, err := s.QQ.Me(ctx, cred, tok.AccessToken, wantUnionID)
	if err != nil {
		s.outcome("qq_error")
		return nil, err
	}
	if me.UnionIDUnavailable {
		s.unionIDRefused.Store(&unionIDRefusal{appID: cred.AppID, until: s.now().Add(UnionIDRetry)})
		s.Log.Warn("QQ refused unionid for this AppID (100048/100049); continuing with openid only", "ask_again_in", UnionIDRetry)
		// Remembered for the doctor, which tells the admin how to get the permission.
		if err := s.Store.SetMeta(ctx, MetaUnionIDRefused, strconv.FormatInt(s.now().Unix(), 10)); err != nil {
			s.Log.Error("remember the unionid refusal", "err", err)
		}
	}
	return &qqUser{openid: me.OpenID, unionid: me.UnionID, cred: models.QQCred{Token: tok.AccessToken}, expiresIn: tok.ExpiresIn,
		profile: func(ctx context.Context) (*qq.UserInfo, error) {
			return s.QQ.UserInfo(ctx, cred, tok.AccessToken, me.OpenID)
		}}, nil
}

func (s *Service) exchangeOAuth1(ctx context.Context, cred qq.Credentials, query url.Values, st *LoginState) (*qqUser, error) {
	if s.QQ1 == nil {
		return nil, errors.New("QQ OAuth 1.0 client not configured")
	}
	cb, err := qq.ParseOAuth1Callback(query)
	if err != nil {
		s.outcome("qq_error")
		return nil, err
	}
	tok, err := s.QQ1.AccessToken(ctx, cred, &qq.RequestToken{Token: cb.Token, Secret: st.Secret}, cb)
	if err != nil {
		s.outcome("qq_error")
		return nil, err
	}
	return &qqUser{openid: tok.OpenID, cred: models.QQCred{Uin: tok.Token, UinSecret: tok.Secret},
		profile: func(ctx context.Context) (*qq.UserInfo, error) { return s.QQ1.UserInfo(ctx, cred, tok) }}, nil
}

// finish applies Discuz's callback rules to the QQ user.
func (s *Service) finish(ctx context.Context, q *models.QQSettings, browserID string, st *LoginState, u *qqUser, ip string, loggedInUID int64) (*CallbackResult, error) {
	openid := strings.ToUpper(u.openid)
	facts, err := s.Store.LoginLookup(ctx, q.AppID, openid)
	if err != nil {
		return nil, err
	}
	if facts.Blacklisted {
		s.outcome("blacklisted")
		return nil, ErrBlacklisted
	}
	conn := facts.Connect
	if conn != nil {
		if removed, err := s.Store.RemoveStaleBinding(ctx, conn, facts.Member); err != nil {
			return nil, err
		} else if removed {
			s.Log.Info("removed a stale QQ binding", "uid", conn.UID)
			conn = nil
		}
	}
	now := s.now()
	id := models.Identity{AppID: q.AppID, OpenID: openid, UnionID: optional(u.unionid),
		TokenExpiresAt: expiry(now, u.expiresIn), UpdatedAt: now.Unix(), CreatedAt: now.Unix()}
	res := &CallbackResult{Referer: st.Referer}

	// A logged-in member clicked QQ login: bind to that member (Discuz branch A).
	if loggedInUID > 0 && st.UID == loggedInUID {
		if conn != nil && conn.UID != loggedInUID {
			s.outcome("openid_bound")
			return nil, ErrOpenIDBound
		}
		m, err := s.bindLoggedIn(ctx, u, loggedInUID, conn, openid, ip, id, now)
		if err != nil {
			return nil, err
		}
		res.Member, res.Bound = m, true
		s.outcome("bound")
		return res, nil
	}

	if conn != nil {
		m := facts.Member // bound: RemoveStaleBinding kept only a member with conisbind=1
		if m == nil {
			return nil, ErrOpenIDBound
		}
		s.fillProfile(ctx, u, &id)
		id.UID, id.ID = m.UID, facts.IdentityID
		if err := s.Store.RecordLogin(ctx, m.UID, openid, u.cred, ip, id, now); err != nil {
			return nil, err
		}
		res.Member, res.OpenID = m, openid
		s.outcome("login")
		return res, nil
	}

	// Unbound: keep the QQ identity server-side and as Discuz's guest row.
	nick := ""
	if g, err := models.Maybe(s.Store.GuestByOpenID(ctx, openid)); err == nil && g != nil {
		nick = g.ConQQNick
	}
	s.fillProfile(ctx, u, &id)
	if id.Nickname != "" {
		nick = id.Nickname
	}
	// UTF-8 over the utf8mb4 connection: MySQL converts into a gbk/big5
	// column, and SaveGuest drops what the column's charset lacks.
	if err := s.Store.SaveGuest(ctx, openid, u.cred, nick); err != nil {
		return nil, err
	}
	token := randomToken(s.rnd(), 32)
	err = s.Store.SavePending(ctx, models.Pending{
		TokenHash: hashHex(token), BrowserHash: hashHex(browserID), AppID: q.AppID, OpenID: openid,
		UnionID: optional(u.unionid), Nickname: nick, AvatarURL: id.AvatarURL, Referer: st.Referer,
		CreatedAt: now.Unix(), ExpiresAt: now.Add(PendingTTL).Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("keep pending QQ identity: %w", err)
	}
	res.PendingToken = token
	s.outcome("pending")
	return res, nil
}

// fillProfile asks QQ for nickname and avatar; failures only cost the
// nickname, as in Discuz (which ignores get_user_info errors).
func (s *Service) fillProfile(ctx context.Context, u *qqUser, id *models.Identity) {
	info, err := u.profile(ctx)
	if err != nil {
		s.Log.Warn("QQ get_user_info failed; continuing without nickname", "err", err)
		return
	}
	id.Nickname, id.AvatarURL = info.Nickname, info.AvatarURL
}

func expiry(now time.Time, expiresIn int64) int64 {
	if expiresIn <= 0 {
		return 0
	}
	return now.Unix() + expiresIn
}

// bindLoggedIn binds the QQ account to the member who is already logged in.
func (s *Service) bindLoggedIn(ctx context.Context, u *qqUser, uid int64, conn *models.MemberConnect, openid, ip string, id models.Identity, now time.Time) (*models.Member, error) {
	release, err := s.claim(ctx, openidKey(openid), uidKey(uid))
	defer release()
	if err != nil {
		return nil, err
	}
	// Read again under the claims: a parallel bind may have taken the openid.
	if conn, err = models.Maybe(s.Store.ConnectByOpenID(ctx, openid)); err != nil {
		return nil, err
	}
	if conn != nil && conn.UID != uid {
		if removed, err := s.Store.RepairStaleBinding(ctx, conn); err != nil {
			return nil, err
		} else if !removed {
			return nil, ErrOpenIDBound
		}
		conn = nil
	}
	m, err := models.Maybe(s.Store.MemberByUID(ctx, uid))
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, ErrNotLoggedIn
	}
	mine, err := models.Maybe(s.Store.ConnectByUID(ctx, uid))
	if err != nil {
		return nil, err
	}
	// A cloud-era row without an openid cannot log anyone in: binding again replaces it.
	if m.ConIsBind == 1 && mine != nil && mine.ConOpenID != "" && !strings.EqualFold(mine.ConOpenID, openid) {
		return nil, ErrAccountBound
	}
	s.fillProfile(ctx, u, &id)
	id.UID = uid
	if conn != nil && conn.UID == uid {
		// Same binding again: refresh it, as Discuz does.
		return m, s.Store.RecordLogin(ctx, uid, openid, u.cred, ip, id, now)
	}
	err = s.Store.BindExisting(ctx, models.Binding{UID: uid, OpenID: openid, Token: u.cred.Token, Uin: u.cred.Uin,
		UinSecret: u.cred.UinSecret, Identity: id, Now: now})
	if err != nil {
		return nil, err
	}
	s.forgetMember(ctx, uid)
	m.ConIsBind = 1
	return m, nil
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

// optional turns "" into NULL: an empty unionid must never act as a key.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
