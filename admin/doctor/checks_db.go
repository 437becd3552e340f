package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"qqconnect/discuz"
	"qqconnect/migrations"
	"qqconnect/models"
)

// ---- database ----------------------------------------------------------

func checkDatabase(ctx context.Context, r *runner) Result {
	if r.env.Store == nil {
		why := "no database configured"
		if r.env.DBErr != nil {
			why = r.env.DBErr.Error()
		}
		return fail("cannot open the database: "+why,
			"check QQCONNECT_DB_DRIVER/QQCONNECT_DB_DSN (or the db settings of config_global.php under QQCONNECT_DISCUZ_ROOT) and that MySQL is running and accepts this user")
	}
	s, err := r.db(ctx)
	if err != nil {
		return fail("database does not answer: "+strings.TrimPrefix(err.Error(), errNoDB.Error()+": "),
			"check that MySQL is running and reachable from this server, and the credentials in QQCONNECT_DB_DSN")
	}
	// CheckCompat records the schema in the Store it is given: use a copy so
	// the doctor never writes to the Store the web service is using.
	cp := *s
	if err := models.CheckCompat(ctx, &cp); err != nil {
		var ce *models.CompatError
		if errors.As(err, &ce) {
			return fail("missing: "+strings.Join(ce.Problems, "; "),
				"this is not a complete Discuz! X3.4/X3.5 database (or the table prefix is wrong: QQCONNECT_TABLE_PREFIX="+s.T.Pre+"); install/upgrade Discuz and its QQ互联 plugin, then check again")
		}
		return fail("schema check failed: "+err.Error(), "check the database user may read information_schema")
	}
	detail := fmt.Sprintf("%s database answers; every table and column qqconnect needs is there (prefix %s)", s.Dialect, s.T.Pre)
	if sqlDB, err := s.DB.DB(); err == nil {
		pending, err := migrations.Pending(ctx, sqlDB, s.Dialect, s.T.Pre)
		switch {
		case err != nil:
			return warn(detail+"; cannot tell whether qqconnect's own tables are up to date: "+err.Error(),
				"run `qqconnect migrate`")
		case len(pending) > 0 && !cp.Schema.HasTable(s.T.Own("migrations")):
			return fail(fmt.Sprintf("%s; qqconnect's own tables (%sqqconnect_*) do not exist yet: qqconnect has never run on this database, so QQ login cannot work", detail, s.T.Pre),
				"run `qqconnect migrate` (or start `qqconnect serve`, which migrates first); the checks below that need those tables are skipped until then")
		case len(pending) > 0:
			return warn(fmt.Sprintf("%s; qqconnect's own tables (%sqqconnect_*) lack migrations %v", detail, s.T.Pre, pending),
				"run `qqconnect migrate` (or start `qqconnect serve` without --no-migrate)")
		}
	}
	return ok(detail)
}

// ---- discuz_version ----------------------------------------------------

// cloudEra says whether the site is a cloud-platform release (X3.2/X3.3).
type cloudEra int

const (
	eraUnknown   cloudEra = iota // cannot tell (treat cloud-era rules as possible)
	eraCloud                     // X3.2/X3.3
	eraStandalon                 // X3.4 and later: standalone qqconnect plugin
)

type era struct {
	label    string // "X3.5", "X3.3 or X3.4", …
	kind     cloudEra
	guessed  bool   // from the schema, not from source/discuz_version.php
	evidence string // why the guess
}

var standaloneVersionRe = regexp.MustCompile(`^X(\d+)\.(\d+)`)

// versionEra classifies a DISCUZ_VERSION value.
func versionEra(v string) cloudEra {
	v = strings.ToUpper(strings.TrimSpace(v))
	if discuz.IsCloudEra(v) {
		return eraCloud
	}
	if m := standaloneVersionRe.FindStringSubmatch(v); m != nil {
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		if major > 3 || (major == 3 && minor >= 4) {
			return eraStandalon
		}
	}
	return eraUnknown
}

