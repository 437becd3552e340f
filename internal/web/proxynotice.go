package web

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// MetaUntrustedXFF is the qqconnect meta key where ProxyNotice records the
// last peer that sent X-Forwarded-For without being a trusted proxy, as
// "<ip> <RFC 3339 time>"; the doctor's trusted_proxies check reads it.
const MetaUntrustedXFF = "proxy_untrusted_xff"

// ProxyNotice notices requests that carry X-Forwarded-For from a peer that
// is not a trusted proxy: behind a proxy qqconnect was not told about,
// every visitor shares the proxy's address (one rate-limit budget, one
// fail2ban target). It records the peer at most once a minute per process.
type ProxyNotice struct {
	Record func(ctx context.Context, key, value string) error
	Now    func() time.Time
	Log    *slog.Logger
	last   atomic.Int64 // unix seconds of the last record
}

// Middleware is the gin handler; it never delays or changes the request
// beyond the rare record.
func (p *ProxyNotice) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("X-Forwarded-For") != "" && c.ClientIP() == c.RemoteIP() {
			p.note(c.Request.Context(), c.RemoteIP())
		}
		c.Next()
	}
}

func (p *ProxyNotice) note(ctx context.Context, peer string) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	t := now().Unix()
	last := p.last.Load()
	if t-last < 60 || !p.last.CompareAndSwap(last, t) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := p.Record(ctx, MetaUntrustedXFF, peer+" "+time.Unix(t, 0).UTC().Format(time.RFC3339)); err != nil && p.Log != nil {
		p.Log.Warn("record an untrusted X-Forwarded-For peer", "peer", peer, "err", err)
	}
}
