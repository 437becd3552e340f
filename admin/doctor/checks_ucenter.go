package doctor

import (
	"context"
	"fmt"
)

// ---- ucenter -----------------------------------------------------------

// checkUCenter says where UCenter's tables are and whether qqconnect can
// read them: every password check and registration goes there.
func checkUCenter(ctx context.Context, r *runner) Result {
	s, err := r.db(ctx)
	if err != nil {
		return dbSkip(err)
	}
	table := s.T.UCenter("members")
	where := "UCenter 与论坛同一数据库 / in the forum's database"
	if s.T.UCDB != "" {
		where = fmt.Sprintf("UCenter 在同一服务器的数据库 %s / in database %s on the forum's MySQL server", s.T.UCDB, s.T.UCDB)
	}
	var uids []int64 // one row, not a count: a UCenter may hold millions
	if err := s.DB.WithContext(ctx).Raw("SELECT uid FROM " + table + " LIMIT 1").Scan(&uids).Error; err != nil {
		return fail(where+": "+table+" cannot be read: "+err.Error(),
			"grant the forum's database user SELECT, INSERT, UPDATE, DELETE on "+table+" and its memberfields table, or fix UC_DBTABLEPRE in config/config_ucenter.php")
	}
	return ok(where + ": " + table + " readable")
}