// loadEra decides the site's era once: from DiscuzVersion, else guessed from
// the schema (X3.5 added pre_common_member.secmobile; X3.3 and X3.4 share one
// schema with videophotostatus, told apart by the qqconnect plugin version).
func (r *runner) loadEra(ctx context.Context) (era, error) {
	return r.era.get(ctx, r, func(ctx context.Context) (era, error) {
		if v := strings.TrimSpace(r.env.DiscuzVersion); v != "" {
			return era{label: v, kind: versionEra(v)}, nil
		}
		s, err := r.db(ctx)
		if err != nil {
			return era{kind: eraUnknown, guessed: true, evidence: "no database to guess it from"}, nil
		}
		member := s.T.Discuz("common_member")
		schema, err := models.InspectSchema(ctx, s.DB, s.Dialect, []string{member})
		if err != nil {
			return era{}, err
		}
		switch {
		case schema.Has(member, "secmobile"):
			return era{label: "X3.5", kind: eraStandalon, guessed: true, evidence: member + ".secmobile exists"}, nil
		case schema.Has(member, "videophotostatus"):
			p, err := r.loadPlugin(ctx)
			if err != nil {
				return era{}, err
			}
			switch {
			case p != nil && strings.HasPrefix(p.Version, "1."):
				return era{label: "X3.2/X3.3", kind: eraCloud, guessed: true,
					evidence: member + ".videophotostatus exists and the qqconnect plugin is the cloud-era version " + p.Version}, nil
			case p != nil && p.Version != "":
				return era{label: "X3.4", kind: eraStandalon, guessed: true,
					evidence: member + ".videophotostatus exists and the qqconnect plugin is version " + p.Version}, nil
			}
			return era{label: "X3.3 or X3.4", kind: eraUnknown, guessed: true,
				evidence: member + ".videophotostatus exists (X3.3 and X3.4 share this schema)"}, nil
		}
		return era{kind: eraUnknown, guessed: true, evidence: member + " has neither secmobile (X3.5) nor videophotostatus (X3.3/X3.4)"}, nil
	})
}

func checkDiscuzVersion(ctx context.Context, r *runner) Result {
	e, err := r.loadEra(ctx)
	if err != nil {
		return fail("cannot read the schema: "+err.Error(), "see the database check")
	}
	const setRoot = "set QQCONNECT_DISCUZ_ROOT to the forum's directory so qqconnect reads source/discuz_version.php"
	describe := func(k cloudEra) string {
		switch k {
		case eraCloud:
			return "cloud era: QQ互联 was an app of the Discuz! cloud platform, which Tencent shut down in 2017; qqconnect replaces its login"
		case eraStandalon:
			return "standalone QQ互联 plugin (appid/appkey entered in 应用 → 插件 → QQ互联 → 设置)"
		}
		return ""
	}
	if !e.guessed {
		if e.kind == eraUnknown {
			return warn(fmt.Sprintf("DISCUZ_VERSION %q is not a release qqconnect knows (X3.2–X3.5)", e.label),
				"qqconnect is built for Discuz! X3.2–X3.5; check source/discuz_version.php under QQCONNECT_DISCUZ_ROOT")
		}
		return ok(e.label + ": " + describe(e.kind))
	}
	if e.kind == eraUnknown {
		what := "version unknown"
		if e.label != "" {
			what = e.label
		}
		if e.label == "" && strings.HasPrefix(e.evidence, "no database") {
			return warn("version unknown: DISCUZ_VERSION not given and "+e.evidence, setRoot)
		}
		return warn(fmt.Sprintf("%s (guessed from the schema: %s)", what, e.evidence), setRoot)
	}
	res := ok(fmt.Sprintf("%s (guessed from the schema: %s): %s", e.label, e.evidence, describe(e.kind)))
	if e.kind == eraCloud {
		// The protocol choice (QQ_PROTOCOL=auto) needs the real version.
		return warn(res.Detail, setRoot)
	}
	return res
}

// ---- plugin_row --------------------------------------------------------

