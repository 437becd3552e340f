package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"qqconnect/admin/doctor"
	"qqconnect/internal/app"
	"qqconnect/internal/config"
)

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
	log := app.QuietLogger(stderr)
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
	a, dbErr := app.OpenWith(octx, cfg, log, cfg.DBDriver == "sqlite", true)
	ocancel()
	if a != nil {
		defer a.Close()
		if a.Demo != nil {
			app.PrintDemo(stderr, cfg, a.Demo)
		}
	}
	rep := doctor.Run(ctx, app.DoctorEnv(cfg, a, dbErr))
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
