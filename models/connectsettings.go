package models

// What the QQ互联 settings editor (admin/repair connect-settings) reads
// besides pre_common_setting: the groups and profile fields Discuz's own
// page and cache builder read.

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"
)

// GroupChoice is one usergroup the QQ互联 page offers for guest_groupid and
// register_groupid.
type GroupChoice struct {
	GroupID  int64  `gorm:"column:groupid"`
	Title    string `gorm:"column:grouptitle"`
	RAdminID int    `gorm:"column:radminid"` // > 0: the group carries moderator/admin rights
}

// SpecialUsergroups lists the `special` usergroups, as the page's
// C::t('common_usergroup')->fetch_all_by_type('special') does (in groupid
// order, so the list does not depend on the storage engine).
func (s *Store) SpecialUsergroups(ctx context.Context, tx *gorm.DB) ([]GroupChoice, error) {
	var out []GroupChoice
	err := s.txOr(ctx, tx).Raw("SELECT groupid, grouptitle, radminid FROM "+s.T.Discuz("common_usergroup")+
		" WHERE type = ? ORDER BY groupid", "special").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("read the special usergroups: %w", err)
	}
	return out, nil
}

// ProfileColumn is one column of a pre_common_member_profile_setting row as
// PHP's mysqli hands it over: a string, or NULL.
type ProfileColumn struct {
	Name  string
	Value string
	Null  bool
}

// ProfileSettingRows reads pre_common_member_profile_setting rows the way
// build_cache_fields_connect_register does (C::t(…)->fetch_all($fieldids):
// SELECT * … WHERE fieldid IN (…), no ORDER BY), so the rows come in the
// order the server gives Discuz, each with its columns in table order.
func (s *Store) ProfileSettingRows(ctx context.Context, tx *gorm.DB, fieldids []string) ([][]ProfileColumn, error) {
	if len(fieldids) == 0 {
		return nil, nil
	}
	rows, err := s.txOr(ctx, tx).Raw("SELECT * FROM "+s.T.Discuz("common_member_profile_setting")+" WHERE fieldid IN ?", fieldids).Rows()
	if err != nil {
		return nil, fmt.Errorf("read the profile fields: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("read the profile fields: %w", err)
	}
	var out [][]ProfileColumn
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read the profile fields: %w", err)
		}
		row := make([]ProfileColumn, len(cols))
		for i, c := range cols {
			row[i] = ProfileColumn{Name: c, Value: vals[i].String, Null: !vals[i].Valid}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the profile fields: %w", err)
	}
	return out, nil
}
