package doctor

import (
	"context"
	"errors"
	"strconv"
	"time"

	"qqconnect/models"
)

// metaUnionIDRefused is where the login flow records QQ's 100048/100049
// (plugin.MetaUnionIDRefused; the doctor must not import the plugin).
const metaUnionIDRefused = "qq_unionid_refused_at"

// checkUnionID reports whether QQ hands out unionids to this AppID. Without
// the permission (100048 "companyid not set") logins still work by openid;
// only linking accounts across several QQ apps is impossible.
func checkUnionID(ctx context.Context, r *runner) Result {
	s, err := r.db(ctx)
	if err != nil {
		return dbSkip(err)
	}
	if res := noOwnTables(s, "meta"); res != nil {
		return *res
	}
	v, err := s.GetMeta(ctx, metaUnionIDRefused)
	if errors.Is(err, models.ErrNotFound) || (err == nil && v == "") {
		var n int64
		if err := s.DB.WithContext(ctx).Table(s.T.Own("identity")).Where("unionid IS NOT NULL").Count(&n).Error; err != nil {
			return fail("cannot count unionids: "+err.Error(), "see the database check")
		}
		return ok(strconv.FormatInt(n, 10) + " bound QQ accounts have a unionid; QQ has not refused unionid to this AppID")
	}
	if err != nil {
		return fail("cannot read qqconnect's meta: "+err.Error(), "see the database check")
	}
	at, _ := strconv.ParseInt(v, 10, 64)
	return warn("QQ answered 100048/100049 (no unionid permission) at "+time.Unix(at, 0).UTC().Format(time.RFC3339)+
		"; logins work by openid only",
		"optional: apply for UnionID in the QQ互联 console (应用管理 → 应用接口 → UnionID → 申请; the app must have passed review)")
}
