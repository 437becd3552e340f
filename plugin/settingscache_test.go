package plugin

import (
	"context"
	"errors"
	"testing"
	"time"

	"qqconnect/models"
)

// TestSettingsCache: kept for TTL, read again after it or after Forget,
// never kept when the read failed or TTL is 0.
func TestSettingsCache(t *testing.T) {
	now := time.Unix(1800000000, 0)
	reads, fail := 0, false
	load := func(context.Context) (*models.QQSettings, error) {
		reads++
		if fail {
			return nil, errors.New("database down")
		}
		return &models.QQSettings{AppID: "app"}, nil
	}
	steps := []struct {
		name      string
		ttl       time.Duration
		advance   time.Duration
		forget    bool
		fail      bool
		wantReads int
		wantErr   bool
	}{
		{"first read", time.Second, 0, false, false, 1, false},
		{"within TTL", time.Second, 900 * time.Millisecond, false, false, 1, false},
		{"TTL passed", time.Second, 200 * time.Millisecond, false, false, 2, false},
		{"after Forget", time.Second, 0, true, false, 3, false},
		{"kept again", time.Second, 0, false, false, 3, false},
		{"failed read after TTL", time.Second, 2 * time.Second, false, true, 4, true},
		{"failure not kept", time.Second, 0, false, false, 5, false},
		{"TTL 0 reads every time", 0, 0, true, false, 6, false},
		{"TTL 0 again", 0, 0, false, false, 7, false},
	}
	c := &SettingsCache{Load: load, Now: func() time.Time { return now }}
	for _, st := range steps {
		c.TTL, now, fail = st.ttl, now.Add(st.advance), st.fail
		if st.forget {
			c.Forget()
		}
		q, err := c.Get(context.Background())
		if (err != nil) != st.wantErr || reads != st.wantReads || (err == nil && q.AppID != "app") {
			t.Fatalf("%s: settings %+v err %v after %d reads, want %d reads, error %v", st.name, q, err, reads, st.wantReads, st.wantErr)
		}
	}
}
