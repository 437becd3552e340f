package doctor

import (
	"context"
	"errors"

	"qqconnect/discuz"
	"qqconnect/models"
)

// checkAvatarImport: while the QQ avatar import is on, qqconnect must be
// able to write the forum's avatar files; while it is off, the check only
// says whether it could be switched on.
func checkAvatarImport(ctx context.Context, r *runner) Result {
	s, err := r.db(ctx)
	if err != nil {
		return dbSkip(err)
	}
	if res := noOwnTables(s, "meta"); res != nil {
		return *res
	}
	v, err := s.GetMeta(ctx, models.MetaAvatarImport)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return fail("cannot read qqconnect's meta: "+err.Error(), "see the database check")
	}
	on := err == nil && v == "1"
	werr := errors.New(r.env.AvatarNote)
	if r.env.AvatarDir != "" {
		werr = (&discuz.AvatarStore{Dir: r.env.AvatarDir}).Check()
	}
	switch {
	case !on && werr == nil:
		return ok("off (the default); it can be switched on: avatars would go to " + r.env.AvatarDir)
	case !on:
		return ok("off (the default); it cannot be switched on here: " + werr.Error())
	case werr == nil:
		return ok("on: a QQ member without an avatar gets the QQ avatar in " + r.env.AvatarDir)
	}
	res := fail("on, but qqconnect cannot write the avatar files: "+werr.Error()+"; QQ logins work, the avatars are not imported",
		"let the user qqconnect runs as write the avatar directory (the PHP user, or its group with the group write bit), or switch the import off")
	res.Repair = RepairAvatarOff
	return res
}
