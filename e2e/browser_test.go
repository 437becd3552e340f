package e2e

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"qqconnect/internal/testlog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds every single browser step (one click and the page it
// loads, one query, one screenshot).
const stepTimeout = 15 * time.Second

// chromiumPath finds Debian's chromium. When it is missing the test fails
// under CI=true and is skipped elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"}
	if p := os.Getenv("E2E_CHROMIUM"); p != "" {
		candidates = []string{p}
	} else if p, err := exec.LookPath("chromium"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := fmt.Sprintf("chromium not found (looked for %s): install it with `apt-get update && apt-get install -y chromium`, or point E2E_CHROMIUM at a Chromium binary", strings.Join(candidates, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true: the end-to-end test needs a browser: " + msg)
	}
	t.Skip(msg)
	return ""
}

// browser is one headless Chromium process.
type browser struct {
	ctx    context.Context // has a started browser; tabs derive from it
	output *testlog.Buffer // Chromium's own stdout and stderr
	shots  string          // E2E_SCREENSHOTS, "" = do not save
}

// startBrowser launches headless Chromium with a fresh profile. Every host
// but loopback addresses fails to resolve, so nothing can leave the machine.
func startBrowser(ctx context.Context, t *testing.T, execPath string) *browser {
	t.Helper()
	b := &browser{output: &testlog.Buffer{}, shots: os.Getenv("E2E_SCREENSHOTS")}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium-profile")),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(b.output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		if t.Failed() {
			if out := strings.TrimSpace(b.output.String()); out != "" {
				t.Logf("chromium output:\n%s", out)
			}
		}
	})
	// The first Do starts the browser and ties its life to bctx, which has
	// no per-step timeout; the whole test's deadline still bounds it.
	start := time.Now()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium %s: %v\n%s", execPath, err, b.output.String())
	}
	t.Logf("chromium started in %s", time.Since(start).Round(time.Millisecond))
	b.ctx = bctx
	if b.shots != "" {
		if err := os.MkdirAll(b.shots, 0o755); err != nil {
			t.Fatalf("E2E_SCREENSHOTS: %v", err)
		}
	}
	return b
}

// tab is one page in its own browser context: fresh cookies, fresh storage.
type tab struct {
	t   *testing.T
	ctx context.Context
	b   *browser

	mu      sync.Mutex
	foreign []string // requests to anything but loopback
}

// newTab opens a tab in a new browser context (like a new incognito window).
func (b *browser) newTab(t *testing.T) *tab {
	t.Helper()
	p := &tab{t: t, b: b}
	ctx, cancel := chromedp.NewContext(b.ctx,
		chromedp.WithNewBrowserContext(),
		chromedp.WithListener(p.watchRequest),
	)
	t.Cleanup(func() {
		cancel()
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.foreign) > 0 {
			t.Errorf("the browser tried to reach non-loopback addresses: %q", p.foreign)
		}
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	p.ctx = ctx
	return p
}

// watchRequest runs in the tab's event loop: it must return fast.
func (p *tab) watchRequest(ev any) {
	e, ok := ev.(*network.EventRequestWillBeSent)
	if !ok || e.Request == nil {
		return
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		p.addForeign(e.Request.URL)
		return
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss", "ftp":
	default:
		return // data:, blob:, about:, chrome: never leave the browser
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		p.addForeign(e.Request.URL)
	}
}

func (p *tab) addForeign(u string) {
	p.mu.Lock()
	p.foreign = append(p.foreign, u)
	p.mu.Unlock()
}

// state describes the page for a failure message.
func (p *tab) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Sprintf("(page state unavailable: %v)", err)
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len(text) > 1500 {
		text = text[:1500] + "…"
	}
	return fmt.Sprintf("at %s, page text:\n%s", loc, text)
}

func (p *tab) fatalf(format string, args ...any) {
	p.t.Helper()
	p.t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), p.state())
}

func (p *tab) errorf(format string, args ...any) {
	p.t.Helper()
	p.t.Errorf("%s\n%s", fmt.Sprintf(format, args...), p.state())
}

