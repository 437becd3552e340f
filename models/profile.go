package models

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"qqconnect/discuz"
)

// ProfileSetting is a row of pre_common_member_profile_setting.
type ProfileSetting struct {
	FieldID        string `gorm:"column:fieldid;primaryKey"`
	Available      int    `gorm:"column:available"`
	NeedVerify     int    `gorm:"column:needverify"`
	Title          string `gorm:"column:title"`
	Description    string `gorm:"column:description"`
	DisplayOrder   int    `gorm:"column:displayorder"`
	Required       int    `gorm:"column:required"`
	ShowInRegister int    `gorm:"column:showinregister"`
	FormType       string `gorm:"column:formtype"`
	Size           int    `gorm:"column:size"`
	Choices        string `gorm:"column:choices"`
	Validate       string `gorm:"column:validate"`
}

// RegisterFields are the profile fields Discuz's QQ register form asks for
// (member_connect.php): connect's own (gender, birthday; see
// discuz.ConnectRegisterFieldIDs) first, then the site's fields shown at
// registration (available, showinregister), by display order. A field the
// admin switched off (available=0) is not asked for: Discuz would ask and
// then refuse every answer (profile_check), which blocks QQ registration.
func (s *Store) RegisterFields(ctx context.Context, connect *discuz.Array) ([]discuz.ProfileField, error) {
	t := s.T.Discuz("common_member_profile_setting")
	if !s.Schema.HasTable(t) {
		return nil, nil // the standalone demo forum
	}
	forced := discuz.ConnectRegisterFieldIDs(connect)
	var rows []ProfileSetting
	q := s.DB.WithContext(ctx).Table(t).Where("available = 1")
	if len(forced) > 0 {
		q = q.Where("showinregister = 1 OR fieldid IN ?", forced)
	} else {
		q = q.Where("showinregister = 1")
	}
	if err := q.Order("displayorder, fieldid").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("register profile fields: %w", err)
	}
	fields := make([]discuz.ProfileField, 0, len(rows))
	for _, r := range rows {
		f := discuz.ProfileField{FieldID: r.FieldID, Title: r.Title, Description: r.Description, FormType: r.FormType,
			Size: r.Size, Validate: r.Validate, Required: r.Required == 1, NeedVerify: r.NeedVerify == 1}
		if r.Choices != "" {
			// build_cache_fields_register keeps choices as "index=label"
			// pairs, but profile_check compares the raw lines: the value is the line.
			for _, c := range strings.Split(strings.ReplaceAll(r.Choices, "\r", ""), "\n") {
				if c = strings.TrimSpace(c); c != "" {
					f.Choices = append(f.Choices, c)
				}
			}
		}
		fields = append(fields, f)
	}
	// connect's fields first, in Discuz's order (gender, birthyear,
	// birthmonth, birthday); the site's after them by display order.
	rank := func(f discuz.ProfileField) int {
		if i := slices.Index(forced, f.FieldID); i >= 0 {
			return i
		}
		return len(forced)
	}
	slices.SortStableFunc(fields, func(a, b discuz.ProfileField) int { return rank(a) - rank(b) })
	return fields, nil
}

// FieldValue is one profile field's value.
type FieldValue struct{ Field, Value string }

// insertVerify writes what register_ctl writes for profile fields that need
// verification: the serialized values in pre_common_member_verify_info
// (verifytype 0, 资料审核) and the member's pre_common_member_verify row.
func (s *Store) insertVerify(w *writer, tInfo, tVerify string, uid int64, username string, values []FieldValue, now int64, del func(string) func(*gorm.DB) error) error {
	arr := &discuz.Array{}
	for _, v := range values {
		arr.Set(v.Field, discuz.Str(v.Value))
	}
	field, err := discuz.SerializeText(arr, s.textCharset(tInfo, "field"))
	if err != nil {
		return fmt.Errorf("verify info uid %d: %w", uid, err)
	}
	row := map[string]any{"uid": uid, "username": username, "verifytype": 0, "flag": 0, "field": field, "dateline": now}
	if err := w.insert(s, tInfo, row, del(tInfo)); err != nil {
		return err
	}
	return w.insert(s, tVerify, map[string]any{"uid": uid}, del(tVerify))
}
