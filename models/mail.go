package models

import (
	"context"
	"strconv"
	"strings"

	"qqconnect/discuz"
)

// MailSettings is what Discuz's sendmail() and emailcheck_send() read from
// pre_common_setting. Mail's strings (the SMTP rows, password included)
// hold the site's bytes; the rest is UTF-8.
type MailSettings struct {
	Mail       discuz.MailSetting
	MailBroken bool // the mail value did not unserialize: sendmail()'s defaults apply
	SiteName   string
	BBName     string
	AdminEmail string
	TimeOffset float64
}

// LoadMailSettings reads the forum's mail settings; read only when a mail
// is to be sent (registration with regverify=1).
func (s *Store) LoadMailSettings(ctx context.Context) (*MailSettings, error) {
	m, err := s.Settings(ctx, "mail", "sitename", "bbname", "adminemail", "timeoffset")
	if err != nil {
		return nil, err
	}
	out := &MailSettings{SiteName: m["sitename"], BBName: m["bbname"], AdminEmail: m["adminemail"]}
	out.TimeOffset, _ = strconv.ParseFloat(strings.TrimSpace(m["timeoffset"]), 64)
	arr := &discuz.Array{}
	if raw := m["mail"]; raw != "" {
		if a, err := s.UnserializeSetting(raw); err == nil {
			arr = a
		} else {
			out.MailBroken = true
		}
	}
	out.Mail = discuz.ParseMailSetting(arr)
	return out, nil
}
