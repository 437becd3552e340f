package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"qqconnect/admin/doctor"
	"qqconnect/internal/config"
	"qqconnect/internal/web"
)

// doctorEnv builds the doctor's environment from the configuration; store
// may be nil when the database could not be opened (the doctor says why).
func doctorEnv(cfg *config.Config, app *App, dbErr error) *doctor.Env {
	env := &doctor.Env{
		DBErr:               dbErr,
		PublicURL:           cfg.PublicURL,
		CallbackPath:        cfg.CallbackPath,
		QQAPIBase:           cfg.QQAPIBase,
		DiscuzVersion:       cfg.DiscuzVersion,
		Sandbox:             cfg.Sandbox,
		MemoryBackend:       cfg.MemoryBackend,
		MemoryRedis:         cfg.MemoryRedis,
		MemoryMemcache:      memcacheAddr(cfg),
		MemoryPrefix:        memoryPrefix(cfg),
		CacheType:           cfg.CacheType,
		MemoryOther:         cfg.MemoryOther,
		MemoryProbe:         memoryProbe(cfg),
		Protocol:            cfg.QQProtocol,
		DBDriver:            cfg.DBDriver,
		UCHost:              cfg.UCHost,
		TrustedProxies:      cfg.TrustedProxy,
		InstanceProof:       func(nonce string) string { return web.InstanceProof(cfg.Authkey, nonce) },
		TrustedProxyDefault: cfg.TrustedProxyDefault,
	}
	if app != nil {
		env.Store = app.Store
	}
	return env
}

// liveDoctorEnv is the doctor's environment in the running service:
// config_global.php as it is now (liveConfig), and when it was read.
func liveDoctorEnv(app *App) *doctor.Env {
	cur, _, _ := app.Live.current()
	env := doctorEnv(cur, app, nil)
	env.ConfigRead = app.Live.ReadNote()
	return env
}

// doctorBudget bounds `qqconnect doctor` from start to report, and
// doctorOpenBudget the database handshake within it: every check still
// gets at least the difference.
const (
	doctorBudget     = 5500 * time.Millisecond
	doctorOpenBudget = 2 * time.Second
)

// runDoctor is `qqconnect doctor [--json]`: every check once; exit 0 when
// all are ok or warn, 1 when any fails, 2 for bad usage or configuration.
func runDoctor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	var rest []string
	// --json may come before or after the configuration flags.
	for _, a := range args {
		if a == "--json" || a == "-json" {
			*asJSON = true
			continue
		}
		rest = append(rest, a)
	}
	cfg, extra, err := config.Load(rest, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "qqconnect: configuration error:", err)
		return 2
	}
	if len(extra) > 0 {
		fmt.Fprintf(stderr, "qqconnect doctor: unexpected arguments %v\n", extra)
		return 2
	}
	log := quietLogger(stderr)
	// The whole run has one deadline, so a database or network that accepts
	// connections and never answers costs seconds, not a check timeout on
	// top of a connect timeout (README "Performance").
	ctx, cancel := context.WithTimeout(ctx, doctorBudget)
	defer cancel()
	octx, ocancel := ctx, context.CancelFunc(func() {})
	if cfg.DBDriver == "mysql" {
		// The standalone demo may build its forum first: no open budget there.
		octx, ocancel = context.WithTimeout(ctx, doctorOpenBudget)
	}
	defer ocancel()
	// The doctor only reads a forum's database; the standalone demo database
	// is qqconnect's own, so it may be brought up to date first.
	// A forum where qqconnect never ran still gets every check that needs
	// none of qqconnect's own tables.
	app, dbErr := openAppWith(octx, cfg, log, cfg.DBDriver == "sqlite", true)
	ocancel()
	if app != nil {
		defer app.Close()
		if app.Demo != nil {
			printDemo(stderr, cfg, app.Demo)
		}
	}
	rep := doctor.Run(ctx, doctorEnv(cfg, app, dbErr))
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			return 1
		}
		return rep.ExitCode()
	}
	for _, r := range rep.Checks {
		fmt.Fprintf(stdout, "%-5s %-16s %s\n", r.Status, r.ID, r.Title)
		if r.Detail != "" {
			fmt.Fprintf(stdout, "      %s\n", r.Detail)
		}
		if r.Fix != "" {
			fmt.Fprintf(stdout, "      修复 / fix: %s\n", r.Fix)
		}
		if r.Repair != "" {
			fmt.Fprintf(stdout, "      qqconnect repair %s --dry-run\n", r.Repair)
		}
	}
	return rep.ExitCode()
}

// quietLogger keeps command-line output readable: only warnings and errors.
func quietLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
