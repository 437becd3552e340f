package nginx_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// need finds a program of a Debian package, or fails under CI (where
// .ci/run installs it) and skips elsewhere.
func need(t *testing.T, pkg string, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if matches, _ := filepath.Glob(c); len(matches) > 0 {
			return matches[len(matches)-1]
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI (.ci/run installs the Debian package %s)", candidates[0], pkg)
	}
	t.Skipf("%s not installed", pkg)
	return ""
}

// daemon starts a server in its own process group, its output in a log
// file (so no worker keeps the test's output open), and stops the whole
// group at cleanup.
func daemon(ctx context.Context, t *testing.T, dir, name, prog string, args ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		logf.Close()
	})
	return cmd
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// standIns are the forum's PHP files: each says it is PHP, which script,
// the method, mod and the POST body, so a request that reached PHP, and
// did not get the file's source, is recognisable.
const standIn = `<?php
echo "PHP ", $_SERVER['SCRIPT_NAME'], " ", $_SERVER['REQUEST_METHOD'], " mod=", isset($_GET['mod']) ? $_GET['mod'] : "", " body=", file_get_contents('php://input');
`

// TestNginxConfig runs the shipped deploy/nginx/qqconnect.conf in a real
// nginx in front of a real php-fpm and a stand-in qqconnect (an HTTP server
// that names itself): connect.php?mod=login and qqconnect's own paths reach
// qqconnect with the client's address and Host; every other connect.php
// request (GET and POST) and every other path reach PHP, never as source.
func TestNginxConfig(t *testing.T) {
	nginx := need(t, "nginx-light", "/usr/sbin/nginx")
	fpm := need(t, "php-fpm", "/usr/sbin/php-fpm*")
	dir := t.TempDir()
	docroot := filepath.Join(dir, "www")
	os.MkdirAll(docroot, 0o755)
	for _, f := range []string{"connect.php", "forum.php", "member.php", "index.php"} {
		if err := os.WriteFile(filepath.Join(docroot, f), []byte(standIn), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(docroot, "static.txt"), []byte("a static file"), 0o644)

	// The stand-in qqconnect.
	qqc := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "QQCONNECT %s %s host=%s xff=%s body=%s", r.Method, r.RequestURI, r.Host, r.Header.Get("X-Forwarded-For"), body)
	}))
	qqc.Start()
	t.Cleanup(qqc.Close)
	qqcAddr := strings.TrimPrefix(qqc.URL, "http://")

	// php-fpm on a socket of its own.
	sock := filepath.Join(dir, "php-fpm.sock")
	fpmConf := filepath.Join(dir, "php-fpm.conf")
	os.WriteFile(fpmConf, []byte(fmt.Sprintf("[global]\npid = %s/php-fpm.pid\nerror_log = %s/php-fpm.log\ndaemonize = no\n"+
		"[www]\nlisten = %s\npm = static\npm.max_children = 2\nclear_env = no\n", dir, dir, sock)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	args := []string{"--nodaemonize", "--fpm-config", fpmConf}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-to-run-as-root")
	}
	daemon(ctx, t, dir, "php-fpm", fpm, args...)

	// nginx with the shipped snippet, its two addresses set for this test.
	snippet, err := os.ReadFile("qqconnect.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(string(snippet), "127.0.0.1:8080", qqcAddr)
	conf = strings.ReplaceAll(conf, "unix:/run/php/php-fpm.sock", "unix:"+sock)
	os.WriteFile(filepath.Join(dir, "qqconnect.conf"), []byte(conf), 0o644)
	params, err := os.ReadFile("/etc/nginx/fastcgi_params")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "fastcgi_params"), params, 0o644)
	listen := freePort(t)
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s;
        server_name bbs.example.com;
        root %[3]s;
        index index.php;
        include %[1]s/qqconnect.conf;
        location ~ \.php$ {
            include fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            fastcgi_pass unix:%[4]s;
        }
    }
}
`, dir, listen, docroot, sock)
	mainConf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(mainConf, []byte(main), 0o644)
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", mainConf).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	daemon(ctx, t, dir, "nginx", nginx, "-p", dir, "-c", mainConf)

	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + listen
	do := func(method, path, body string) (int, string) {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+path, r)
		req.Host = "bbs.example.com:8443"
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Both servers come up in the background.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := do(http.MethodGet, "/forum.php", "")
		if code == http.StatusOK && strings.HasPrefix(body, "PHP ") {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "nginx-error.log"))
			t.Fatalf("nginx + php-fpm not answering: %d %q\n%s", code, body, log)
		}
		time.Sleep(100 * time.Millisecond)
	}

	form := url.Values{"formhash": {"abc"}, "password": {"x"}}.Encode()
	for _, tc := range []struct {
		method, path, body string
		want               string // prefix of the answer
	}{
		{"GET", "/connect.php?mod=login&op=init&referer=forum.php", "", "QQCONNECT GET /connect.php?mod=login&op=init&referer=forum.php host=bbs.example.com:8443 xff=127.0.0.1"},
		{"GET", "/connect.php?mod=login&op=callback&code=C&state=S", "", "QQCONNECT GET /connect.php?mod=login&op=callback&code=C&state=S"},
		{"GET", "/connect.php?mod=config", "", "PHP /connect.php GET mod=config"},
		{"GET", "/connect.php", "", "PHP /connect.php GET mod="},
		{"GET", "/connect.php?mod=loginx", "", "PHP /connect.php GET mod=loginx"},
		{"POST", "/connect.php?mod=config&op=unbind", form, "PHP /connect.php POST mod=config body=" + form},
		{"GET", "/connect/qq/login?referer=/", "", "QQCONNECT GET /connect/qq/login?referer=/ host=bbs.example.com:8443 xff=127.0.0.1"},
		{"GET", "/connect/qq/static/app.css", "", "QQCONNECT GET /connect/qq/static/app.css"},
		{"POST", "/connect/qq/bind", form, "QQCONNECT POST /connect/qq/bind host=bbs.example.com:8443 xff=127.0.0.1 body=" + form},
		{"GET", "/admin/", "", "QQCONNECT GET /admin/"},
		{"POST", "/admin/login", form, "QQCONNECT POST /admin/login"},
		{"GET", "/sandbox/qq/oauth2.0/authorize?client_id=1", "", "QQCONNECT GET /sandbox/qq/oauth2.0/authorize?client_id=1"},
		{"GET", "/forum.php?mod=viewthread&tid=1", "", "PHP /forum.php GET mod=viewthread"},
		{"POST", "/forum.php?mod=post", form, "PHP /forum.php POST mod=post body=" + form},
		{"GET", "/member.php?mod=connect", "", "QQCONNECT GET /member.php?mod=connect host=bbs.example.com:8443 xff=127.0.0.1"},
		{"GET", "/member.php?mod=connect&ac=bind", "", "QQCONNECT GET /member.php?mod=connect&ac=bind"},
		{"GET", "/member.php?mod=logging&action=login", "", "PHP /member.php GET mod=logging"},
		{"POST", "/member.php?mod=register", form, "PHP /member.php POST mod=register body=" + form},
		{"GET", "/member.php?mod=connectx", "", "PHP /member.php GET mod=connectx"},
		{"GET", "/", "", "PHP /index.php GET"},
		{"GET", "/static.txt", "", "a static file"},
	} {
		code, body := do(tc.method, tc.path, tc.body)
		if code != http.StatusOK || !strings.HasPrefix(body, tc.want) || strings.Contains(body, "<?php") {
			t.Errorf("%s %s: %d %q, want 200 %q", tc.method, tc.path, code, body, tc.want)
		}
	}
	// Not qqconnect's: a path that only starts like one of its prefixes.
	if code, body := do("GET", "/connect/qqx", ""); strings.HasPrefix(body, "QQCONNECT") {
		t.Errorf("/connect/qqx reached qqconnect: %d %q", code, body)
	}
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		if _, body := do("GET", p, ""); strings.HasPrefix(body, "QQCONNECT") {
			t.Errorf("%s reached qqconnect: operators' endpoints must not be routed", p)
		}
	}
}
