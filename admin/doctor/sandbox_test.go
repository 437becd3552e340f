package doctor

import (
	"testing"

	"qqconnect/models"
)

func TestSandboxCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		driver  string
		store   *models.Store // only its Dialect is read
		sandbox bool
		want    want
	}{
		{"mysql forum with the sandbox", "mysql", nil, true, want{status: Fail,
			contains: []string{"QQ login goes to the built-in sandbox", "anyone can log in as any member bound to a sandbox QQ number"},
			fix:      "unset QQCONNECT_SANDBOX"}},
		{"driver known only from the store", "", &models.Store{Dialect: models.DriverMySQL}, true, want{status: Fail,
			contains: []string{"anyone can log in"}, fix: "QQCONNECT_SANDBOX"}},
		{"mysql forum, sandbox off", "mysql", nil, false, want{status: OK, contains: []string{"real QQ"}}},
		{"sqlite demo with the sandbox", "sqlite", &models.Store{Dialect: models.DriverSQLite}, true,
			want{status: OK, contains: []string{"standalone demo", "sandbox"}}},
		{"sqlite, sandbox off", "sqlite", nil, false, want{status: OK, contains: []string{"real QQ"}}},
		{"sandbox, database unknown", "", nil, true, want{status: Warn, contains: []string{"sandbox"}, fix: "QQCONNECT_SANDBOX"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := offlineEnv()
			env.DBDriver, env.Store, env.Sandbox = tc.driver, tc.store, tc.sandbox
			tc.want.check(t, one(t, env, "sandbox"))
		})
	}
}
