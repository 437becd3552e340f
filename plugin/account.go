package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"qqconnect/discuz"
	"qqconnect/models"
)

func randomToken(r io.Reader, n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		panic("random source failed: " + err.Error()) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// throttle refuses when this IP or this account has failed too often lately.
func (s *Service) throttle(ctx context.Context, ip, account string) error {
	l := s.Limits
	if l.Window == 0 {
		l = DefaultLimits
	}
	byIP, byAccount, err := s.Store.CountFailures(ctx, "bind", ip, account, s.now().Add(-l.Window))
	if err != nil {
		return err
	}
	if byIP >= l.PerIP || byAccount >= l.PerAccount {
		return ErrRateLimited
	}
	return nil
}

func (s *Service) recordAttempt(ctx context.Context, ip, account string, ok bool) {
	if err := s.Store.RecordAttempt(ctx, models.LoginAttempt{Kind: "bind", IP: ip, Account: account, Success: ok, CreatedAt: s.now().Unix()}); err != nil {
		s.Log.Error("record login attempt", "err", err)
	}
	if !ok {
		// fail2ban-friendly line; never the password.
		s.Log.Warn("auth failure", "user", account, "ip", ip)
	}
}

// CheckPassword verifies a forum username and password (models.Store.CheckPassword).
func (s *Service) CheckPassword(ctx context.Context, username, password string) (*models.Member, error) {
	return s.Store.CheckPassword(ctx, username, password)
}

// ensureOpenIDFree refuses an openid bound to a live member; a stale
// binding row is removed first, as Discuz does.
func (s *Service) ensureOpenIDFree(ctx context.Context, openid string) error {
	conn, err := models.Maybe(s.Store.ConnectByOpenID(ctx, openid))
	if err != nil || conn == nil {
		return err
	}
	removed, err := s.Store.RepairStaleBinding(ctx, conn)
	if err != nil {
		return err
	}
	if !removed {
		return ErrOpenIDBound
	}
	return nil
}

// BindExisting binds the pending QQ identity to an existing account after
// its password was checked (Gitea's link-account rule: prove the account).
func (s *Service) BindExisting(ctx context.Context, pendingToken, browserID, username, password, ip string) (*models.Member, string, error) {
	p, err := s.Pending(ctx, pendingToken, browserID)
	if err != nil {
		return nil, "", err
	}
	account := strings.ToLower(strings.TrimSpace(username))
	if err := s.throttle(ctx, ip, account); err != nil {
		s.outcome("rate_limited")
		return nil, "", err
	}
	m, err := s.CheckPassword(ctx, strings.TrimSpace(username), password)
	if err != nil {
		return nil, "", err
	}
	if m == nil {
		s.recordAttempt(ctx, ip, account, false)
		s.outcome("bad_password")
		return nil, "", ErrBadPassword
	}
	s.recordAttempt(ctx, ip, account, true)
	if m.ConIsBind == 1 {
		// A cloud-era row without an openid cannot log anyone in: binding again replaces it.
		mine, err := models.Maybe(s.Store.ConnectByUID(ctx, m.UID))
		if err != nil {
			return nil, "", err
		}
		if mine == nil || mine.ConOpenID != "" {
			return nil, "", ErrAccountBound
		}
	}
	if m.GroupID == 8 {
		return nil, "", ErrAwaitingVerify
	}
	if err := s.ensureOpenIDFree(ctx, p.OpenID); err != nil {
		return nil, "", err
	}
	g, err := models.Maybe(s.Store.GuestByOpenID(ctx, p.OpenID))
	if err != nil {
		return nil, "", err
	}
	var cred models.QQCred
	if g != nil {
		cred = models.QQCred{Token: g.ConUinToken, Uin: g.ConUin, UinSecret: g.ConUinSecret}
	}
	now := s.now()
	err = s.Store.BindExisting(ctx, models.Binding{
		UID: m.UID, OpenID: p.OpenID, Token: cred.Token, Uin: cred.Uin, UinSecret: cred.UinSecret, Now: now,
		Identity: models.Identity{UID: m.UID, AppID: p.AppID, OpenID: p.OpenID, UnionID: p.UnionID,
			Nickname: p.Nickname, AvatarURL: p.AvatarURL, CreatedAt: now.Unix(), UpdatedAt: now.Unix()},
	})
	if err != nil {
		return nil, "", err
	}
	_ = s.Store.DeletePending(ctx, p.TokenHash)
	s.forgetMember(ctx, m.UID)
	m.ConIsBind = 1
	s.outcome("bound")
	return m, p.Referer, nil
}

// Register creates a new forum account for the pending QQ identity, exactly
// as Discuz's 完善账号信息 does (random password: the member logs in by QQ).
func (s *Service) Register(ctx context.Context, pendingToken, browserID, username, email, ip string) (*models.Member, string, error) {
	p, err := s.Pending(ctx, pendingToken, browserID)
	if err != nil {
		return nil, "", err
	}
	q, err := s.CheckEnabled(ctx)
	if err != nil {
		return nil, "", err
	}
	if !q.RegConnect {
		return nil, "", ErrRegisterClosed
	}
	username = strings.TrimSpace(username)
	email = strings.TrimSpace(email)
	if err := discuz.CheckUsername(username); err != nil {
		return nil, "", ErrUsernameInvalid
	}
	if discuz.CensorUser(q.CensorUser, username) {
		return nil, "", ErrUsernameCensor
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 255 || !utf8.ValidString(email) {
		return nil, "", ErrEmailInvalid
	}
	if black, err := s.Store.IsUinBlacklisted(ctx, p.OpenID); err != nil {
		return nil, "", err
	} else if black {
		return nil, "", ErrBlacklisted
	}
	if q.RegisterUinLimit > 0 {
		n, err := s.Store.CountBindUIDs(ctx, p.OpenID)
		if err != nil {
			return nil, "", err
		}
		if n >= int64(q.RegisterUinLimit) {
			return nil, "", ErrUinLimit
		}
	}
	if err := s.ensureOpenIDFree(ctx, p.OpenID); err != nil {
		return nil, "", err
	}
	if uc, err := models.Maybe(s.Store.UCMemberByUsername(ctx, username)); err != nil {
		return nil, "", err
	} else if uc != nil {
		return nil, "", ErrUsernameTaken
	}
	if m, err := models.Maybe(s.Store.MemberByUsername(ctx, username)); err != nil {
		return nil, "", err
	} else if m != nil {
		return nil, "", ErrUsernameTaken
	}
	g, err := models.Maybe(s.Store.GuestByOpenID(ctx, p.OpenID))
	if err != nil {
		return nil, "", err
	}
	var cred models.QQCred
	if g != nil {
		cred = models.QQCred{Token: g.ConUinToken, Uin: g.ConUin, UinSecret: g.ConUinSecret}
	}

	// Discuz sends md5(random(10)) to UCenter as the password of a QQ account.
	rnd := s.rnd()
	plain, err := discuz.NewMemberPassword(rnd)
	if err != nil {
		return nil, "", err
	}
	ucHash, ucSalt, err := discuz.HashUCPassword(plain, s.bcryptUC(), rnd)
	if err != nil {
		return nil, "", err
	}
	memberPW, err := discuz.NewMemberPassword(rnd)
	if err != nil {
		return nil, "", err
	}
	n := models.NewMember{Username: username, Email: email, UCPassword: ucHash, UCSalt: ucSalt,
		MemberPassword: memberPW, IP: ip}
	n.GroupID = q.NewUserGroupID
	if q.RegVerify > 0 && q.Connect.GetString("register_regverify") != "1" {
		n.GroupID = 8 // 等待验证会员: the site verifies new members and QQ registrations are not exempt
	} else if q.RegisterGroupID > 0 {
		n.GroupID = q.RegisterGroupID
	}
	s.applyInitCredits(q, &n)
	now := s.now()
	n.Binding = models.Binding{OpenID: p.OpenID, Token: cred.Token, Uin: cred.Uin, UinSecret: cred.UinSecret, Now: now,
		Identity: models.Identity{AppID: p.AppID, OpenID: p.OpenID, UnionID: p.UnionID, Nickname: p.Nickname,
			AvatarURL: p.AvatarURL, CreatedAt: now.Unix(), UpdatedAt: now.Unix()}}
	uid, err := s.Store.Register(ctx, n)
	if err != nil {
		return nil, "", err
	}
	_ = s.Store.DeletePending(ctx, p.TokenHash)
	m, err := models.Maybe(s.Store.MemberByUID(ctx, uid))
	if err != nil {
		return nil, "", err
	}
	s.outcome("registered")
	return m, p.Referer, nil
}

// bcryptUC reports whether UCenter is 1.7 (X3.5: bcrypt, salt ”) rather than
// 1.6 (X3.4: md5 with a 6-character salt), told apart by X3.5's secmobile column.
func (s *Service) bcryptUC() bool {
	return s.Store.Schema != nil && s.Store.Schema.Has(s.Store.T.UCenter("members"), "secmobile")
}

// applyInitCredits sets the new member's credits from Discuz's initcredits
// ("credits,ext1,…,ext8") plus the QQ registration bonus
// (connect.register_rewardcredit / register_addcredit).
func (s *Service) applyInitCredits(q *models.QQSettings, n *models.NewMember) {
	parts := strings.Split(q.InitCredits, ",")
	for i, p := range parts {
		v, _ := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if i == 0 {
			n.Credits = v
		} else if i <= 8 {
			n.ExtCredits[i] = v
		}
	}
	field, _ := strconv.Atoi(q.Connect.GetString("register_rewardcredit"))
	add, _ := strconv.ParseInt(q.Connect.GetString("register_addcredit"), 10, 64)
	if field >= 1 && field <= 8 && add != 0 {
		n.ExtCredits[field] += add
	}
}

// Unbind removes the QQ binding of a logged-in member. Accounts created
// through QQ must set a password first, or they could never log in again.
func (s *Service) Unbind(ctx context.Context, uid int64, newPassword1, newPassword2 string) error {
	c, err := models.Maybe(s.Store.ConnectByUID(ctx, uid))
	if err != nil {
		return err
	}
	m, err := models.Maybe(s.Store.MemberByUID(ctx, uid))
	if err != nil {
		return err
	}
	if c == nil || m == nil || m.ConIsBind != 1 {
		return ErrNotBound
	}
	var hash, salt string
	if c.ConIsRegister == 1 {
		if newPassword1 == "" || newPassword1 != newPassword2 || utf8.RuneCountInString(newPassword1) < 6 || len(newPassword1) > 72 {
			return ErrPasswordNeeded
		}
		if hash, salt, err = discuz.HashUCPassword(newPassword1, s.bcryptUC(), s.rnd()); err != nil {
			return err
		}
	}
	appid := ""
	if q, err := s.Store.LoadQQSettings(ctx); err == nil {
		appid = q.AppID
	}
	if err := s.Store.Unbind(ctx, c, appid, hash, salt, s.now()); err != nil {
		return fmt.Errorf("unbind uid %d: %w", uid, err)
	}
	s.forgetMember(ctx, uid)
	s.outcome("unbound")
	return nil
}
