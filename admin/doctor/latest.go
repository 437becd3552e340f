package doctor

import (
	"context"
	"sync"
	"time"
)

// Latest keeps the newest report for a page that must answer at once
// whatever the network does (the admin dashboard, issue 12): each Get
// starts a run unless one is in flight, waits a little for it, and
// otherwise returns the last finished run. At most one run is in flight,
// so reloading the page cannot pile up checks.
type Latest struct {
	Run     func(context.Context) Report
	Timeout time.Duration // bounds one run (default 30 s); checks have their own deadlines
	Now     func() time.Time

	mu      sync.Mutex
	last    *Snapshot
	running chan struct{} // closed when the run in flight ends; nil when none
}

// Snapshot is one finished run.
type Snapshot struct {
	Report   Report
	Started  time.Time // a change made after this is not reflected in Report
	Finished time.Time
}

// Get returns the newest snapshot (nil before the first run ends) and
// whether a run is still in flight, after waiting up to wait for it. The
// run is detached from ctx: a page that gave up still leaves the result
// for the next load.
func (l *Latest) Get(ctx context.Context, wait time.Duration) (*Snapshot, bool) {
	done := l.start(ctx)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last, l.running != nil
}

func (l *Latest) start(ctx context.Context) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running != nil {
		return l.running
	}
	done := make(chan struct{})
	l.running = done
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	now := l.Now
	if now == nil {
		now = time.Now
	}
	go func() {
		defer func() {
			l.mu.Lock()
			l.running = nil
			l.mu.Unlock()
			close(done)
		}()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		started := now()
		rep := l.Run(rctx)
		l.mu.Lock()
		l.last = &Snapshot{Report: rep, Started: started, Finished: now()}
		l.mu.Unlock()
	}()
	return done
}
