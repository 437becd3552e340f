// Package cmd is qqconnect's command line: one file a command (serve,
// migrate, doctor, repair, audit and undo, version), each over the service
// in internal/app.
package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"qqconnect/internal/config"
)

// Run is main without the process: it returns the exit status.
func Run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "version":
		return versionCommand(stdout)
	case "serve":
		return serveCommand(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrateCommand(ctx, args, getenv, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, args, getenv, stdout, stderr)
	case "repair":
		return repairCommand(ctx, args, getenv, os.Stdin, stdout, stderr)
	case "audit", "undo":
		return auditCommand(ctx, cmd, args, getenv, os.Stdin, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "qqconnect: unknown command %q (serve, migrate, doctor, repair, audit, undo, version)\n", cmd)
		return 2
	}
}

// serviceConfig loads the configuration of serve and migrate, and says at
// every start when the sandbox runs on a real forum.
func serviceConfig(args []string, getenv func(string) string, stderr io.Writer) (*config.Config, *slog.Logger, bool) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg, _, err := config.Load(args, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "qqconnect: configuration error:", err)
		return nil, nil, false
	}
	if cfg.Sandbox && cfg.DBDriver == "mysql" {
		// Allowed only with QQCONNECT_SANDBOX_ON_REAL_FORUM; say it at every start.
		log.Warn("QQ login goes to the built-in sandbox on a real forum database: anyone can log in as any member bound to a sandbox QQ number",
			"setting", "QQCONNECT_SANDBOX")
	}
	return cfg, log, true
}
