package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"qqconnect/internal/testlog"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// account is a demo forum account printed by the first standalone start.
type account struct{ Username, Password string }

// server is one running qqconnect binary in standalone mode.
type server struct {
	URL     string // http://127.0.0.1:port, no trailing slash
	Admin   account
	Members map[string]account // by username: alice, bob
	stdout  *testlog.Buffer
	stderr  *testlog.Buffer
}

// suiteStart is when the test binary started: every test of the package,
// builds included, must end well within two minutes of it.
var suiteStart = time.Now()

// suiteDeadline bounds one test: 110s after suiteStart, or 5s before the
// go test -timeout deadline when that comes first.
func suiteDeadline(t *testing.T) time.Time {
	deadline := suiteStart.Add(110 * time.Second)
	if d, ok := t.Deadline(); ok && d.Add(-5*time.Second).Before(deadline) {
		deadline = d.Add(-5 * time.Second)
	}
	return deadline
}

// buildBinary builds the qqconnect command into dir and returns its path.
func buildBinary(ctx context.Context, t *testing.T, dir string) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "qqconnect")
	bctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(bctx, "go", "build", "-o", bin, "qqconnect")
	cmd.Dir = root
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build qqconnect: %v\n%s", err, out)
	}
	t.Logf("built %s in %s", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// freePort asks the kernel for a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// cleanEnv is the test's environment without any QQCONNECT_ setting, so a
// developer's own configuration cannot leak into the product under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QQCONNECT_") {
			env = append(env, kv)
		}
	}
	return env
}

var (
	adminLine  = regexp.MustCompile(`(?m)^\s*administrator:\s+(\S+)\s+password:\s+(\S+)`)
	memberLine = regexp.MustCompile(`(?m)^\s*member:\s+(\S+)\s+password:\s+(\S+)`)
)

// startServer builds and starts the product in standalone mode in a fresh
// temporary directory and stops it with SIGTERM when the test ends, checking
// that it shuts down gracefully (exit status 0).
func startServer(ctx context.Context, t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	bin := buildBinary(ctx, t, dir)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := &server{URL: "http://" + addr, Members: map[string]account{}, stdout: &testlog.Buffer{}, stderr: &testlog.Buffer{}}

	// Not CommandContext: the context's end must not SIGKILL the server
	// before the cleanup below has asked it to stop gracefully.
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(),
		"QQCONNECT_ADDR="+addr,
		"QQCONNECT_DB_DSN="+filepath.Join(dir, "qq.db"),
	)
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start qqconnect: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	t.Cleanup(func() {
		select {
		case err := <-exited:
			t.Errorf("qqconnect exited before the end of the test: %v\nstderr:\n%s", err, s.stderr.String())
			return
		default:
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM qqconnect: %v", err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("qqconnect did not shut down gracefully after SIGTERM: %v\nstderr:\n%s", err, s.stderr.String())
			} else if !strings.Contains(s.stderr.String(), "qqconnect stopped") {
				t.Errorf("qqconnect exited 0 without logging its graceful stop\nstderr:\n%s", s.stderr.String())
			}
		case <-time.After(25 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("qqconnect still running 25s after SIGTERM; killed\nstderr:\n%s", s.stderr.String())
		}
		if t.Failed() {
			t.Logf("qqconnect stderr:\n%s", s.stderr.String())
		}
	})

	if err := s.waitReady(ctx, exited); err != nil {
		t.Fatalf("qqconnect did not become ready: %v\nstdout:\n%s\nstderr:\n%s", err, s.stdout.String(), s.stderr.String())
	}
	t.Logf("qqconnect standalone at %s (admin %s, members %d)", s.URL, s.Admin.Username, len(s.Members))
	return s
}

// waitReady polls /healthz and the printed demo accounts for up to 30s.
func (s *server) waitReady(ctx context.Context, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	healthy := false
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("process exited: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("healthz ok=%v, demo accounts parsed=%v: %w", healthy, s.parseDemo() == nil, ctx.Err())
		case <-tick.C:
		}
		if !healthy {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/healthz", nil)
			if resp, err := client.Do(req); err == nil {
				healthy = resp.StatusCode == http.StatusOK
				resp.Body.Close()
			}
		}
		if healthy && s.parseDemo() == nil {
			return nil
		}
	}
}

// parseDemo reads the accounts internal/app's PrintDemo writes at the first start.
func (s *server) parseDemo() error {
	out := s.stdout.String()
	m := adminLine.FindStringSubmatch(out)
	if m == nil {
		return errors.New("no administrator line")
	}
	members := memberLine.FindAllStringSubmatch(out, -1)
	if len(members) < 2 {
		return errors.New("fewer than two member lines")
	}
	s.Admin = account{m[1], m[2]}
	for _, mm := range members {
		s.Members[mm[1]] = account{mm[1], mm[2]}
	}
	return nil
}

func (s *server) member(t *testing.T, name string) account {
	t.Helper()
	a, ok := s.Members[name]
	if !ok {
		t.Fatalf("demo member %q was not printed at start-up; stdout:\n%s", name, s.stdout.String())
	}
	return a
}
