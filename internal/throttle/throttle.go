// Package throttle guards every password form (QQ bind, admin sign-in, the
// demo forum's login) with the same rules: per-IP and per-account budgets
// of failures, reserved before the password is checked so parallel bursts
// cannot overrun them, keyed on the account the name resolves to rather than
// on the typed text, and the same work for a missing user as for a real one.
package throttle

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/web"
	"qqconnect/models"
)

// ErrLimited is returned when the IP or the account has no budget left.
var ErrLimited = models.ErrThrottled

// DefaultBudget: 10 failures per IP and 5 per account per 15 minutes, so an
// attacker cannot guess far, and cannot lock a member out for long.
var DefaultBudget = models.AttemptBudget{PerIP: 10, PerAccount: 5, Window: 15 * time.Minute}

// Guard checks passwords of one form kind ("bind", "admin").
type Guard struct {
	Store  *models.Store
	Kind   string // login_attempt.kind, and the panel= of the fail2ban line
	Budget models.AttemptBudget
	Log    *slog.Logger
	Now    func() time.Time

	dummyOnce         sync.Once
	dummyHash, dummyS string
}

func (g *Guard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Guard) budget() models.AttemptBudget {
	if g.Budget.Window == 0 {
		return DefaultBudget
	}
	return g.Budget
}

// Check verifies credentials: the name in any of the login form's fields,
// the password and the 安全提问. accept decides whether a member
// with the right password may pass (the admin panel wants adminid=1); a
// refused member counts as a failure. It returns the member, or (nil, nil)
// for a wrong name or password, or ErrLimited, or a database error. The
// attempt is reserved before the password is checked; if it cannot be
// recorded the attempt is refused.
func (g *Guard) Check(ctx context.Context, ip string, cr Credentials, accept func(*models.Member) bool) (*models.Member, error) {
	username, password := cr.Login, cr.Password
	uc, err := g.Store.LoginAccount(ctx, username, cr.Field)
	if err != nil {
		return nil, err
	}
	account := NameKey(username)
	if uc != nil {
		account = UIDKey(uc.UID)
	}
	id, err := g.Store.ReserveAttempt(ctx, g.Kind, IPKey(ip), account, g.now(), g.budget())
	if errors.Is(err, models.ErrThrottled) {
		return nil, ErrLimited
	}
	if err != nil {
		return nil, err
	}
	var m *models.Member
	if uc == nil {
		// A missing user costs the same hash as a real one (no enumeration by timing).
		h, s := g.dummy()
		discuz.VerifyUCPassword(h, s, password)
	} else if discuz.VerifyUCPassword(uc.Password, uc.Salt, password) && (cr.NoQuestion || uc.Secques == cr.quesCrypt()) {
		// UCenter's login: the 安全提问 must match too (an account without
		// one refuses an answer), so the password alone is not enough.
		if m, err = models.Maybe(g.Store.MemberByUID(ctx, uc.UID)); err != nil {
			return nil, err
		}
	}
	if m == nil || (accept != nil && !accept(m)) {
		web.LogAuthFailure(g.Log, ip, g.Kind, username)
		return nil, nil
	}
	if err := g.Store.MarkAttemptOK(ctx, id); err != nil {
		// The password was right; a stale failure row only costs the member budget.
		g.Log.Error("mark login attempt ok", "err", err)
	}
	return m, nil
}

// Credentials is what a password form sent: the login name in the form's
// field (models.LoginBy…; "" = username), the password, and Discuz's 安全提问.
type Credentials struct {
	Login, Field, Password string
	QuestionID             int
	Answer                 string // as typed (UTF-8)
	Charset                string // the site's charset, in which UCenter hashed the answer
	// NoQuestion: the session already passed the 安全提问 at sign-in; this
	// is the password typed again before a repair.
	NoQuestion bool
}

// FormCredentials reads a password form's fields as Discuz's login form
// names them: username, loginfield, password, questionid, answer.
func FormCredentials(get func(string) string, charset string) Credentials {
	qid, _ := strconv.Atoi(get("questionid"))
	if qid < 0 || qid >= len(discuz.SecurityQuestions) {
		qid = 0
	}
	return Credentials{Login: get("username"), Field: get("loginfield"), Password: get("password"),
		QuestionID: qid, Answer: get("answer"), Charset: charset}
}

func (cr Credentials) quesCrypt() string {
	answer := cr.Answer
	if cr.Charset != "" {
		if conv, err := discuz.ToCharset(answer, cr.Charset); err == nil {
			answer = conv
		}
	}
	return discuz.QuesCrypt(cr.QuestionID, []byte(answer))
}

// dummy is a hash of this site's kind for a password nobody knows.
func (g *Guard) dummy() (hash, salt string) {
	g.dummyOnce.Do(func() {
		h, s, err := discuz.HashUCPassword(web.RandomToken(12), g.Store.UCenterBcrypt(), rand.Reader)
		if err != nil {
			h, s = "", "000000"
		}
		g.dummyHash, g.dummyS = h, s
	})
	return g.dummyHash, g.dummyS
}

// UIDKey is the account key of a resolved member: every spelling of the
// name that finds the account (ａｌｉｃｅ, Alice, alice + ZWSP) shares it.
func UIDKey(uid int64) string { return "u:" + strconv.FormatInt(uid, 10) }

// NameKey is the account key of a name that finds no member: a hash of the
// trimmed, lower-cased text, short enough for the column whatever was typed.
func NameKey(typed string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(typed))))
	return "n:" + hex.EncodeToString(h[:20])
}

// IPKey is the per-IP key: an IPv4 address as it is, an IPv6 address as its
// /64, since one subscriber gets a whole /64 and could otherwise rotate
// through 2^64 budgets. IPv4-mapped IPv6 counts as the IPv4 address.
func IPKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		if len(ip) > 45 {
			ip = ip[:45]
		}
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}
