package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"qqconnect/internal/web"
	"qqconnect/models"
)

// untrustedXFFWindow is how long a seen untrusted X-Forwarded-For counts.
const untrustedXFFWindow = 7 * 24 * time.Hour

// checkTrustedProxies warns when requests arrived with X-Forwarded-For from
// a peer that is not a trusted proxy (recorded by web.ProxyNotice): every
// visitor behind it then shares one address, so one client's wrong
// passwords lock the bind form for all of them.
func checkTrustedProxies(ctx context.Context, r *runner) Result {
	trusted := "none"
	if len(r.env.TrustedProxies) > 0 {
		trusted = strings.Join(r.env.TrustedProxies, ", ")
		if r.env.TrustedProxyDefault {
			trusted += " (the default while qqconnect listens on loopback)"
		}
	}
	s, err := r.db(ctx)
	if err != nil {
		return dbSkip(err)
	}
	if res := noOwnTables(s, "meta"); res != nil {
		return *res
	}
	v, err := s.GetMeta(ctx, web.MetaUntrustedXFF)
	if errors.Is(err, models.ErrNotFound) || (err == nil && v == "") {
		return ok("trusted proxies: " + trusted + "; no request with X-Forwarded-For from an untrusted peer seen")
	}
	if err != nil {
		return fail("cannot read qqconnect's meta: "+err.Error(), "see the database check")
	}
	peer, when, _ := strings.Cut(v, " ")
	at, err := time.Parse(time.RFC3339, when)
	if err == nil && r.env.Now().Sub(at) > untrustedXFFWindow {
		return ok(fmt.Sprintf("trusted proxies: %s; the last request with X-Forwarded-For from an untrusted peer (%s) was at %s, over a week ago", trusted, peer, when))
	}
	return warn(fmt.Sprintf("requests arrive with X-Forwarded-For from %s (last at %s), which is not a trusted proxy (trusted: %s): "+
		"every visitor behind it counts as %s, so they share one rate-limit budget and fail2ban would ban the proxy", peer, when, trusted, peer),
		fmt.Sprintf("if %s is the forum's reverse proxy, set QQCONNECT_TRUSTED_PROXIES=%s and restart qqconnect", peer, peer))
}
