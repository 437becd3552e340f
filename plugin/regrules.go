package plugin

import (
	"context"
	"fmt"
	"time"

	"qqconnect/discuz"
	"qqconnect/models"
)

// Refusals of Discuz's registration rules, in Discuz's own words
// (lang_message.php). A bad address reuses ErrEmailInvalid, which already
// has Discuz's profile_email_illegal text.
var (
	ErrRegisterDisabled = refuse("register_disable", "抱歉，目前站点禁止新用户注册", "This forum does not accept new accounts at the moment.")
	ErrEmailDomain      = refuse("email_domain", "抱歉，Email 包含不可使用的邮箱域名", "Addresses at this email domain cannot be used on this forum.")
	ErrEmailDuplicate   = refuse("email_duplicate", "该 Email 地址已被注册", "This email address is already registered.")
)

// Codes of the refusals whose text carries the setting's value, so each is a
// fresh *Refusal: compare Code, not the pointer.
const (
	CodeRegisterCtrl      = "register_ctrl"
	CodeRegisterFloodCtrl = "register_flood_ctrl"
)

func errRegisterCtrl(hours string) *Refusal {
	return refuse(CodeRegisterCtrl, fmt.Sprintf("抱歉，您的 IP 地址在 %s 小时内无法注册", hours),
		fmt.Sprintf("Only one registration per IP address is allowed every %s hours; please try again later.", hours))
}

func errRegisterFloodCtrl(n string) *Refusal {
	return refuse(CodeRegisterFloodCtrl, fmt.Sprintf("抱歉，IP 地址在 24 小时内只能注册 %s 次", n),
		fmt.Sprintf("An IP address may register only %s times in 24 hours.", n))
}

// checkRegisterOpen: register_ctl's constructor refuses every registration
// while the site is closed (bbclosed) — the QQ path has no activation
// exception. It runs before anything else in Discuz, blacklist included.
func (s *Service) checkRegisterOpen(q *models.QQSettings, rs *models.RegRuleSettings) error {
	if (q != nil && q.BBClosed) || discuz.PHPTruthy(rs.BBClosed) {
		return ErrRegisterDisabled
	}
	return nil
}

// checkRegisterEmail is Discuz's checkemail() (function_member.php), which
// ends in UCenter's _check_email(): length, Discuz's regmaildomain list,
// then UCenter's format (-4), accessemail/censoremail (-5) and, unless
// doublee, an address already used (-6). email is checked normalised as
// Discuz does (discuz.NormalizeEmail); store that form too.
func (s *Service) checkRegisterEmail(ctx context.Context, rs *models.RegRuleSettings, email string) error {
	email = discuz.NormalizeEmail(email)
	if len(email) > rs.EmailMaxLen {
		return ErrEmailInvalid
	}
	if !discuz.RegMailDomainAllowed(email, rs.RegMailDomain, rs.MailDomainList) {
		return ErrEmailDomain
	}
	if !discuz.IsEmail(email, rs.EmailMaxLen) {
		return ErrEmailInvalid
	}
	if !discuz.EmailDomainAllowed(email, rs.UCAccessEmail, rs.UCCensorEmail) {
		return ErrEmailDomain
	}
	if !discuz.PHPTruthy(rs.UCDoubleE) {
		taken, err := s.Store.UCEmailExists(ctx, email)
		if err != nil {
			return err
		}
		if taken {
			return ErrEmailDuplicate
		}
	}
	return nil
}

// checkRegisterIP is on_register's regctrl (with ipregctrl) and then
// regfloodctrl check, which Discuz runs after the username and censor
// checks, just before it creates the account.
func (s *Service) checkRegisterIP(ctx context.Context, rs *models.RegRuleSettings, ip string, now time.Time) error {
	ts := now.Unix()
	if ctrl := rs.CtrlFor(ip); ctrl.On {
		hit, err := s.Store.RegCtrlHit(ctx, ctrl.Pattern, ctrl.Since(ts))
		if err != nil {
			return err
		}
		if hit {
			return errRegisterCtrl(ctrl.HoursRaw)
		}
	}
	if flood := rs.Flood(); flood.On {
		n, found, err := s.Store.RegFloodCount(ctx, ip, ts-discuz.RegFloodWindow)
		if err != nil {
			return err
		}
		if flood.Refuses(n, found) {
			return errRegisterFloodCtrl(flood.MaxRaw)
		}
	}
	return nil
}
