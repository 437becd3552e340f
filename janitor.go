package main

import (
	"context"
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

// sweep is one pass of the janitor, with its own deadline.
func sweep(ctx context.Context, app *App, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := app.Store.PurgeExpired(ctx, now)
	if err == nil {
		err = app.Store.PurgeAdminSessions(ctx, now, admin.IdleTimeout)
	}
	if err != nil && ctx.Err() == nil {
		app.Log.Warn("purge expired qqconnect rows", "err", err)
		return
	}
	if n > 0 {
		app.Log.Debug("purged expired qqconnect rows", "rows", n)
	}
}
