package plugin

import (
	"context"
	"sync/atomic"
	"time"

	"qqconnect/models"
)

// SettingsCache keeps the QQ login settings for TTL. Every login redirect
// and callback needs them, and reading them is a statement and a PHP
// unserialize each time: a third of a login's database work (README
// "Performance"). A change made elsewhere (Discuz's admin panel, another
// instance, the CLI) shows within TTL, one made by this instance's repairs
// at once (Forget). Discuz itself reads its settings from a cache that only
// its admin panel refreshes, so TTL is the stricter of the two.
type SettingsCache struct {
	Load func(ctx context.Context) (*models.QQSettings, error)
	TTL  time.Duration // 0 reads on every call
	Now  func() time.Time

	cur atomic.Pointer[cachedSettings]
}

type cachedSettings struct {
	q       *models.QQSettings
	expires time.Time
}

// Get returns the settings, read at most TTL ago. The value is shared by
// every request: callers must not change it.
func (c *SettingsCache) Get(ctx context.Context) (*models.QQSettings, error) {
	now := c.now()
	if cur := c.cur.Load(); cur != nil && now.Before(cur.expires) {
		return cur.q, nil
	}
	q, err := c.Load(ctx)
	if err != nil {
		return nil, err // not kept: the next call tries again
	}
	if c.TTL > 0 {
		c.cur.Store(&cachedSettings{q: q, expires: now.Add(c.TTL)})
	}
	return q, nil
}

// Forget drops the kept settings: the next Get reads them.
func (c *SettingsCache) Forget() { c.cur.Store(nil) }

func (c *SettingsCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
