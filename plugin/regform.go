package plugin

// What Discuz's QQ register form asks beyond a username and an email
// (member_connect.php on register_ctl): the site's terms (bbrules), its
// invite rule (regstatus, connect.register_invite) and the profile fields
// of registration (connect.register_gender / register_birthday and the
// site's own "show at registration" fields).

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"qqconnect/discuz"
	"qqconnect/models"
)

var (
	ErrInviteOnly  = refuse("not_open_registration_invite", "抱歉，本站目前暂时不允许用户直接注册，需要有效的邀请码才能注册", "This forum accepts new accounts by invitation only: enter a valid invite code.")
	ErrInviteUsed  = refuse("invite_code_fuid", "抱歉，您访问的邀请链接已被使用", "This invite code has just been used.")
	ErrRulesAgree  = refuse("register_rules_agree", "您必须同意服务条款后才能注册", "You must agree to the terms of service to register.")
	ErrNeedsUpload = refuse("register_file_field", "本站注册需要上传文件，无法通过QQ注册，请先在论坛注册后再绑定QQ", "Registering here needs a file upload, which QQ registration cannot take; register on the forum first, then link QQ.")
)

// errProfileIllegal is Discuz's "<title>格式不正确或为空" for one field.
func errProfileIllegal(f discuz.ProfileField) *Refusal {
	return refuse("profile_illegal", f.Title+"格式不正确或为空", fmt.Sprintf("%s is missing or not valid.", f.Title))
}

// RegisterForm is what the register form shows and checks.
type RegisterForm struct {
	Fields     []discuz.ProfileField
	Rules      string // bbrulestxt when bbrules is on ("" = no terms to agree to)
	RulesForce bool   // bbrulesforce: show the terms before the form
	// Invite: the register form's 邀请码 field, as register.htm draws it:
	// required on an invite-only site (regstatus 2, no register_invite,
	// client not on inviteipwhite), optional on regstatus 3.
	Invite       InviteRule
	InviteConfig models.InviteConfig
	// LinkInvite: a valid invite from Discuz's invite_auth cookie (its
	// invite link), used when the field is left empty.
	LinkInvite *models.Invite
	NeedsFile  bool // a required profile field is a file upload
}

// InviteRule is whether the register form asks for an invite code.
type InviteRule int

const (
	InviteNone     InviteRule = iota // regstatus 1, register_invite, or inviteipwhite
	InviteRequired                   // regstatus 2
	InviteOptional                   // regstatus 3: open, and an invite still counts
)

// Required and Asked are for the template.
func (r InviteRule) Required() bool { return r == InviteRequired }
func (r InviteRule) Asked() bool    { return r != InviteNone }

// RegisterInput is the register form as submitted.
type RegisterInput struct {
	Username, Email string
	AgreeRules      bool
	InviteCode      string     // the form's invitecode
	InviteAuth      string     // Discuz's invite_auth cookie ("" = none)
	Values          url.Values // the whole form: profile fields by fieldid
}

// LoadRegisterForm reads the register form's rules for a client at ip.
func (s *Service) LoadRegisterForm(ctx context.Context, q *models.QQSettings, ip string) (*RegisterForm, error) {
	m, err := s.Store.Settings(ctx, "regstatus", "inviteconfig", "creditsformula", "feedstatus", "privacy", "bbrules", "bbrulesforce", "bbrulestxt")
	if err != nil {
		return nil, fmt.Errorf("register form: %w", err)
	}
	f := &RegisterForm{}
	if discuz.PHPTruthy(m["bbrules"]) {
		f.Rules = m["bbrulestxt"]
		if f.Rules == "" {
			f.Rules = " " // Discuz still asks to agree to empty terms
		}
		f.RulesForce = discuz.PHPTruthy(m["bbrulesforce"])
	}
	f.InviteConfig = s.Store.ParseInviteConfig(m["inviteconfig"])
	f.InviteConfig.CreditsFormula = m["creditsformula"]
	f.InviteConfig.FeedStatus, f.InviteConfig.SitePrivacy = discuz.PHPTruthy(m["feedstatus"]), m["privacy"]
	switch {
	case discuz.ConnectInviteRequired(discuz.PHPIntval(m["regstatus"]), q.RegConnect,
		discuz.PHPTruthy(q.Connect.GetString("register_invite")), f.InviteConfig.IPWhite, ip):
		f.Invite = InviteRequired
	case discuz.PHPIntval(m["regstatus"]) == 3 && !discuz.PHPTruthy(q.Connect.GetString("register_invite")):
		f.Invite = InviteOptional
	}
	if f.Fields, err = s.Store.RegisterFields(ctx, q.Connect); err != nil {
		return nil, err
	}
	for _, fl := range f.Fields {
		if fl.FormType == "file" && fl.Required {
			f.NeedsFile = true
		}
	}
	return f, nil
}

// findInvite is getinvite() for the form: the typed code, else the
// invite_auth cookie. On an invite-only site no valid invite is refused
// with Discuz's not_open_registration_invite; on regstatus 3 it only means
// a registration without an invite, as in Discuz.
func (s *Service) findInvite(ctx context.Context, f *RegisterForm, in RegisterInput) (*models.Invite, error) {
	if f.Invite == InviteNone {
		return nil, nil
	}
	inv, err := s.Store.FindInvite(ctx, in.InviteCode, discuz.ParseInviteAuth(in.InviteAuth), s.now())
	if err != nil {
		return nil, err
	}
	if inv == nil && f.Invite == InviteRequired {
		return nil, ErrInviteOnly
	}
	return inv, nil
}

