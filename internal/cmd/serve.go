package cmd

import (
	"context"
	"io"

	"qqconnect/internal/app"
)

// serveCommand is `qqconnect serve` (also with no command at all).
func serveCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, log, ok := serviceConfig(args, getenv, stderr)
	if !ok {
		return 2
	}
	return app.Serve(ctx, cfg, log, stdout)
}
