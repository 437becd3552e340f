package plugin

// The callback half of the QQ login: the state check, the exchange with QQ
// (OAuth 2.0 or the cloud era's 1.0) and Discuz's rules for what follows.

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"qqconnect/models"
	"qqconnect/plugin/qq"
)

// CallbackResult says what the callback decided.
type CallbackResult struct {
	Member       *models.Member // set when a bound member logs in (or a logged-in member just bound)
	PendingToken string         // set when the QQ user must bind or register
	Referer      string
	Bound        bool   // a logged-in member bound QQ from the callback
	OpenID       string // the binding's openid when a bound member logs in, the QQ游客's when pending
	Nickname     string // the QQ游客's nickname when pending
	Synlogin     bool   // Discuz's allowsynlogin, from the settings this login read
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
	res := &CallbackResult{Referer: st.Referer, Synlogin: q.Synlogin}

	// A logged-in member clicked QQ login: bind to that member (Discuz branch A).
	if loggedInUID > 0 && st.UID == loggedInUID {
		if conn != nil && conn.UID != loggedInUID {
			s.outcome("openid_bound")
			return nil, ErrOpenIDBound
		}
		m, err := s.bindLoggedIn(ctx, u, loggedInUID, conn, openid, ip, &id, now)
		if err != nil {
			return nil, err
		}
		s.offerAvatar(q, m, id.AvatarURL)
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
		s.offerAvatar(q, m, id.AvatarURL)
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
	res.PendingToken, res.OpenID, res.Nickname = token, openid, nick
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
// id gets the QQ profile (nickname, avatar) as a side effect.
func (s *Service) bindLoggedIn(ctx context.Context, u *qqUser, uid int64, conn *models.MemberConnect, openid, ip string, id *models.Identity, now time.Time) (*models.Member, error) {
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
	s.fillProfile(ctx, u, id)
	id.UID = uid
	if conn != nil && conn.UID == uid {
		// Same binding again: refresh it, as Discuz does.
		return m, s.Store.RecordLogin(ctx, uid, openid, u.cred, ip, *id, now)
	}
	err = s.Store.BindExisting(ctx, models.Binding{UID: uid, OpenID: openid, Token: u.cred.Token, Uin: u.cred.Uin,
		UinSecret: u.cred.UinSecret, Identity: *id, Now: now})
	if err != nil {
		return nil, err
	}
	s.forgetMember(ctx, uid)
	m.ConIsBind = 1
	return m, nil
}
