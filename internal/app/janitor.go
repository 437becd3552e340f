package app

import (
	"context"
	"errors"
	"time"

	"qqconnect/admin"
)

// janitor deletes what has outlived its use: expired OAuth states and
// pending QQ identities, old login attempts, idle admin sessions. It runs in
// the background so no request pays for it, until ctx ends.
func janitor(ctx context.Context, app *App, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		sweep(ctx, app, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepDeadline bounds one pass of the janitor.
const sweepDeadline = 30 * time.Second

// sweep is one pass of the janitor, with its own deadline. A pass that runs
// out of time says so: the tables are then growing faster than they are
// purged, which an operator must hear about.
func sweep(ctx context.Context, app *App, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, sweepDeadline)
	defer cancel()
	n, err := app.Store.PurgeExpired(ctx, now)
	if err == nil {
		err = app.Store.PurgeAdminSessions(ctx, now, admin.IdleTimeout)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		app.Log.Warn("janitor: purge of expired qqconnect rows hit its deadline; rows are piling up faster than they are purged",
			"deadline", sweepDeadline.String(), "purged", n)
		return
	}
	if err != nil && ctx.Err() == nil {
		app.Log.Warn("purge expired qqconnect rows", "err", err)
		return
	}
	if n > 0 {
		app.Log.Debug("purged expired qqconnect rows", "rows", n)
	}
}
