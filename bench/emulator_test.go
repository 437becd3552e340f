package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qqconnect/plugin/sandbox"
)

// emulator is the sandbox's QQ API behind a fixed latency per answer, with
// a count of the calls to each endpoint. reset swaps in a fresh sandbox
// between levels, so the single-use codes of one level never fill the
// sandbox's bounded code table for the next.
type emulator struct {
	srv         *httptest.Server
	appID, key  string
	redirectURI string
	qqs         []string
	latency     atomic.Int64 // ns
	cur         atomic.Pointer[sandbox.Sandbox]
	calls       sync.Map // path -> *atomic.Int64
}

func newEmulator(t *testing.T, appID, key, redirectURI string, qqs []string) *emulator {
	e := &emulator{appID: appID, key: key, redirectURI: redirectURI, qqs: qqs}
	e.reset(t)
	e.srv = httptest.NewServer(e)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *emulator) reset(t *testing.T) {
	sb := sandbox.New(sandbox.Options{
		Apps: func(context.Context) ([]sandbox.App, error) {
			return []sandbox.App{{AppID: e.appID, AppKey: e.key, RedirectURIs: []string{e.redirectURI}}}, nil
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	for _, qq := range e.qqs {
		if _, err := sb.AddIdentity(qq, "企鹅🐧"+qq); err != nil {
			t.Fatal(err)
		}
	}
	e.cur.Store(sb)
}

var apiPaths = []string{"/oauth2.0/token", "/oauth2.0/me", "/user/get_user_info"}

func (e *emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v, _ := e.calls.LoadOrStore(r.URL.Path, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	if d := time.Duration(e.latency.Load()); d > 0 {
		time.Sleep(d)
	}
	e.cur.Load().ServeHTTP(w, r)
}

// apiCalls is the number of token, me and get_user_info calls so far.
func (e *emulator) apiCalls() int64 {
	var n int64
	for _, p := range apiPaths {
		if v, ok := e.calls.Load(p); ok {
			n += v.(*atomic.Int64).Load()
		}
	}
	return n
}

// code has the sandbox authorize qq for state, as its login page would.
func (e *emulator) code(state, qq string) (string, error) {
	return e.cur.Load().Authorize(context.Background(), e.appID, e.redirectURI, state, qq)
}

// blackHole accepts connections and never answers; closed at cleanup.
func blackHole(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go io.Copy(io.Discard, c) // read, so a client's writes never block
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func must(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
