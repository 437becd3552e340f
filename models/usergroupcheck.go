package models

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"qqconnect/discuz"
)

// checkUserGroup is credit::checkusergroup() (class_credit.php), which
// updatemembercount(…, checkgroup) runs after changing a member's
// credits: the total recomputed by the site's creditsformula
// (countcredit), and a member in a 'member' usergroup whose total left
// its range moved to the member group of the new total
// (fetch_by_credits), with the user_usergroup notice. creditsNull: the
// member is the one registering, whose $_G['member'] has no credits yet
// (setloginstatus' array), so Discuz compares the total with null.
func (s *Store) checkUserGroup(w *writer, formula *discuz.CreditsFormula, uid, actor int64, creditsNull bool, now time.Time) error {
	tm, tc, tg := s.T.Discuz("common_member"), s.T.Discuz("common_member_count"), s.T.Discuz("common_usergroup")
	var m []struct {
		GroupID int64 `gorm:"column:groupid"`
		Credits int64
	}
	if err := w.tx.Table(tm).Select("groupid, credits").Where("uid = ?", uid).Limit(1).Find(&m).Error; err != nil {
		return fmt.Errorf("read member uid %d: %w", uid, err)
	}
	if len(m) == 0 {
		return nil // getuserbyuid: no such member
	}
	count := map[string]any{}
	if err := w.tx.Table(tc).Where("uid = ?", uid).Limit(1).Take(&count).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("read the counts of uid %d: %w", uid, err)
	}
	credits, err := formula.Credits(func(name string) float64 { return discuz.PHPNumber(fmt.Sprint(orZero(count[name]))) })
	if errors.Is(err, discuz.ErrDivisionByZero) {
		slog.Warn("creditsformula divides by zero; the member's total and usergroup are left as they are", "uid", uid)
		return nil
	} else if err != nil {
		return err
	}
	old := m[0]
	cur := old.Credits
	set := map[string]any{}
	// PHP: $member['credits'] != $credits, where a null equals 0.
	if (creditsNull && credits != 0) || (!creditsNull && old.Credits != credits) {
		set["credits"] = credits
		cur = credits
	} else if creditsNull {
		cur = 0
	}
	var g []struct {
		Type                        string
		CreditsHigher, CreditsLower int64
	}
	if err := w.tx.Table(tg).Select("type, creditshigher AS credits_higher, creditslower AS credits_lower").Where("groupid = ?", old.GroupID).Limit(1).Find(&g).Error; err != nil {
		return fmt.Errorf("read usergroup %d: %w", old.GroupID, err)
	}
	var newTitle string
	if len(g) == 0 || g[0].Type == "member" && !(cur >= g[0].CreditsHigher && cur < g[0].CreditsLower) {
		var ng []struct {
			GroupID    int64  `gorm:"column:groupid"`
			GroupTitle string `gorm:"column:grouptitle"`
		}
		if err := w.tx.Raw("SELECT grouptitle, groupid FROM "+tg+" WHERE type = 'member' AND ? >= creditshigher AND ? < creditslower LIMIT 1", cur, cur).Scan(&ng).Error; err != nil {
			return fmt.Errorf("find the usergroup of %d credits: %w", cur, err)
		}
		if len(ng) > 0 && ng[0].GroupID != old.GroupID {
			set["groupid"] = ng[0].GroupID
			newTitle = ng[0].GroupTitle
		}
	}
	if len(set) > 0 {
		if err := w.exec(func(db *gorm.DB) error {
			return db.Table(tm).Where("uid = ?", uid).Updates(map[string]any{"credits": old.Credits, "groupid": old.GroupID}).Error
		}, "UPDATE "+tm+" SET credits = ?, groupid = ? WHERE uid = ?", pick(set, "credits", old.Credits), pick(set, "groupid", old.GroupID), uid); err != nil {
			return fmt.Errorf("update the credits of uid %d: %w", uid, err)
		}
	}
	if newTitle != "" {
		return s.systemNotice(w, uid, actor, discuz.UserUsergroupNote(newTitle), "changeusergroup", now)
	}
	return nil
}

func orZero(v any) any {
	if v == nil {
		return 0
	}
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

func pick(m map[string]any, k string, def int64) any {
	if v, ok := m[k]; ok {
		return v
	}
	return def
}

// systemNotice is notification_add(uid, 'system', note, {from_id 0,
// from_idtype}, system) by the member actor: category 3, unless the member
// filters system notices (system|0 or system|actor); newprompt + 1 and the
// newprompt count {system}.
func (s *Store) systemNotice(w *writer, uid, actor int64, note, fromIDType string, now time.Time) error {
	tn, tp := s.T.Discuz("home_notification"), s.T.Discuz("common_member_newprompt")
	if !s.Schema.HasTable(tn) || !s.Schema.HasTable(tp) {
		return nil
	}
	if filtered, err := s.filtersNotice(w, uid, "system|0", fmt.Sprintf("system|%d", actor)); err != nil || filtered {
		return err
	}
	note = s.Fit(tn, "note", note)
	ts := now.Unix()
	if err := w.exec(func(db *gorm.DB) error {
		return db.Exec("DELETE FROM "+tn+" WHERE uid = ? AND from_idtype = ? AND dateline = ?", uid, fromIDType, ts).Error
	}, "INSERT INTO "+tn+" (uid, type, new, authorid, author, note, dateline, from_id, from_idtype, from_num, category) VALUES (?, 'system', 1, 0, '', ?, ?, 0, ?, 1, 3)",
		uid, note, ts, fromIDType); err != nil {
		return fmt.Errorf("write the %s notice of uid %d: %w", fromIDType, uid, err)
	}
	return s.countNotice(w, uid, "system")
}
