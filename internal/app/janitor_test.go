package app

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"qqconnect/internal/testdb"
)

// TestSweep: expired states, pending identities, old attempts and idle admin
// sessions go; live ones stay.
func TestSweep(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	now := time.Now().Unix()
	s.DB.Exec(t, "INSERT INTO pre_qqconnect_oauth_state (state_hash, expires_at) VALUES ('old', ?), ('live', ?)", now-1, now+600)
	s.DB.Exec(t, "INSERT INTO pre_qqconnect_pending (token_hash, expires_at) VALUES ('old', ?), ('live', ?)", now-1, now+600)
	s.DB.Exec(t, "INSERT INTO pre_qqconnect_admin_session (id_hash, last_seen) VALUES ('old', ?), ('live', ?)", now-1801, now)
	s.DB.Exec(t, "INSERT INTO pre_qqconnect_login_attempt (kind, created_at) VALUES ('bind', ?), ('bind', ?)", now-8*86400, now)
	sweep(t.Context(), s.App, time.Now())
	for _, table := range []string{"oauth_state", "pending", "admin_session", "login_attempt"} {
		if n := s.count("SELECT count(*) FROM pre_qqconnect_" + table); n != 1 {
			t.Errorf("%s: %d rows after the sweep, want the 1 live row", table, n)
		}
	}
}

// TestSweepDeadlineIsLogged (issue 9 #6): a pass that runs out of time is
// logged, not silently dropped.
func TestSweepDeadlineIsLogged(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	var buf strings.Builder
	app := *s.App
	app.Log = slog.New(slog.NewTextHandler(&buf, nil)) // sweep logs from this goroutine only
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	sweep(ctx, &app, time.Now())
	if !strings.Contains(buf.String(), "hit its deadline") {
		t.Fatalf("no deadline warning in %q", buf.String())
	}
}
