package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"qqconnect/internal/config"
	"qqconnect/internal/testdb"
	"qqconnect/internal/testlog"
)

// proxiedDSN is db's DSN through p.
func proxiedDSN(t *testing.T, db *testdb.DB, p *testdb.Proxy) string {
	t.Helper()
	c, err := mysql.ParseDSN(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	c.Net, c.Addr = "tcp", p.Addr()
	return c.FormatDSN()
}

// TestServeWaitsForTheDatabase (issue 11, reliability): with the database
// down when `serve` starts, qqconnect listens anyway: /healthz is up,
// /readyz and the pages are 503 naming what it waits for, the log says so,
// and once the database answers qqconnect serves within the backoff.
func TestServeWaitsForTheDatabase(t *testing.T) {
	db := testdb.New(t, testdb.X35)
	db.InstallQQConnect(t, testAppID, randHex(t, 16))
	proxy := testdb.NewProxy(t) // down
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	vars := map[string]string{"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": proxiedDSN(t, db, proxy),
		"QQCONNECT_AUTHKEY": randHex(t, 16), "QQCONNECT_PUBLIC_URL": base, "QQCONNECT_ADDR": ln.Addr().String(),
		"QQCONNECT_QQ_API_BASE": "http://127.0.0.1:1"}
	cfg, _, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- serveOnListeners(ctx, cfg, slog.New(slog.NewTextHandler(logs, nil)), io.Discard, ln, nil)
	}()
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	time.Sleep(1200 * time.Millisecond) // a first attempt or two
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz while waiting: %d %q", code, body)
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "waiting for the database") {
		t.Fatalf("/readyz while waiting: %d %q", code, body)
	}
	if code, body := get("/connect/qq/login"); code != http.StatusServiceUnavailable || !strings.Contains(body, "等待数据库") {
		t.Fatalf("a page while waiting: %d %q", code, body)
	}
	if l := logs.String(); !strings.Contains(l, "waiting for the database") || !strings.Contains(l, proxy.Addr()) {
		t.Fatalf("the log does not say what it waits for:\n%s", l)
	}

	proxy.Up()
	up := time.Now()
	for {
		if code, _ := get("/readyz"); code == http.StatusOK {
			break
		}
		if time.Since(up) > 6*time.Second {
			t.Fatalf("not ready 6 s after the database came back\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("ready %v after the database came back", time.Since(up).Round(time.Millisecond))
	if code, _ := get("/connect/qq/login?referer=/"); code != http.StatusFound {
		t.Fatalf("login once connected: %d", code)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve returned %d", code)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestDatabaseRestartMidBurst (issue 11, reliability): the database goes
// away in the middle of a burst of QQ registrations and comes back 2 s
// later. Every request gets an answer within 15 s, /readyz says 503 while
// it is gone, no binding or member is left half-written, and logins work
// again within 5 s of the database coming back.
func TestDatabaseRestartMidBurst(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			db := testdb.New(t, v)
			proxy := testdb.NewProxy(t)
			proxy.Up()
			s := newTestSiteOn(t, db, map[string]string{"QQCONNECT_DB_DSN": proxiedDSN(t, db, proxy)}, nil)
			const n = 24
			browsers := make([]*browser, n)
			tokens := make([]string, n)
			for i := range browsers {
				browsers[i] = s.browser()
				browsers[i].qqLogin(fmt.Sprint(91000+i), "/")
				tokens[i] = csrfOf(browsers[i], bindPath)
			}
			// A form post that never fails the test: the answer is what counts.
			post := func(b *browser, form url.Values) (int, error) {
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/connect/qq/register", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := b.c.Do(req)
				if err != nil {
					return 0, err
				}
				defer resp.Body.Close()
				io.Copy(io.Discard, resp.Body)
				return resp.StatusCode, nil
			}
			var wg sync.WaitGroup
			slow := make(chan string, n)
			for i, b := range browsers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(time.Duration(i) * 120 * time.Millisecond) // before, during and after the outage
					start := time.Now()
					code, err := post(b, url.Values{"username": {fmt.Sprint("burst", i)}, "email": {fmt.Sprintf("burst%d@example.com", i)}, "_csrf": {tokens[i]}})
					if d := time.Since(start); d > 15*time.Second || err != nil || code == 0 {
						slow <- fmt.Sprintf("request %d: %d after %v (%v)", i, code, d, err)
					}
				}()
			}
			time.Sleep(600 * time.Millisecond)
			proxy.Down()
			down := time.Now()
			if code, _ := s.browser().get("/readyz"); code.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("/readyz with the database gone: %d", code.StatusCode)
			}
			time.Sleep(2*time.Second - time.Since(down))
			proxy.Up()
			back := time.Now()
			wg.Wait()
			close(slow)
			for m := range slow {
				t.Error("no answer within 15 s: " + m)
			}
			// Logins work again within 5 s: ready, then a whole QQ login.
			for {
				if resp, _ := s.browser().get("/readyz"); resp.StatusCode == http.StatusOK {
					break
				}
				if time.Since(back) > 5*time.Second {
					t.Fatal("/readyz still failing 5 s after the database came back")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if resp, body := s.browser().qqLogin("91999", "/"); resp.StatusCode != http.StatusFound || time.Since(back) > 5*time.Second {
				t.Fatalf("QQ login after the database came back: %d after %v %.200s", resp.StatusCode, time.Since(back), body)
			}
			// Nothing half-written: every member has its UCenter account and all
			// six rows, every binding its member (conisbind=1) and vice versa.
			checks := map[string]string{
				"members without a UCenter account":   "SELECT count(*) FROM pre_common_member m LEFT JOIN " + s.uc("members") + " u USING (uid) WHERE u.uid IS NULL",
				"UCenter accounts without a member":   "SELECT count(*) FROM " + s.uc("members") + " u LEFT JOIN pre_common_member m USING (uid) WHERE m.uid IS NULL",
				"members without a status row":        "SELECT count(*) FROM pre_common_member m LEFT JOIN pre_common_member_status x USING (uid) WHERE x.uid IS NULL",
				"members without a count row":         "SELECT count(*) FROM pre_common_member m LEFT JOIN pre_common_member_count x USING (uid) WHERE x.uid IS NULL",
				"members without a profile row":       "SELECT count(*) FROM pre_common_member m LEFT JOIN pre_common_member_profile x USING (uid) WHERE x.uid IS NULL",
				"members without a field_forum row":   "SELECT count(*) FROM pre_common_member m LEFT JOIN pre_common_member_field_forum x USING (uid) WHERE x.uid IS NULL",
				"members without a field_home row":    "SELECT count(*) FROM pre_common_member m LEFT JOIN pre_common_member_field_home x USING (uid) WHERE x.uid IS NULL",
				"bindings whose member is not marked": "SELECT count(*) FROM pre_common_member_connect c JOIN pre_common_member m USING (uid) WHERE m.conisbind = 0",
				"marked members without a binding":    "SELECT count(*) FROM pre_common_member m LEFT JOIN pre_common_member_connect c USING (uid) WHERE m.conisbind = 1 AND c.uid IS NULL",
			}
			for what, q := range checks {
				if k := s.count(q); k != 0 {
					t.Errorf("%d %s", k, what)
				}
			}
			t.Logf("%d of %d registrations made it; logins back %v after the database", s.count("SELECT count(*) FROM pre_common_member_connect"), n, time.Since(back).Round(time.Millisecond))
		})
	}
}

