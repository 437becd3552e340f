package models

import (
	"fmt"

	"gorm.io/gorm"

	"qqconnect/discuz"
)

// What notification_add() does around the notice row, shared by every
// notice a registration writes (the admins' 审核用户, the welcome, the
// inviter's invite_friend, checkusergroup's user_usergroup).

// filtersNotice reports whether the member has switched off notices of any
// of keys ("system|0", "friend|<uid>" …): the filter_note of its
// pre_common_member_field_home privacy, as notification_add reads it.
func (s *Store) filtersNotice(w *writer, uid int64, keys ...string) (bool, error) {
	var privacy []string
	if err := w.tx.Table(s.T.Discuz("common_member_field_home")).Where("uid = ?", uid).Limit(1).Pluck("privacy", &privacy).Error; err != nil {
		return false, fmt.Errorf("read the privacy of uid %d: %w", uid, err)
	}
	if len(privacy) == 0 || privacy[0] == "" {
		return false, nil
	}
	p, err := discuz.UnserializeText(privacy[0], "")
	if err != nil {
		return false, nil // unreadable: dunserialize gives Discuz no filter either
	}
	f, ok := p.Get("filter_note")
	if !ok || f.Arr == nil {
		return false, nil
	}
	for _, k := range keys {
		if _, filtered := f.Arr.Get(k); filtered {
			return true, nil
		}
	}
	return false, nil
}

// countNotice is notification_add's count of a new notice: the member's
// newprompt + 1 and its pre_common_member_newprompt {category} + 1.
func (s *Store) countNotice(w *writer, uid int64, category string) error {
	tm := s.T.Discuz("common_member")
	if err := w.exec(func(db *gorm.DB) error {
		return db.Exec("UPDATE "+tm+" SET newprompt = newprompt - 1 WHERE uid = ? AND newprompt > 0", uid).Error
	}, "UPDATE "+tm+" SET newprompt = newprompt + 1 WHERE uid = ?", uid); err != nil {
		return fmt.Errorf("count the %s notice of uid %d: %w", category, uid, err)
	}
	return s.bumpNewprompt(w, s.T.Discuz("common_member_newprompt"), uid, category)
}
