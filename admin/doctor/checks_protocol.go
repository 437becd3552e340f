package doctor

import (
	"context"
	"errors"
)

// checkProtocol tells which QQ protocol logins use, decided as Discuz
// decides it (X3.4+: always OAuth 2.0; X3.2/X3.3: OAuth 1.0 while the
// connect setting's oauth2 is falsy) unless QQCONNECT_QQ_PROTOCOL says
// otherwise. Tencent retired OAuth 1.0: that is a warning with a repair.
func checkProtocol(ctx context.Context, r *runner) Result {
	const retired = "Tencent has retired the Qzone OAuth 1.0 (openapi.qzone.qq.com) that cloud-era sites used; new logins need OAuth 2.0 (graph.qq.com)"
	switch r.env.Protocol {
	case "oauth2":
		return ok("OAuth 2.0 (QQCONNECT_QQ_PROTOCOL=oauth2)")
	case "oauth1":
		return warn("OAuth 1.0, forced by QQCONNECT_QQ_PROTOCOL=oauth1. "+retired,
			"unset QQCONNECT_QQ_PROTOCOL (or set it to oauth2) and restart qqconnect")
	}
	e, _ := r.loadEra(ctx)
	if e.kind != eraCloud {
		return ok("OAuth 2.0 (" + e.label + ": Discuz X3.4 and later always use OAuth 2.0; X3.2/X3.3 too once connect.oauth2 is set)")
	}
	s, m, err := r.loadSettings(ctx)
	if err != nil {
		if errors.Is(err, errNoDB) {
			return skip("database unavailable (see the database check)")
		}
		return dbSkip(err)
	}
	arr, _, err := connectArray(s, m)
	if err != nil || arr == nil {
		return warn("cannot read connect.oauth2 (see the connect_setting check); assuming OAuth 1.0 as Discuz would", "repair the connect setting first")
	}
	if v, _ := arr.Get("oauth2"); v.Truthy() {
		return ok("OAuth 2.0 (cloud-era site with connect.oauth2 = " + v.String() + ")")
	}
	res := warn("OAuth 1.0: a cloud-era site whose connect.oauth2 is falsy. "+retired,
		"switch to OAuth 2.0: sets connect.oauth2=1 (audited, undoable); bound members keep logging in by openid")
	res.Repair = RepairSwitchOAuth2
	return res
}
