package cmd

import (
	"context"
	"fmt"
	"io"

	"qqconnect/internal/app"
)

// migrateCommand is `qqconnect migrate`: qqconnect's own tables brought up
// to date, nothing else.
func migrateCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, log, ok := serviceConfig(args, getenv, stderr)
	if !ok {
		return 2
	}
	a, err := app.Open(ctx, cfg, log, true)
	if err != nil {
		log.Error("start-up failed", "err", err)
		return app.StartupExit(err)
	}
	defer a.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return 0
}