func checkPluginRow(ctx context.Context, r *runner) Result {
	s, err := r.db(ctx)
	if err != nil {
		return dbSkip(err)
	}
	p, err := r.loadPlugin(ctx)
	if err != nil {
		return fail("cannot read "+s.T.Discuz("common_plugin")+": "+err.Error(), "see the database check")
	}
	if p == nil {
		e, _ := r.loadEra(ctx)
		fix := "in the Discuz admin: 应用 → 插件 → QQ互联 → 安装, then 启用 (installing leaves the plugin disabled)"
		if e.kind == eraCloud {
			fix = "X3.2/X3.3 installs QQ互联 as a system plugin: run misc.php?mod=initsys as the founder (云平台诊断 \"系统插件未初始化 点击修复\"), then 应用 → 插件 → QQ互联 → 启用"
		}
		return fail("QQ互联 is not installed: "+s.T.Discuz("common_plugin")+" has no qqconnect row", fix)
	}
	detail := fmt.Sprintf("QQ互联 version %s (pluginid %d)", p.Version, p.PluginID)
	modulesBad := false
	if arr, err := s.UnserializeModules(p.Modules); err != nil || len(arr.Entries) == 0 {
		modulesBad = true
		detail += "; common_plugin表modules字段值不正确 (modules does not unserialize to a non-empty array)"
	}
	const reinstall = "reinstall the plugin: 应用 → 插件 → QQ互联 → 卸载, then 安装 and 启用 (bindings in pre_common_member_connect are kept)"
	if p.Available != 1 {
		return fail(detail+"; the plugin is installed but disabled (available=0): no QQ button, connect.php says 尚未开启",
			"enable it: 应用 → 插件 → QQ互联 → 启用, or the plugin-enable repair").repair(RepairPluginEnable)
	}
	if modulesBad {
		return warn(detail+"; enabled", reinstall)
	}
	return ok(detail + ", enabled (available=1)")
}

// ---- retired_hosts -----------------------------------------------------

func checkRetiredHosts(ctx context.Context, r *runner) Result {
	cloudHosts := "api.discuz.qq.com, connect.discuz.qq.com, cp.discuz.qq.com (Discuz! cloud platform, shut down 2017)"
	var (
		m     map[string]string
		dbErr error
	)
	var s *models.Store
	if ss, mm, err := r.loadSettings(ctx); err == nil {
		s, m = ss, mm
	} else {
		dbErr = err
	}
	e, _ := r.loadEra(ctx)
	oauth1 := false
	if m != nil && e.kind == eraCloud {
		if arr, _, err := connectArray(s, m); err == nil && arr != nil {
			if v, _ := arr.Get("oauth2"); !v.Truthy() {
				oauth1 = true
			}
		}
	}
	detail := "retired by Tencent: " + cloudHosts + " and openapi.qzone.qq.com (QQ OAuth 1.0); qqconnect uses only " + r.env.QQHost + " (OAuth 2.0)"
	var overrides []string
	for _, k := range []string{"cloud_api_ip", "connect_api_ip", "my_ip"} {
		if v := strings.TrimSpace(m[k]); v != "" {
			overrides = append(overrides, k+"="+v)
		}
	}
	switch {
	case dbErr != nil:
		if !errors.Is(dbErr, errNoDB) {
			return fail(detail+"; cannot read the IP overrides: "+dbErr.Error(), "see the database check")
		}
		return ok(detail + " (the IP overrides were not checked: no database)")
	case len(overrides) > 0:
		return warn(detail+"; manual IPs for the retired hosts are still set: "+strings.Join(overrides, ", "),
			"clear them: X3.2/X3.3 云平台 → 站点信息 → 设置接口IP (empty all three), or UPDATE pre_common_setting SET svalue='' WHERE skey IN ('cloud_api_ip','connect_api_ip','my_ip'), then 工具 → 更新缓存")
	case oauth1:
		return warn(detail+"; this site's connect.oauth2 is falsy, so Discuz's own QQ login still calls openapi.qzone.qq.com, which no longer answers",
			"log in through qqconnect (OAuth 2.0 on graph.qq.com): set QQCONNECT_QQ_PROTOCOL=oauth2")
	}
	return ok(detail + "; no IP overrides set")
}