// do runs steps that return nothing, within one step timeout.
func (p *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fatalf("%s: %v", what, err)
	}
}

func run[T any](p *tab, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.fatalf("%s: %v", what, err)
	}
	return v
}

// open loads the starting URL of a scenario.
func (p *tab) open(u string) {
	p.t.Helper()
	p.do("open "+u, chromedp.Navigate(u))
}

// clickNav clicks sel and waits until the page it leads to (after any
// redirects) has loaded; it returns that page's HTTP status.
func (p *tab) clickNav(sel string) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		p.fatalf("click %s and wait for the next page: %v", sel, err)
	}
	if resp == nil {
		p.fatalf("click %s: no navigation", sel)
	}
	return resp.Status
}

// click clicks an element that does not navigate (a radio, a summary).
func (p *tab) click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// fill replaces the value of a text field by typing.
func (p *tab) fill(sel, text string) {
	p.t.Helper()
	p.do("type into "+sel,
		chromedp.Clear(chromedp.CSS(sel)),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	)
	if got := p.value(sel); got != text {
		p.fatalf("%s holds %q after typing %q", sel, got, text)
	}
}

func (p *tab) value(sel string) string {
	p.t.Helper()
	return run(p, "value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

func (p *tab) text(sel string) string {
	p.t.Helper()
	return strings.TrimSpace(run(p, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

func (p *tab) attr(sel, name string) string {
	p.t.Helper()
	r := run(p, "attribute "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name))
	return r.Value
}

func (p *tab) location() *url.URL {
	p.t.Helper()
	loc := run(p, "location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		p.fatalf("location %q: %v", loc, err)
	}
	return u
}

// wantPage checks the path and HTTP status of the page the tab shows.
func (p *tab) wantPage(status int64, wantStatus int64, path string) {
	p.t.Helper()
	if got := p.location().Path; got != path || status != wantStatus {
		p.fatalf("on %s with status %d, want %s with status %d", got, status, path, wantStatus)
	}
}

func (p *tab) wantText(sel, substr string) {
	p.t.Helper()
	if got := p.text(sel); !strings.Contains(got, substr) {
		p.fatalf("%s says %q, want it to contain %q", sel, got, substr)
	}
}

// present reports whether sel matches anything now, without waiting.
func (p *tab) present(sel string) bool {
	p.t.Helper()
	return run(p, "look for "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
}

// overflow describes horizontal overflow of the current page: "" when the
// document is no wider than the viewport, else the widths and the elements
// that stick out on the right.
func (p *tab) overflow() string {
	p.t.Helper()
	type result struct {
		ScrollWidth int      `json:"scrollWidth"`
		ClientWidth int      `json:"clientWidth"`
		Culprits    []string `json:"culprits"`
	}
	r := run(p, "measure horizontal overflow", chromedp.Evaluate[result](`(() => {
		const de = document.documentElement;
		const cw = de.clientWidth;
		const culprits = [];
		for (const el of document.body.querySelectorAll('*')) {
			const r = el.getBoundingClientRect();
			if (r.right > cw + 0.5) {
				let name = el.tagName.toLowerCase();
				if (el.id) name += '#' + el.id;
				if (el.className && typeof el.className === 'string') name += '.' + el.className.trim().split(/\s+/).join('.');
				culprits.push(name + ' right=' + Math.round(r.right));
				if (culprits.length >= 8) break;
			}
		}
		return {scrollWidth: de.scrollWidth, clientWidth: cw, culprits};
	})()`))
	if r.ScrollWidth <= r.ClientWidth {
		return ""
	}
	return fmt.Sprintf("scrollWidth %d > clientWidth %d; wider elements: %s", r.ScrollWidth, r.ClientWidth, strings.Join(r.Culprits, ", "))
}

// screenshot saves a full-page PNG to $E2E_SCREENSHOTS/name.png when set.
func (p *tab) screenshot(name string) {
	p.t.Helper()
	if p.b.shots == "" {
		return
	}
	buf := run(p, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(p.b.shots, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Errorf("save screenshot: %v", err)
		return
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	p.t.Logf("screenshot %s: %s", name, abs)
}