// TestTwoInstances (issue 11, reliability): two qqconnect instances on one
// forum database, as behind one proxy upstream: a QQ login started on one
// completes on the other, in both directions, and their janitors purge the
// same tables at the same time as logins run, without an error.
func TestTwoInstances(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	second := s.secondInstance()
	cfg := *s.Cfg
	other, err := Open(context.Background(), &cfg, s.log, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)

	// A member bound through instance A.
	b := s.browser()
	b.qqLogin("89001", "/")
	if resp, body := b.post(bindPath, "/connect/qq/register", url.Values{"username": {"twoinst"}, "email": {"twoinst@example.com"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d %.300s", resp.StatusCode, body)
	}
	uid := b.discuzLogin()

	// Janitors of both instances, all the time, while the logins below run.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for _, app := range []*App{s.App, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := app.Store.PurgeExpired(ctx, time.Now().Add(time.Hour)); err != nil && ctx.Err() == nil {
					errs <- err
				}
			}
		}()
	}
	for i, dir := range [][2]string{{s.URL, second}, {second, s.URL}, {s.URL, second}, {second, s.URL}} {
		nb := s.browser()
		nb.url = dir[0]
		resp, _ := nb.get("/connect/qq/login?referer=" + url.QueryEscape("/forum.php"))
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil {
			t.Fatalf("login %d on %s: %d", i, dir[0], resp.StatusCode)
		}
		q := loc.Query()
		code, err := s.QQ.Authorize(context.Background(), q.Get("client_id"), q.Get("redirect_uri"), q.Get("state"), "89001")
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := url.Parse(q.Get("redirect_uri") + "?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state")))
		resp, body := nb.get(dir[1] + cb.RequestURI()) // the callback lands on the other instance
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/forum.php" {
			t.Fatalf("login %d started on %s, callback on %s: %d %q %.300s", i, dir[0], dir[1], resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if got := nb.discuzLogin(); got != uid {
			t.Fatalf("login %d: logged in as uid %d, want %d", i, got, uid)
		}
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("janitor: %v", err)
	}
}
