package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"qqconnect/discuz"
	"qqconnect/internal/throttle"
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

// CheckPassword runs a password check of the bind form (and of the demo
// forum's login, which shares its limits) through the limiter.
func (s *Service) CheckPassword(ctx context.Context, ip string, cr throttle.Credentials) (*models.Member, error) {
	cr.Charset = s.SiteCharset
	m, err := s.Guard.Check(ctx, ip, cr, nil)
	switch {
	case errors.Is(err, throttle.ErrLimited):
		s.outcome("rate_limited")
		return nil, ErrRateLimited
	case err != nil:
		return nil, err
	case m == nil:
		s.outcome("bad_password")
		return nil, ErrBadPassword
	}
	return m, nil
}

// claim makes what follows a critical section for these keys across every
// instance (models.Store.Claim); the caller defers the release.
func (s *Service) claim(ctx context.Context, keys ...string) (func(), error) {
	release, err := s.Store.Claim(ctx, s.now(), keys...)
	if errors.Is(err, models.ErrBusy) {
		s.outcome("busy")
		return release, ErrBusy
	}
	return release, err
}

// withPending runs write with the pending identity taken out of the table
// first, under claims on keys: of several parallel requests for one pending
// identity, openid, account or username exactly one writes, and it re-checks
// Discuz's rules inside. A refused or failed write puts the pending identity
// back so the QQ user can try again.
func (s *Service) withPending(ctx context.Context, p *models.Pending, keys []string, write func() error) error {
	release, err := s.claim(ctx, keys...)
	defer release()
	if err != nil {
		return err
	}
	taken, err := s.Store.TakePending(ctx, p.TokenHash)
	if err != nil {
		return err
	}
	if !taken {
		return ErrPendingGone
	}
	if err := write(); err != nil {
		if rerr := s.Store.RestorePending(ctx, *p); rerr != nil {
			s.Log.Warn("could not put back the pending QQ identity", "err", rerr)
		}
		return err
	}
	return nil
}

func openidKey(openid string) string { return "openid:" + strings.ToUpper(openid) }
func uidKey(uid int64) string        { return "uid:" + strconv.FormatInt(uid, 10) }

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
func (s *Service) BindExisting(ctx context.Context, pendingToken, browserID string, cr throttle.Credentials, ip string) (*models.Member, string, error) {
	p, err := s.Pending(ctx, pendingToken, browserID)
	if err != nil {
		return nil, "", err
	}
	m, err := s.CheckPassword(ctx, ip, cr)
	if err != nil {
		return nil, "", err
	}
	err = s.withPending(ctx, p, []string{openidKey(p.OpenID), uidKey(m.UID)}, func() error {
		// Re-read inside the claims: a parallel bind may have just bound it.
		if m, err = models.Maybe(s.Store.MemberByUID(ctx, m.UID)); err != nil {
			return err
		}
		if m == nil {
			return ErrBadPassword
		}
		if m.ConIsBind == 1 {
			// A cloud-era row without an openid cannot log anyone in: binding again replaces it.
			mine, err := models.Maybe(s.Store.ConnectByUID(ctx, m.UID))
			if err != nil {
				return err
			}
			if mine == nil || mine.ConOpenID != "" {
				return ErrAccountBound
			}
		}
		if m.GroupID == 8 {
			return ErrAwaitingVerify
		}
		if err := s.ensureOpenIDFree(ctx, p.OpenID); err != nil {
			return err
		}
		g, err := models.Maybe(s.Store.GuestByOpenID(ctx, p.OpenID))
		if err != nil {
			return err
		}
		var cred models.QQCred
		if g != nil {
			cred = models.QQCred{Token: g.ConUinToken, Uin: g.ConUin, UinSecret: g.ConUinSecret}
		}
		now := s.now()
		return s.Store.BindExisting(ctx, models.Binding{
			UID: m.UID, OpenID: p.OpenID, Token: cred.Token, Uin: cred.Uin, UinSecret: cred.UinSecret, Now: now,
			Identity: models.Identity{UID: m.UID, AppID: p.AppID, OpenID: p.OpenID, UnionID: p.UnionID,
				Nickname: p.Nickname, AvatarURL: p.AvatarURL, CreatedAt: now.Unix(), UpdatedAt: now.Unix()},
		})
	})
	if err != nil {
		return nil, "", err
	}
	s.forgetMember(ctx, m.UID)
	m.ConIsBind = 1
	if q, err := s.loginSettings(ctx); err == nil {
		s.offerAvatar(q, m, p.AvatarURL)
	}
	s.outcome("bound")
	return m, p.Referer, nil
}

