package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"qqconnect/internal/config"
	"qqconnect/internal/testdb"
	"qqconnect/internal/testlog"
	"qqconnect/plugin/sandbox"
)

// TestTwoServesBehindNginx (issue 11, reliability): two qqconnect serve
// instances behind one nginx upstream (round robin), nginx running the
// shipped deploy/nginx/qqconnect.conf: a QQ login started on one instance
// completes on the other, a visitor's wrong passwords count once across
// both (the 11th is 429 whichever instance answers), and both janitors run
// at start without an error.
func TestTwoServesBehindNginx(t *testing.T) {
	nginx := "/usr/sbin/nginx"
	if _, err := os.Stat(nginx); err != nil {
		testdb.Unavailable(t, "nginx: %v", err)
	}
	db := testdb.New(t, testdb.X35)
	appkey := randHex(t, 16)
	db.InstallQQConnect(t, testAppID, appkey)
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	front := listen() // only to reserve nginx's port
	frontAddr := front.Addr().String()
	front.Close()
	public := "http://" + frontAddr

	sb := sandbox.New(sandbox.Options{
		Apps: func(context.Context) ([]sandbox.App, error) {
			return []sandbox.App{{AppID: testAppID, AppKey: appkey, RedirectURIs: []string{public + "/connect/qq/callback"}}}, nil
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	qq := httptest.NewServer(sb)
	t.Cleanup(qq.Close)

	ctx, cancel := context.WithCancel(context.Background())
	authkey := randHex(t, 16)
	var addrs []string
	logs := []*testlog.Buffer{{}, {}}
	done := make(chan int, 2)
	for i := range 2 {
		ln := listen()
		addrs = append(addrs, ln.Addr().String())
		vars := map[string]string{"QQCONNECT_DB_DRIVER": "mysql", "QQCONNECT_DB_DSN": db.DSN, "QQCONNECT_AUTHKEY": authkey,
			"QQCONNECT_PUBLIC_URL": public, "QQCONNECT_ADDR": ln.Addr().String(), "QQCONNECT_QQ_API_BASE": qq.URL, "QQCONNECT_COOKIE_PRE": "OqGo_"}
		cfg, _, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			done <- serveOnListeners(ctx, cfg, slog.New(slog.NewTextHandler(logs[i], nil)), io.Discard, ln, nil)
		}()
	}
	t.Cleanup(func() {
		cancel()
		for range 2 {
			<-done
		}
	})

	// nginx: the shipped snippet, its qqconnect address an upstream of both.
	dir := t.TempDir()
	snippet, err := os.ReadFile("../../deploy/nginx/qqconnect.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(string(snippet), "proxy_pass http://127.0.0.1:8080;", "proxy_pass http://qqconnect; add_header X-Upstream $upstream_addr always;")
	os.WriteFile(filepath.Join(dir, "qqconnect.conf"), []byte(conf), 0o644)
	params, _ := os.ReadFile("/etc/nginx/fastcgi_params")
	os.WriteFile(filepath.Join(dir, "fastcgi_params"), params, 0o644)
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
    upstream qqconnect { server %[2]s; server %[3]s; }
    server {
        listen %[4]s;
        root %[1]s;
        include %[1]s/qqconnect.conf;
    }
}
`, dir, addrs[0], addrs[1], frontAddr)
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644)
	ngx := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
	out, _ := os.Create(filepath.Join(dir, "nginx.out"))
	ngx.Stdout, ngx.Stderr = out, out
	ngx.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := ngx.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-ngx.Process.Pid, syscall.SIGKILL); ngx.Wait(); out.Close() })

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, u string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, u, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// Both instances and nginx up.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ready := 0
		for _, a := range addrs {
			if r, err := http.Get("http://" + a + "/readyz"); err == nil {
				if r.StatusCode == http.StatusOK {
					ready++
				}
				r.Body.Close()
			}
		}
		if r, err := http.Get(public + "/connect/qq/static/app.css"); err == nil {
			r.Body.Close()
			if ready == 2 && r.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("not up: %d instances ready\n%s", ready, log)
		}
	}

	if _, err := sb.AddIdentity("88001", "企鹅"); err != nil {
		t.Fatal(err)
	}
	crossed := 0
	for i := 0; i < 4; i++ {
		resp, _ := do(http.MethodGet, public+"/connect/qq/login?referer=%2Fforum.php", nil)
		started := resp.Header.Get("X-Upstream")
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil {
			t.Fatalf("login via nginx: %d", resp.StatusCode)
		}
		q := loc.Query()
		code, err := sb.Authorize(context.Background(), q.Get("client_id"), q.Get("redirect_uri"), q.Get("state"), "88001")
		if err != nil {
			t.Fatal(err)
		}
		resp, body := do(http.MethodGet, q.Get("redirect_uri")+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), nil)
		finished := resp.Header.Get("X-Upstream")
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/connect/qq/bind" {
			t.Fatalf("callback via nginx (started on %s, finished on %s): %d %q %.200s", started, finished, resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if started != finished && started != "" && finished != "" {
			crossed++
		}
	}
	if crossed == 0 {
		t.Fatal("no login started on one instance and finished on the other")
	}

	// Wrong passwords through nginx, alternating instances: one budget of 10.
	_, page := do(http.MethodGet, public+"/connect/qq/bind", nil)
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no bind form: %.300s", page)
	}
	seen := map[string]bool{}
	var codes []int
	for i := range 11 {
		resp, _ := do(http.MethodPost, public+"/connect/qq/bind", url.Values{"username": {fmt.Sprint("nobody", i)}, "password": {"wrong"}, "_csrf": {m[1]}})
		seen[resp.Header.Get("X-Upstream")] = true
		codes = append(codes, resp.StatusCode)
	}
	if len(seen) != 2 || codes[9] != http.StatusUnprocessableEntity || codes[10] != http.StatusTooManyRequests {
		t.Fatalf("wrong passwords over %d instances: %v, want ten 422 and a 429", len(seen), codes)
	}
	for i, l := range logs {
		if s := l.String(); strings.Contains(s, "level=ERROR") {
			t.Errorf("instance %d logged an error:\n%s", i, s)
		}
	}
}
