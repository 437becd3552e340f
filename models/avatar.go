package models

import (
	"context"
	"fmt"
)

// SetAvatarStatus sets pre_common_member.avatarstatus=1 for a member who
// had none (0), as Discuz does once an avatar file exists
// (spacecp_avatar.php, the mobile uploadavatar API). It reports whether the
// row changed: false when the member is gone or already has the flag.
func (s *Store) SetAvatarStatus(ctx context.Context, uid int64) (bool, error) {
	res := s.DB.WithContext(ctx).Table(s.T.Discuz("common_member")).
		Where("uid = ? AND avatarstatus = 0", uid).Update("avatarstatus", 1)
	if res.Error != nil {
		return false, fmt.Errorf("set avatarstatus of uid %d: %w", uid, res.Error)
	}
	return res.RowsAffected == 1, nil
}
