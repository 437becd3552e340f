package doctor

import (
	"context"

	"qqconnect/models"
)

// checkSandbox fails loudly while QQ login goes to the built-in sandbox on a
// real forum database: the sandbox lets whoever opens it pick any QQ
// number, so anyone can log in as any member bound to a sandbox openid.
// The configuration refuses this unless QQCONNECT_SANDBOX_ON_REAL_FORUM is
// given; this check keeps saying it for as long as it runs that way.
func checkSandbox(_ context.Context, r *runner) Result {
	driver := r.env.DBDriver
	if driver == "" && r.env.Store != nil {
		driver = r.env.Store.Dialect
	}
	switch {
	case !r.env.Sandbox:
		return ok("sandbox off: QQ login goes to the real QQ (" + r.env.QQAPIBase + ")")
	case driver == models.DriverMySQL:
		return fail("QQ login goes to the built-in sandbox on a real forum database (mysql): "+
			"anyone can log in as any member bound to a sandbox QQ number",
			"unset QQCONNECT_SANDBOX and QQCONNECT_SANDBOX_ON_REAL_FORUM, then restart qqconnect; "+
				"members bound through the sandbox must bind again with the real QQ")
	case driver == models.DriverSQLite:
		return ok("standalone demo forum (sqlite): QQ login goes to the built-in sandbox, as intended")
	default:
		return warn("QQ login goes to the built-in sandbox, and the database kind is unknown",
			"on a real forum unset QQCONNECT_SANDBOX; the sandbox is meant for the standalone demo only")
	}
}
