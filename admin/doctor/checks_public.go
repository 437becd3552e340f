package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"

	"qqconnect/internal/web"
)

// checkPublicURL fetches qqconnect's login URL through the forum's origin
// (PUBLIC_URL) and, when the callback is Discuz's, connect.php?mod=login,
// and proves that this forum's qqconnect answered (web.Proof): a missing
// proxy route answers with nginx's 404 or the forum's own PHP, and QQ
// login then silently is not qqconnect's.
func checkPublicURL(ctx context.Context, r *runner) Result {
	if r.env.InstanceProof == nil {
		return skip("not probed (no proof function configured)")
	}
	pub := strings.TrimRight(strings.TrimSpace(r.env.PublicURL), "/")
	if pub == "" {
		return skip("QQCONNECT_PUBLIC_URL is not set (see the redirect_uri check)")
	}
	paths := []string{"/connect/qq/login?referer=%2F"}
	if strings.HasPrefix(r.env.CallbackPath, "/connect.php") {
		paths = append(paths, "/connect.php?mod=login&op=init&referer=forum.php")
	}
	const route = "include deploy/nginx/qqconnect.conf in the forum's server { } block (Apache: deploy/apache/qqconnect.conf) and reload the web server; see README \"Putting it in front of a real Discuz\""
	var seen []string
	for _, p := range paths {
		u := pub + p
		var b [16]byte
		_, _ = rand.Read(b[:])
		nonce := hex.EncodeToString(b[:])
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return fail("cannot build a request for "+u+": "+err.Error(), "check QQCONNECT_PUBLIC_URL")
		}
		req.Header.Set(web.ProofNonceHeader, nonce)
		resp, err := r.env.HTTP.Do(req)
		if errors.Is(err, syscall.ECONNREFUSED) {
			// as before a first start: nothing listens there yet
			return warn(fmt.Sprintf("nothing answers at %s (connection refused): qqconnect serve is not running, or the web server in front of it is down", u),
				"start qqconnect serve (and the forum's web server) and check again; the web server must pass "+p+" to qqconnect: "+route)
		}
		if err != nil {
			return fail(fmt.Sprintf("%s does not answer: %v", u, err),
				"start qqconnect serve and check that the forum's web server is up and passes "+p+" to it: "+route)
		}
		resp.Body.Close()
		if resp.Header.Get(web.ProofHeader) != r.env.InstanceProof(nonce) {
			who := resp.Header.Get("Server")
			if who == "" {
				who = "something else"
			}
			return fail(fmt.Sprintf("%s is answered by %s (HTTP %d), not by this forum's qqconnect: the forum's QQ buttons and callback do not reach qqconnect", u, who, resp.StatusCode),
				route)
		}
		seen = append(seen, fmt.Sprintf("%s (HTTP %d)", u, resp.StatusCode))
	}
	return ok("this forum's qqconnect answers " + strings.Join(seen, " and "))
}