// ---- bindings ----------------------------------------------------------

func checkBindings(ctx context.Context, r *runner) Result {
	s, err := r.db(ctx)
	if err != nil {
		return dbSkip(err)
	}
	conn, member := s.T.Discuz("common_member_connect"), s.T.Discuz("common_member")
	var rows, bound, orphanFlag, gone, unflagged, legacy, noOpenID sql.NullInt64
	q := func(dst *sql.NullInt64, query string) error {
		return s.DB.WithContext(ctx).Raw(query).Row().Scan(dst)
	}
	steps := []struct {
		dst   *sql.NullInt64
		query string
	}{
		{&rows, "SELECT COUNT(*) FROM " + conn},
		{&bound, "SELECT COUNT(*) FROM " + member + " WHERE conisbind = 1"},
		{&orphanFlag, "SELECT COUNT(*) FROM " + member + " m LEFT JOIN " + conn + " c ON c.uid = m.uid WHERE m.conisbind = 1 AND c.uid IS NULL"},
		{&gone, "SELECT COUNT(*) FROM " + conn + " c LEFT JOIN " + member + " m ON m.uid = c.uid WHERE m.uid IS NULL"},
		{&unflagged, "SELECT COUNT(*) FROM " + conn + " c JOIN " + member + " m ON m.uid = c.uid WHERE m.conisbind <> 1"},
		{&legacy, "SELECT COUNT(*) FROM " + conn + " WHERE conuin <> ''"},
		{&noOpenID, "SELECT COUNT(*) FROM " + conn + " WHERE conopenid = ''"},
	}
	for _, st := range steps {
		if err := q(st.dst, st.query); err != nil {
			return fail("cannot count bindings: "+err.Error(), "see the database check")
		}
	}
	detail := fmt.Sprintf("%d QQ bindings in %s; %d members with conisbind=1; %d legacy cloud-era bindings (OAuth 1.0 token kept in conuin)",
		rows.Int64, conn, bound.Int64, legacy.Int64)
	var problems, fixes []string
	if noOpenID.Int64 > 0 {
		problems = append(problems, fmt.Sprintf("%d bindings without an openid (very old cloud-era rows): those members cannot log in by QQ", noOpenID.Int64))
		fixes = append(fixes, "those members log in with their password once and bind QQ again (the old row is replaced)")
	}
	if n := gone.Int64 + unflagged.Int64; n > 0 {
		problems = append(problems, fmt.Sprintf("%d stale bindings (%d whose member is gone, %d whose member has conisbind=0)", n, gone.Int64, unflagged.Int64))
		fixes = append(fixes, fmt.Sprintf("stale rows are removed when that QQ user next logs in (as Discuz does); to remove them now: DELETE c FROM %s c LEFT JOIN %s m ON m.uid=c.uid WHERE m.uid IS NULL OR m.conisbind<>1", conn, member))
	}
	if orphanFlag.Int64 > 0 {
		problems = append(problems, fmt.Sprintf("%d members with conisbind=1 but no binding row (shown as bound, cannot log in with QQ)", orphanFlag.Int64))
		fixes = append(fixes, fmt.Sprintf("UPDATE %s m LEFT JOIN %s c ON c.uid=m.uid SET m.conisbind=0 WHERE m.conisbind=1 AND c.uid IS NULL, so they can bind again", member, conn))
	}
	if len(problems) > 0 {
		fix := strings.Join(fixes, "; ")
		if r.env.MemoryRedis != "" || len(r.env.MemoryOther) > 0 {
			fix += "; Discuz's memory cache keeps copies of member rows: run 全局 → 性能优化 → 内存优化 → 内存清理 afterwards (工具 → 更新缓存 leaves them)"
		}
		return warn(detail+"; "+strings.Join(problems, "; "), fix)
	}
	return ok(detail + "; no stale bindings")
}
