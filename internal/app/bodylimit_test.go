package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qqconnect/internal/config"
	"qqconnect/internal/testdb"
)

// filler streams prefix and then n bytes of 'a' without allocating them.
type filler struct {
	prefix string
	n      int64
}

func (f *filler) Read(p []byte) (int, error) {
	k := copy(p, f.prefix)
	f.prefix = f.prefix[k:]
	for ; k < len(p) && f.n > 0; k++ {
		p[k] = 'a'
		f.n--
	}
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

// countingListener counts every byte the server reads from its clients.
type countingListener struct {
	net.Listener
	read *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.read}, nil
}

type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// spoolWatch samples dir while a request runs: the most files it ever held
// and their largest total size (net/http deletes multipart temp files after
// the handler, so only sampling during the request sees them).
type spoolWatch struct {
	stop      chan struct{}
	done      chan struct{}
	mu        sync.Mutex
	maxFiles  int
	maxBytes  int64
	firstName string
}

func watchDir(dir string) *spoolWatch {
	w := &spoolWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			entries, _ := os.ReadDir(dir)
			var size int64
			for _, e := range entries {
				if fi, err := e.Info(); err == nil {
					size += fi.Size()
				}
			}
			w.mu.Lock()
			if len(entries) > w.maxFiles {
				w.maxFiles, w.firstName = len(entries), entries[0].Name()
			}
			w.maxBytes = max(w.maxBytes, size)
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *spoolWatch) finish() (files int, bytes int64, name string) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.maxFiles, w.maxBytes, w.firstName
}

// rawPost sends a request by hand, so the body streams from body while the
// response is read: a server that answers early is seen answering early.
// length < 0 sends the body chunked. It returns the status code.
func rawPost(t *testing.T, addr, path, ctype string, length int64, body io.Reader) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n", path, addr, ctype)
	if length >= 0 {
		head += fmt.Sprintf("Content-Length: %d\r\n", length)
	} else {
		head += "Transfer-Encoding: chunked\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		// A write error is expected once the server closes the connection.
		if length < 0 {
			cw := httputil.NewChunkedWriter(conn)
			if _, err := io.Copy(cw, body); err == nil {
				_ = cw.Close()
				_, _ = io.WriteString(conn, "\r\n")
			}
			return
		}
		_, _ = io.Copy(conn, body)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: no response: %v", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	conn.Close() // stops the writer
	<-wrote
	return resp.StatusCode
}

// TestBodyLimits: oversized and multipart bodies are refused before the
// forms are parsed: quickly, having read at most a little of them, and
// without spooling anything to os.TempDir.
func TestBodyLimits(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil)
	var read atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(newRouter(s.App))
	srv.Listener.Close()
	srv.Listener = countingListener{ln, &read}
	srv.Start()
	t.Cleanup(srv.Close)
	addr := ln.Addr().String()

	// Multipart parts beyond memory would be spooled here (os.TempDir).
	spool := t.TempDir()
	t.Setenv("TMPDIR", spool)

	const boundary = "qqconnectBoundary"
	multipart := func(n int64) *filler {
		return &filler{prefix: "--" + boundary + "\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nadmin\r\n--" +
			boundary + "\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"big.bin\"\r\n" +
			"Content-Type: application/octet-stream\r\n\r\n", n: n}
	}
	const urlencoded = "application/x-www-form-urlencoded"
	mpType := "multipart/form-data; boundary=" + boundary
	cases := []struct {
		name, path, ctype string
		body              *filler
		chunked           bool
		status            int
	}{
		{"10 MiB form to bind", "/connect/qq/bind", urlencoded,
			&filler{prefix: "username=alice&password=", n: 10 << 20}, false, http.StatusRequestEntityTooLarge},
		{"10 MiB form to bind, chunked", "/connect/qq/bind", urlencoded,
			&filler{prefix: "username=alice&password=", n: 10 << 20}, true, http.StatusRequestEntityTooLarge},
		{"800 MiB multipart to admin login, chunked", "/admin/login", mpType,
			multipart(800 << 20), true, http.StatusUnsupportedMediaType},
		{"800 MiB multipart to admin login", "/admin/login", mpType,
			multipart(800 << 20), false, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			length := int64(len(tc.body.prefix)) + tc.body.n
			if tc.chunked {
				length = -1
			}
			read.Store(0)
			watch := watchDir(spool)
			start := time.Now()
			status := rawPost(t, addr, tc.path, tc.ctype, length, tc.body)
			took := time.Since(start)
			files, bytes, name := watch.finish()
			t.Logf("status %d after %v; the server read %d bytes", status, took.Round(time.Millisecond), read.Load())
			if status != tc.status {
				t.Errorf("status %d, want %d", status, tc.status)
			}
			if took > 3*time.Second {
				t.Errorf("took %v to refuse", took)
			}
			// At most the 16 KiB cap, plus what net/http itself discards of a
			// chunked body after the handler (up to 256 KiB, then it closes
			// the connection); with a Content-Length nothing beyond a buffer.
			if n := read.Load(); n > 320<<10 {
				t.Errorf("server read %d bytes (%.1f MiB) of the request", n, float64(n)/(1<<20))
			}
			if files > 0 {
				t.Errorf("%d files (%d bytes, e.g. %s) were spooled to os.TempDir during the request", files, bytes, name)
			}
			if left, _ := os.ReadDir(spool); len(left) > 0 {
				t.Errorf("%d files left in os.TempDir", len(left))
			}
		})
	}
}

// TestSandboxTokenPOST: the sandbox behind the router still takes the
// urlencoded POSTs of the OAuth token endpoints (the body reaches it).
func TestSandboxTokenPOST(t *testing.T) {
	app := standaloneApp(t, nil)
	srv := httptest.NewServer(newRouter(app))
	t.Cleanup(srv.Close)
	form := "grant_type=authorization_code&client_id=" + SandboxAppID + "&fmt=json"
	resp, err := http.Post(srv.URL+"/sandbox/qq/oauth2.0/token", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// 100002 (client_secret missing) proves grant_type and client_id were
	// read from the body; without it the sandbox answers 100004.
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"error":100002`) {
		t.Fatalf("sandbox token POST: %d %s", resp.StatusCode, body)
	}
}

// standaloneApp is the `go run .` product (SQLite demo forum, sandbox on)
// in a temporary directory; no MariaDB needed.
func standaloneApp(t *testing.T, env map[string]string) *App {
	t.Helper()
	vars := map[string]string{"QQCONNECT_DB_DSN": t.TempDir() + "/qqconnect.db"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, _, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	app, err := Open(context.Background(), cfg, QuietLogger(io.Discard), true)
	if err != nil {
		t.Fatalf("openApp: %v", err)
	}
	t.Cleanup(app.Close)
	return app
}