// Registered is the outcome of Register.
type Registered struct {
	Member           *models.Member
	Referer          string
	AwaitingApproval bool        // regverify=2: the member waits in 审核用户
	Activation       *Activation // regverify=1: the activation mail; nil otherwise
}

// Register creates a new forum account for the pending QQ identity, exactly
// as Discuz's 完善账号信息 does (random password: the member logs in by QQ).
// port is the client's TCP port (Discuz's remoteport), 0 when unknown.
// When the site verifies new members by mail, the activation mail is sent
// after the account is written; its failure does not undo the account
// (Discuz's emailcheck_send() only logs it) and is reported in Activation.
func (s *Service) Register(ctx context.Context, pendingToken, browserID string, in RegisterInput, ip string, port int) (*Registered, error) {
	username, email := in.Username, in.Email
	p, err := s.Pending(ctx, pendingToken, browserID)
	if err != nil {
		return nil, err
	}
	q, err := s.CheckEnabled(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.Store.LoadRegRuleSettings(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.checkRegisterOpen(q, rs); err != nil {
		return nil, err
	}
	if !q.RegConnect {
		return nil, ErrRegisterClosed
	}
	form, err := s.LoadRegisterForm(ctx, q, ip)
	if err != nil {
		return nil, err
	}
	invite, err := s.findInvite(ctx, form, in)
	if err != nil {
		return nil, err
	}
	if err := form.check(in); err != nil {
		return nil, err
	}
	username = strings.TrimSpace(username)
	// Discuz checks (and stores) the email lower-cased and trimmed, before the username.
	email = discuz.NormalizeEmail(email)
	if err := s.checkNewAccount(ctx, q, rs, username, email); err != nil {
		return nil, err
	}
	profile, toVerify, err := s.profile(form, in)
	if err != nil {
		return nil, err
	}
	if black, err := s.Store.IsUinBlacklisted(ctx, p.OpenID); err != nil {
		return nil, err
	} else if black {
		return nil, ErrBlacklisted
	}
	var uid int64
	now := s.now() // Discuz's $_G['timestamp']: regdate, and the activation link's time
	verify := regVerify(q, rs, ip)
	keys := []string{openidKey(p.OpenID), "username:" + strings.ToLower(username), "email:" + email}
	err = s.withPending(ctx, p, keys, func() error {
		var err error
		uid, err = s.register(ctx, q, rs, p, newAccount{username: username, email: email, profile: profile, verify: toVerify,
			invite: invite, inviteConfig: form.InviteConfig}, ip, port, verify, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.forgetSyscache(ctx, models.UserStatsCacheName)
	m, err := models.Maybe(s.Store.MemberByUID(ctx, uid))
	if err != nil {
		return nil, err
	}
	s.offerAvatar(q, m, p.AvatarURL)
	s.outcome("registered")
	out := &Registered{Member: m, Referer: p.Referer, AwaitingApproval: verify == 2}
	if verify == 1 {
		out.Activation = s.sendActivation(ctx, uid, username, email, now)
	}
	return out, nil
}

// regVerify is the regverify a QQ registration gets: the site's, unless
// connect.register_regverify exempts QQ registrations (member_connect.php
// zeroes it when the value is truthy).
func regVerify(q *models.QQSettings, rs *models.RegRuleSettings, ip string) int {
	if q.RegVerify <= 0 || discuz.PHPTruthy(q.Connect.GetString("register_regverify")) {
		return 0
	}
	// register_ctl: a client on ipverifywhite needs no verification.
	// (areaverifywhite needs Discuz's IP location data: not applied.)
	if discuz.IPListed(rs.IPVerifyWhite, ip) {
		return 0
	}
	return q.RegVerify
}

// checkNewAccount applies the register form's checks in Discuz's order: the
// email (format, domain lists, duplicates), then the username rules, and
// what the columns can hold.
func (s *Service) checkNewAccount(ctx context.Context, q *models.QQSettings, rs *models.RegRuleSettings, username, email string) error {
	if err := s.checkRegisterEmail(ctx, rs, email); err != nil {
		return err
	}
	t := s.Store.T
	if !s.Store.Holds(t.UCenter("members"), "email", email) || !s.Store.Holds(t.Discuz("common_member"), "email", email) {
		return ErrEmailTooLong
	}
	if err := discuz.CheckUsername(username); err != nil {
		return ErrUsernameInvalid
	}
	if !s.Store.Holds(t.UCenter("members"), "username", username) || !s.Store.Holds(t.Discuz("common_member"), "username", username) {
		return ErrUsernameCharset
	}
	if discuz.CensorUser(q.CensorUser, username) {
		return ErrUsernameCensor
	}
	return nil
}

// register is the part of Register that runs under the claims: the rules
// that depend on other rows are checked again here, then the write.
// newAccount is the checked register form.
type newAccount struct {
	username, email string
	profile         map[string]string
	verify          []models.FieldValue // profile fields the site verifies first
	invite          *models.Invite      // getinvite(); nil = none
	inviteConfig    models.InviteConfig
}

func (s *Service) register(ctx context.Context, q *models.QQSettings, rs *models.RegRuleSettings, p *models.Pending, a newAccount, ip string, port, verify int, now time.Time) (int64, error) {
	username, email := a.username, a.email
	if q.RegisterUinLimit > 0 {
		n, err := s.Store.CountBindUIDs(ctx, p.OpenID)
		if err != nil {
			return 0, err
		}
		if n >= int64(q.RegisterUinLimit) {
			return 0, ErrUinLimit
		}
	}
	if err := s.ensureOpenIDFree(ctx, p.OpenID); err != nil {
		return 0, err
	}
	if uc, err := models.Maybe(s.Store.UCMemberByUsername(ctx, username)); err != nil {
		return 0, err
	} else if uc != nil {
		return 0, ErrUsernameTaken
	}
	if m, err := models.Maybe(s.Store.MemberByUsername(ctx, username)); err != nil {
		return 0, err
	} else if m != nil {
		return 0, ErrUsernameTaken
	}
	// Again under the claims: a parallel registration may have taken the email.
	if err := s.checkRegisterEmail(ctx, rs, email); err != nil {
		return 0, err
	}
	if err := s.checkRegisterIP(ctx, rs, ip, now); err != nil {
		return 0, err
	}
	g, err := models.Maybe(s.Store.GuestByOpenID(ctx, p.OpenID))
	if err != nil {
		return 0, err
	}
	var cred models.QQCred
	if g != nil {
		cred = models.QQCred{Token: g.ConUinToken, Uin: g.ConUin, UinSecret: g.ConUinSecret}
	}

	// Discuz sends md5(random(10)) to UCenter as the password of a QQ account.
	rnd := s.rnd()
	plain, err := discuz.NewMemberPassword(rnd)
	if err != nil {
		return 0, err
	}
	ucHash, ucSalt, err := discuz.HashUCPassword(plain, s.Store.UCenterBcrypt(), rnd)
	if err != nil {
		return 0, err
	}
	memberPW, err := discuz.NewMemberPassword(rnd)
	if err != nil {
		return 0, err
	}
	after, err := s.Store.LoadRegAftermath(ctx)
	if err != nil {
		return 0, err
	}
	after.SiteURL = s.SiteURL
	n := models.NewMember{Username: username, Email: email, UCPassword: ucHash, UCSalt: ucSalt,
		MemberPassword: memberPW, IP: ip, RegRules: rs, Port: port, Aftermath: after, SiteCharset: s.SiteCharset,
		Profile: a.profile, Verify: a.verify}
	if n.GroupID, err = s.Store.NewUserGroupID(ctx, q); err != nil {
		return 0, err
	}
	if verify > 0 {
		n.GroupID = 8 // 等待验证会员: the site verifies new members and QQ registrations are not exempt
		n.Validate = verify == 2
		if verify == 1 {
			n.AuthStr = discuz.ActivationAuthStr(now.Unix(), email)
		}
	}
	// register_ctl: an invited member gets invitegroupid, over group 8 too.
	if a.invite != nil && a.inviteConfig.GroupID > 0 {
		n.GroupID = a.inviteConfig.GroupID
	}
	n.Invite, n.InviteConfig = a.invite, a.inviteConfig
	// member_connect_register.php sets connect.register_groupid after
	// insert_user, over group 8 too (the validate row and the activation
	// mail stay).
	if q.RegisterGroupID > 0 {
		n.GroupID = q.RegisterGroupID
	}
	s.applyInitCredits(q, &n)
	n.Binding = models.Binding{OpenID: p.OpenID, Token: cred.Token, Uin: cred.Uin, UinSecret: cred.UinSecret, Now: now,
		Identity: models.Identity{AppID: p.AppID, OpenID: p.OpenID, UnionID: p.UnionID, Nickname: p.Nickname,
			AvatarURL: p.AvatarURL, CreatedAt: now.Unix(), UpdatedAt: now.Unix()}}
	uid, err := s.Store.Register(ctx, n)
	if errors.Is(err, models.ErrInviteTaken) {
		return 0, ErrInviteUsed
	}
	if models.IsDuplicate(err) {
		// UCenter's unique username, taken under another spelling its collation equates.
		return 0, ErrUsernameTaken
	}
	return uid, err
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
		if hash, salt, err = discuz.HashUCPassword(newPassword1, s.Store.UCenterBcrypt(), s.rnd()); err != nil {
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
