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
	grant := "grant the forum's database user SELECT, INSERT, UPDATE, DELETE on " + table + " and its memberfields table, or fix UC_DBTABLEPRE in config/config_ucenter.php"
	switch {
	case s.UCRemote():
		where = fmt.Sprintf("UCenter 在另一台 MySQL 服务器 %s 的数据库 %s / in database %s on another MySQL server, %s", r.env.UCHost, s.T.UCDB, s.T.UCDB, r.env.UCHost)
		grant = "check UC_DBHOST/UC_DBUSER/UC_DBPW/UC_DBNAME in config/config_ucenter.php: qqconnect connects with them as Discuz does, " +
			"and that account needs SELECT, INSERT, UPDATE, DELETE on " + table + " and its memberfields table"
	case s.T.UCDB != "":
		where = fmt.Sprintf("UCenter 在同一服务器的数据库 %s / in database %s on the forum's MySQL server", s.T.UCDB, s.T.UCDB)
	}
	var uids []int64 // one row, not a count: a UCenter may hold millions
	if err := s.UCConn(ctx).Raw("SELECT uid FROM " + table + " LIMIT 1").Scan(&uids).Error; err != nil {
		return fail(where+": "+table+" cannot be read: "+err.Error(), grant)
	}
	return ok(where + ": " + table + " readable")
}