// check applies the form's rules in register_ctl's order (the invite,
// see findInvite, then the terms; the profile fields come after the
// account checks, see profile).
func (f *RegisterForm) check(in RegisterInput) error {
	switch {
	case f.Rules != "" && !in.AgreeRules:
		return ErrRulesAgree
	case f.NeedsFile:
		return ErrNeedsUpload
	}
	return nil
}

// profile checks the profile fields as register_ctl does (profile_check)
// and splits them into what is stored now and what awaits verification.
func (s *Service) profile(f *RegisterForm, in RegisterInput) (map[string]string, []models.FieldValue, error) {
	profile := map[string]string{}
	var verify []models.FieldValue
	byteLen := func(v string) int { return len(s.siteText(v)) }
	for _, fl := range f.Fields {
		if fl.FormType == "file" {
			continue // not required (NeedsFile refused those): left empty
		}
		values := in.Values[fl.FieldID]
		if fl.Multi() {
			values = in.Values[fl.FieldID+"[]"]
		}
		v, ok, bad := discuz.ProfileValue(fl, values, in.Values.Get, byteLen)
		if bad {
			s.Log.Warn("profile field's validate pattern cannot run here; not checked", "field", fl.FieldID)
		}
		if !ok {
			return nil, nil, errProfileIllegal(fl)
		}
		if fl.NeedVerify {
			verify = append(verify, models.FieldValue{Field: fl.FieldID, Value: v})
		} else {
			profile[fl.FieldID] = v
		}
	}
	return profile, verify, nil
}

// birthYears are the years the birthday field offers, newest first, as
// Discuz's profile_setting() does (a hundred, this year first).
func birthYears(now int) []int {
	out := make([]int, 0, 100)
	for y := now; y > now-100; y-- {
		out = append(out, y)
	}
	return out
}

// FormField is one profile field as the register page draws it.
type FormField struct {
	Name, Title, Description string
	Kind                     string // text, textarea, select, checkbox, birthday
	Required                 bool
	Value                    string
	Options                  []FormOption
	Parts                    []FormField // birthday: year, month, day selects
}

// FormOption is a choice of a select or checkbox field.
type FormOption struct {
	Value, Label string
	Selected     bool
}

// view lays the fields out as Discuz's register form does
// (profile_setting()): gender 保密/男/女, the birthday as three selects,
// the area fields as text boxes, file fields left out (see NeedsFile);
// values refill the form after a refusal.
func (f *RegisterForm) view(values url.Values, year int) []FormField {
	var out []FormField
	for _, fl := range f.Fields {
		ff := FormField{Name: fl.FieldID, Title: fl.Title, Description: fl.Description, Required: fl.Required,
			Value: values.Get(fl.FieldID)}
		switch {
		case fl.FieldID == "birthyear" || fl.FieldID == "birthmonth" || fl.FieldID == "constellation" ||
			fl.FieldID == "zodiac" || fl.FormType == "file":
			continue // drawn with birthday, computed by Discuz, or not possible here
		case fl.FieldID == "gender":
			ff.Kind = "select"
			ff.Options = options(ff.Value, [][2]string{{"0", "保密"}, {"1", "男"}, {"2", "女"}})
		case fl.FieldID == "birthday":
			ff.Kind, ff.Title = "birthday", "生日"
			var y, m, d [][2]string
			for _, v := range birthYears(year) {
				y = append(y, [2]string{fmt.Sprint(v), fmt.Sprint(v)})
			}
			for v := 1; v <= 12; v++ {
				m = append(m, [2]string{fmt.Sprint(v), fmt.Sprint(v)})
			}
			for v := 1; v <= 31; v++ {
				d = append(d, [2]string{fmt.Sprint(v), fmt.Sprint(v)})
			}
			ff.Parts = []FormField{
				{Name: "birthyear", Title: "年", Options: options(values.Get("birthyear"), y)},
				{Name: "birthmonth", Title: "月", Options: options(values.Get("birthmonth"), m)},
				{Name: "birthday", Title: "日", Options: options(values.Get("birthday"), d)},
			}
		case fl.FormType == "select" || fl.FormType == "radio":
			ff.Kind = "select"
			ff.Options = options(ff.Value, pairs(fl.Choices))
		case fl.Multi():
			ff.Kind, ff.Name = "checkbox", fl.FieldID+"[]"
			for _, c := range fl.Choices {
				ff.Options = append(ff.Options, FormOption{Value: c, Label: c, Selected: slices.Contains(values[fl.FieldID+"[]"], c)})
			}
		case fl.FormType == "textarea":
			ff.Kind = "textarea"
		default:
			ff.Kind = "text"
		}
		out = append(out, ff)
	}
	return out
}

func options(selected string, vals [][2]string) []FormOption {
	out := []FormOption{{Value: "", Label: "—", Selected: selected == ""}}
	for _, v := range vals {
		out = append(out, FormOption{Value: v[0], Label: v[1], Selected: v[0] == selected})
	}
	return out
}

func pairs(choices []string) [][2]string {
	out := make([][2]string, len(choices))
	for i, c := range choices {
		out[i] = [2]string{c, c}
	}
	return out
}
