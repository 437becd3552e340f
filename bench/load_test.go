package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qqconnect/discuz"
	"qqconnect/plugin/qq"
)

// transport is shared by every simulated browser: keep-alive connections,
// as browsers keep them, enough for c=64.
func newTransport() *http.Transport {
	return &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
}

// visit is one prepared browser: its own cookie jar holding the state the
// login left, and the callback URL the sandbox's authorize would send it to.
type visit struct {
	m        member
	jar      *cookiejar.Jar
	callback string
	referer  string
	cookie   string // the Cookie header the jar sends with the callback
	// The answer, kept for checkCallback.
	status int
	header http.Header
	body   []byte
}

// prepare has n browsers click "QQ login" and be authorized by the
// sandbox (untimed), members chosen round-robin.
func prepare(t *testing.T, s *serve, e *emulator, f *forum, tr *http.Transport, n, offset int) []*visit {
	out := make([]*visit, n)
	var wg sync.WaitGroup
	var failed atomic.Value
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				jar, _ := cookiejar.New(nil)
				c := &http.Client{Transport: tr, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				m := f.members[(offset+i)%len(f.members)]
				ref := fmt.Sprintf("/forum.php?mod=viewthread&tid=%d", offset+i+1)
				resp, err := c.Get(s.url + "/connect/qq/login?referer=" + url.QueryEscape(ref))
				if err != nil {
					failed.Store(err.Error())
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				loc, err := url.Parse(resp.Header.Get("Location"))
				if resp.StatusCode != http.StatusFound || err != nil {
					failed.Store(fmt.Sprintf("login: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location")))
					continue
				}
				q := loc.Query()
				code, err := e.code(q.Get("state"), m.qq)
				if err != nil {
					failed.Store("sandbox authorize: " + err.Error())
					continue
				}
				v := &visit{m: m, jar: jar, referer: ref,
					callback: q.Get("redirect_uri") + "?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state"))}
				cu, _ := url.Parse(v.callback)
				var cookies []string
				for _, ck := range jar.Cookies(cu) {
					cookies = append(cookies, ck.Name+"="+ck.Value)
				}
				v.cookie = strings.Join(cookies, "; ")
				out[i] = v
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if v := failed.Load(); v != nil {
		t.Fatalf("preparing browsers: %v", v)
	}
	return out
}

// timings are the latencies of one run.
type timings struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
}

func (r timings) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r timings) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), r.lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// run does n jobs with c workers and times each.
func run(c, n int, job func(i int) error) (timings, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := job(i); err != nil {
					first.CompareAndSwap(nil, err)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	r := timings{n: n, elapsed: time.Since(start), lat: lat}
	if v := first.Load(); v != nil {
		return r, v.(error)
	}
	return r, nil
}

// callback sends one prepared browser's callback with the cookies its jar
// holds for it and keeps the answer; checkCallback checks it after the
// timed run, so the tool's own cookie handling stays out of the
// measurement (the floor's client does nothing but its three calls).
func callback(hc *http.Client, v *visit) error {
	req, err := http.NewRequest(http.MethodGet, v.callback, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Cookie", v.cookie)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v.status, v.header, v.body = resp.StatusCode, resp.Header, body
	return nil
}

// checkCallback: a 302 to the browser's referer and Discuz login cookies
// that decode to its member.
func checkCallback(f *forum, v *visit) error {
	if v.status != http.StatusFound || v.header.Get("Location") != v.referer {
		return fmt.Errorf("callback of uid %d: status %d, Location %q, want 302 to %q: %.300s", v.m.uid, v.status, v.header.Get("Location"), v.referer, v.body)
	}
	var auth, salt string
	for _, ck := range (&http.Response{Header: v.header}).Cookies() {
		switch ck.Name {
		case discuz.CookieName(f.cookiePr, "/", "", "auth"):
			auth, _ = url.QueryUnescape(ck.Value)
		case discuz.CookieName(f.cookiePr, "/", "", "saltkey"):
			salt = ck.Value
		}
	}
	pw, uid, err := discuz.ParseAuthCookie(auth, f.authkey, salt, time.Now())
	if err != nil || uid != v.m.uid || pw != v.m.password {
		return fmt.Errorf("callback of uid %d: the auth cookie decodes to uid %d (%v)", v.m.uid, uid, err)
	}
	return nil
}

// floorJob makes the three calls a callback must make, with the product's
// own QQ client, and checks the openid.
func floorJob(client *qq.Client, e *emulator, f *forum, codes []string, offset int) func(i int) error {
	cred := qq.Credentials{AppID: appID, AppKey: f.appKey}
	return func(i int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tok, err := client.ExchangeCode(ctx, cred, codes[i], e.redirectURI)
		if err != nil {
			return err
		}
		me, err := client.Me(ctx, cred, tok.AccessToken, true)
		if err != nil {
			return err
		}
		m := f.members[(offset+i)%len(f.members)]
		if !strings.EqualFold(me.OpenID, openIDOf(m)) {
			return fmt.Errorf("floor: openid %s for QQ %s", me.OpenID, m.qq)
		}
		_, err = client.UserInfo(ctx, cred, tok.AccessToken, me.OpenID)
		return err
	}
}
