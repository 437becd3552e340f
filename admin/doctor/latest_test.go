package doctor

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestLatest: a page never waits longer than asked, a slow run is not
// started twice, and its result is there for the next load.
func TestLatest(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var runs atomic.Int32
	var thirdCancelled atomic.Value
	l := &Latest{Run: func(ctx context.Context) Report {
		n := runs.Add(1)
		if n == 1 {
			<-release
		}
		if n == 3 {
			time.Sleep(20 * time.Millisecond)
			thirdCancelled.Store(ctx.Err() != nil)
		}
		return Report{OK: n > 1, Checks: []Result{{ID: "run", Detail: string(rune('0' + n))}}}
	}}
	ctx := context.Background()

	start := time.Now()
	snap, running := l.Get(ctx, 50*time.Millisecond)
	if took := time.Since(start); took > time.Second {
		t.Errorf("Get waited %s for a stuck run, asked for 50ms", took)
	}
	if snap != nil || !running {
		t.Fatalf("first Get during a stuck run: snapshot %v running %v, want none and running", snap, running)
	}
	if snap, running = l.Get(ctx, 10*time.Millisecond); snap != nil || !running || runs.Load() != 1 {
		t.Fatalf("second Get: snapshot %v running %v after %d runs, want the first run still alone", snap, running, runs.Load())
	}

	close(release)
	// The next Get finds the first run finished, starts the second and
	// (fast) waits for it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		snap, running = l.Get(ctx, time.Second)
		if snap != nil && snap.Report.OK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fresh snapshot 5 s after the run was released: %+v running %v", snap, running)
		}
	}
	if running || snap.Started.After(snap.Finished) || snap.Report.Checks[0].Detail != "2" {
		t.Errorf("fresh snapshot %+v running %v, want run 2, finished", snap, running)
	}

	// A page whose request is gone still leaves its run going.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	l.Get(cctx, time.Second)
	for deadline := time.Now().Add(5 * time.Second); thirdCancelled.Load() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a cancelled page's run never finished")
		}
	}
	if thirdCancelled.Load().(bool) {
		t.Error("the run started by a page that went away was cancelled with it")
	}
}
