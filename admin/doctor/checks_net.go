package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// isLoopbackHost reports whether host (no port) is this machine.
func isLoopbackHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

func baseHost(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// sandboxLoopback: the built-in QQ emulator on this machine, nothing real to reach.
func (r *runner) sandboxLoopback() bool {
	return r.env.Sandbox && isLoopbackHost(baseHost(r.env.QQAPIBase))
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// ---- qq_dns ------------------------------------------------------------

const slowDNS = 2 * time.Second

func checkQQDNS(ctx context.Context, r *runner) Result {
	if r.sandboxLoopback() {
		return skip("sandbox mode: QQ_API_BASE " + r.env.QQAPIBase + " is the built-in QQ emulator on this machine")
	}
	host := r.env.QQHost
	if host == "" {
		return fail("QQ_API_BASE "+r.env.QQAPIBase+" has no host name", "set QQCONNECT_QQ_API_BASE to https://graph.qq.com")
	}
	start := time.Now()
	addrs, err := r.env.Resolver.LookupHost(ctx, host)
	lat := time.Since(start)
	const fix = "this server must resolve graph.qq.com: check /etc/resolv.conf (or the container's DNS) and any firewall blocking port 53, e.g. `getent hosts graph.qq.com`"
	if err != nil {
		return fail(fmt.Sprintf("cannot resolve %s after %s: %v", host, ms(lat), err), fix)
	}
	if len(addrs) == 0 {
		return fail(fmt.Sprintf("%s resolves to no address (%s)", host, ms(lat)), fix)
	}
	shown := addrs
	if len(shown) > 4 {
		shown = shown[:4]
	}
	detail := fmt.Sprintf("%s → %s (%s)", host, strings.Join(shown, ", "), ms(lat))
	if len(addrs) > len(shown) {
		detail = fmt.Sprintf("%s → %s and %d more (%s)", host, strings.Join(shown, ", "), len(addrs)-len(shown), ms(lat))
	}
	if lat > slowDNS {
		return warn(detail+": slow DNS delays every QQ login", "use a faster or local caching DNS resolver")
	}
	return ok(detail)
}

// ---- qq_https ----------------------------------------------------------

// probe is one GET of QQ_API_BASE/oauth2.0/me without a token, shared by
// qq_https and clock_skew.
type probe struct {
	url     string
	err     error // transport error
	status  int
	ctype   string
	body    []byte
	date    string // Date header
	latency time.Duration
	at      time.Time // Env.Now when the answer arrived
}

func (r *runner) loadProbe(ctx context.Context) (*probe, error) {
	return r.probe.get(ctx, r, func(ctx context.Context) (*probe, error) {
		p := &probe{url: r.env.QQAPIBase + "/oauth2.0/me"}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
		if err != nil {
			p.err = err
			return p, nil
		}
		req.Header.Set("User-Agent", "qqconnect-doctor")
		start := time.Now()
		resp, err := r.env.HTTP.Do(req)
		if err != nil {
			p.err = err
			p.latency = time.Since(start)
			return p, nil
		}
		defer resp.Body.Close()
		p.body, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		p.latency = time.Since(start)
		p.at = r.env.Now()
		p.status = resp.StatusCode
		p.ctype = resp.Header.Get("Content-Type")
		p.date = resp.Header.Get("Date")
		return p, nil
	})
}

// qqAnswer recognises QQ's /oauth2.0/me answers: JSONP
// `callback( {...} );` or plain JSON with error/client_id/openid.
func qqAnswer(body []byte) (string, bool) {
	b := strings.TrimSpace(string(body))
	if i := strings.Index(b, "("); strings.HasPrefix(b, "callback") && i >= 0 {
		if j := strings.LastIndex(b, ")"); j > i {
			b = strings.TrimSpace(b[i+1 : j])
		}
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(b), &obj); err != nil {
		return "", false
	}
	if e, has := obj["error"]; has {
		desc, _ := obj["error_description"].(string)
		return strings.TrimSpace(fmt.Sprintf("error %v %s", e, desc)), true
	}
	if _, has := obj["client_id"]; has {
		return "client_id/openid answer", true
	}
	if _, has := obj["openid"]; has {
		return "client_id/openid answer", true
	}
	return "", false
}

const slowHTTPS = 3 * time.Second

func checkQQHTTPS(ctx context.Context, r *runner) Result {
	p, err := r.loadProbe(ctx)
	if err != nil {
		return fail("probe failed: "+err.Error(), "run the checks again")
	}
	if p.err != nil {
		detail := fmt.Sprintf("GET %s failed after %s: %v", p.url, ms(p.latency), p.err)
		if r.env.Sandbox {
			return warn(detail, "sandbox mode: the emulator answers only while `qqconnect serve` is running; start it and check again")
		}
		return fail(detail, "this server must reach "+r.env.QQAPIBase+" over HTTPS (port 443): check the firewall, any outgoing proxy (HTTPS_PROXY), and the CA certificates (ca-certificates package)")
	}
	desc, isQQ := qqAnswer(p.body)
	if !isQQ {
		ct := p.ctype
		if ct == "" {
			ct = "no content type"
		}
		return warn(fmt.Sprintf("GET %s answered HTTP %d (%s, %d bytes) in %s, but not like QQ does", p.url, p.status, ct, len(p.body), ms(p.latency)),
			"a proxy, captive portal or firewall may sit in between, or QQCONNECT_QQ_API_BASE is wrong (it should be https://graph.qq.com)")
	}
	detail := fmt.Sprintf("GET %s answered HTTP %d in %s: %s (expected without a token)", p.url, p.status, ms(p.latency), desc)
	if strings.HasPrefix(r.env.QQAPIBase, "http://") && !r.env.Sandbox && !isLoopbackHost(baseHost(r.env.QQAPIBase)) {
		return warn(detail+"; QQ_API_BASE is plain http: the appkey and tokens cross the network unencrypted",
			"set QQCONNECT_QQ_API_BASE to https://graph.qq.com")
	}
	if p.latency > slowHTTPS {
		return warn(detail+": slow, every QQ login makes three such calls", "check the server's outgoing network route to QQ")
	}
	return ok(detail)
}

// ---- clock_skew --------------------------------------------------------

const (
	skewFail = 5 * time.Minute
	skewWarn = time.Minute
)

func checkClockSkew(ctx context.Context, r *runner) Result {
	p, err := r.loadProbe(ctx)
	if err != nil {
		return fail("probe failed: "+err.Error(), "run the checks again")
	}
	if p.err != nil {
		return skip("no answer from " + r.env.QQAPIBase + " to compare clocks with (see the qq_https check)")
	}
	remote, err := http.ParseTime(p.date)
	if err != nil {
		return skip(fmt.Sprintf("%s sent no usable Date header (%q); compare the clock with NTP by hand", r.env.QQAPIBase, p.date))
	}
	// The Date header was stamped about half-way through the request, and
	// truncated to the second: compare with the middle of that second.
	skew := p.at.Add(-p.latency / 2).Sub(remote.Add(500 * time.Millisecond)).Round(time.Second)
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	detail := fmt.Sprintf("this server's clock is %s %s %s (Date: %s)", abs, dir, r.env.QQHost, p.date)
	const fix = "synchronise the clock with NTP (`timedatectl set-ntp true`, or chrony/ntpd) and check the time zone setting"
	switch {
	case abs > skewFail:
		return fail(detail+": QQ rejects servers more than 5 minutes off (网站服务器时间误差超过5分钟)", fix)
	case abs > skewWarn:
		return warn(detail+": close to QQ's 5-minute limit", fix)
	}
	return ok(detail)
}

// ---- redirect_uri ------------------------------------------------------

// stateLen is the length of the state qqconnect sends (base64url of 24 bytes).
const stateLen = 32

const maxCallbackBytes = 500

func checkRedirectURI(ctx context.Context, r *runner) Result {
	pub := strings.TrimRight(strings.TrimSpace(r.env.PublicURL), "/")
	cb := r.env.CallbackPath
	if cb == "" {
		cb = "/connect/qq/callback"
	}
	if pub == "" {
		return fail("QQCONNECT_PUBLIC_URL is not set: the redirect_uri is unknown",
			"set QQCONNECT_PUBLIC_URL to the forum's public origin, e.g. https://bbs.example.com")
	}
	full := pub + cb
	u, err := url.Parse(full)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(fmt.Sprintf("the redirect_uri %q is not an absolute http(s) URL", full),
			"set QQCONNECT_PUBLIC_URL to e.g. https://bbs.example.com and QQCONNECT_CALLBACK_PATH to a path starting with /")
	}
	register := "register exactly " + full + " as the callback (QQ互联 console → 应用管理 → 网站应用 → 网站回调域)"
	escaped := len(url.QueryEscape(full))
	if escaped+stateLen > maxCallbackBytes {
		return fail(fmt.Sprintf("the redirect_uri is %d bytes URL-encoded (+%d of state): QQ accepts at most %d; %s", escaped, stateLen, maxCallbackBytes, register),
			"shorten QQCONNECT_CALLBACK_PATH (the default /connect/qq/callback is fine)")
	}
	var issues, fixes []string
	host := u.Hostname()
	if u.Scheme == "http" {
		issues = append(issues, "it is http, not https")
		fixes = append(fixes, "serve the forum over https and set QQCONNECT_PUBLIC_URL to https://…")
	}
	switch {
	case isLoopbackHost(host):
		issues = append(issues, "the host is localhost: QQ rejects it")
		fixes = append(fixes, "use the public domain name in QQCONNECT_PUBLIC_URL")
	case net.ParseIP(strings.Trim(host, "[]")) != nil:
		issues = append(issues, "the host is an IP address: QQ互联 accepts only a (filed) domain")
		fixes = append(fixes, "use the public domain name in QQCONNECT_PUBLIC_URL")
	}
	if u.Port() != "" {
		issues = append(issues, "it has an explicit port :"+u.Port()+" (QQ error 100010 redirect uri is illegal)")
		fixes = append(fixes, "publish the forum on the default port behind a reverse proxy and drop the port from QQCONNECT_PUBLIC_URL")
	}
	if len(u.Path) > 1 && strings.HasSuffix(u.Path, "/") {
		issues = append(issues, "the path ends with / (QQ compares it byte for byte: 100010)")
		fixes = append(fixes, "remove the trailing slash from QQCONNECT_CALLBACK_PATH")
	}
	if len(issues) == 0 {
		return ok(register)
	}
	if r.env.Sandbox {
		return ok(register + " (sandbox mode; real QQ would object: " + strings.Join(issues, "; ") + ")")
	}
	return warn(register+"; but "+strings.Join(issues, "; "), strings.Join(fixes, "; "))
}
