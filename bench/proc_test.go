package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"qqconnect/internal/testlog"
	"strconv"
	"strings"
	"testing"
	"time"
)

// buildBinary builds qqconnect once per run.
func buildBinary(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "qqconnect")
	cmd := exec.Command("go", "build", "-o", bin, "qqconnect")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	must(t, err, "go build: %s", out)
	return bin
}

// serve is one running `qqconnect serve`.
type serve struct {
	url string
	pid int
	cmd *exec.Cmd
	log *testlog.Buffer
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err, "listen")
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServe runs the binary against the forum, its QQ API at qqBase.
func startServe(t *testing.T, bin string, f *forum, addr, qqBase string) *serve {
	env := append(os.Environ(),
		"QQCONNECT_DB_DRIVER=mysql", "QQCONNECT_DB_DSN="+f.dsn, "QQCONNECT_AUTHKEY="+f.authkey,
		"QQCONNECT_ADDR="+addr, "QQCONNECT_PUBLIC_URL=http://"+addr, "QQCONNECT_QQ_API_BASE="+qqBase,
		"QQCONNECT_QZONE_API_BASE="+qqBase, "QQCONNECT_COOKIE_PRE="+f.cookiePr)
	s := &serve{url: "http://" + addr, log: &testlog.Buffer{Max: 1 << 20}}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = env, s.log, s.log
	must(t, s.cmd.Start(), "start serve")
	s.pid = s.cmd.Process.Pid
	t.Cleanup(func() {
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("serve log:\n%.4000s", s.log.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready after 30 s: %v\n%s", err, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpuSeconds is the user+system CPU time of a process so far.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

// peakRSS is VmHWM of a process, in MiB.
func peakRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// mariadbPID is the server's pid when it runs on this machine (0 if not).
func mariadbPID(f *forum) int {
	var file string
	if err := f.db.SQL.QueryRow("SELECT @@pid_file").Scan(&file); err != nil {
		return 0
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if _, err := cpuSeconds(pid); err != nil {
		return 0
	}
	return pid
}

// runCmd runs the binary with env and returns its wall time and output.
func runCmd(ctx context.Context, bin string, env []string, args ...string) (time.Duration, string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	return time.Since(start), string(out), err
}
