package models

import (
	"context"

	"qqconnect/discuz"
)

// CheckPassword verifies a forum username and password against UCenter, as
// Discuz's own login does. It returns (nil, nil) for an unknown user or a
// wrong password, so callers cannot tell the two apart (no enumeration).
func (s *Store) CheckPassword(ctx context.Context, username, password string) (*Member, error) {
	uc, err := Maybe(s.UCMemberByUsername(ctx, username))
	if err != nil {
		return nil, err
	}
	if uc == nil || !discuz.VerifyUCPassword(uc.Password, uc.Salt, password) {
		return nil, nil
	}
	return Maybe(s.MemberByUID(ctx, uc.UID))
}
