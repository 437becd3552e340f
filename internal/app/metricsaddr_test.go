package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsOnMainRouter: without QQCONNECT_METRICS_ADDR /metrics stays on
// the main listener (backward compatible); with it, the main router no
// longer answers /metrics.
func TestMetricsOnMainRouter(t *testing.T) {
	cases := []struct {
		name   string
		env    map[string]string
		status int
	}{
		{"no METRICS_ADDR: on the main listener", nil, http.StatusOK},
		{"METRICS_ADDR set: not on the main listener", map[string]string{"QQCONNECT_METRICS_ADDR": "127.0.0.1:9100"}, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(newRouter(standaloneApp(t, tc.env)))
			t.Cleanup(srv.Close)
			status, body := getBody(t, srv.URL+"/metrics")
			if status != tc.status {
				t.Fatalf("/metrics: %d, want %d", status, tc.status)
			}
			if status == http.StatusNotFound && strings.Contains(body, "go_goroutines") {
				t.Fatal("404 page carries the metrics")
			}
			if status, _ := getBody(t, srv.URL+"/healthz"); status != http.StatusOK {
				t.Fatalf("/healthz: %d", status)
			}
		})
	}
}

// TestMetricsListener: with QQCONNECT_METRICS_ADDR the serve path runs a
// second listener that serves /metrics (and nothing else), and both servers
// shut down together when the context ends.
func TestMetricsListener(t *testing.T) {
	app := standaloneApp(t, map[string]string{"QQCONNECT_METRICS_ADDR": "127.0.0.1:0"})
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	ln, mln := listen(), listen()
	mainURL, metricsURL := "http://"+ln.Addr().String(), "http://"+mln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- serveOnListeners(ctx, app.Cfg, QuietLogger(io.Discard), io.Discard, ln, mln) }()
	// The listeners answer at once; the app once its database is open.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, _ := getBody(t, mainURL+"/readyz"); status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after 10 s")
		}
	}

	for _, c := range []struct {
		url    string
		status int
		has    string
	}{
		{metricsURL + "/metrics", http.StatusOK, "go_goroutines"},
		{metricsURL + "/healthz", http.StatusNotFound, ""},
		{metricsURL + "/admin/login", http.StatusNotFound, ""},
		{mainURL + "/metrics", http.StatusNotFound, ""},
		{mainURL + "/healthz", http.StatusOK, "ok"},
	} {
		status, body := getBody(t, c.url)
		if status != c.status || !strings.Contains(body, c.has) {
			t.Errorf("GET %s: %d, want %d with %q", c.url, status, c.status, c.has)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve returned %d after a clean shutdown", code)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not return after the context ended")
	}
	for _, addr := range []string{ln.Addr().String(), mln.Addr().String()} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after shutdown", addr)
		}
	}
}
