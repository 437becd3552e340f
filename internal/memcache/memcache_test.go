package memcache_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"qqconnect/internal/memcache"
	"qqconnect/internal/memcache/memcachetest"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		server string
		port   int
		want   string
	}{
		{"127.0.0.1", 11211, "127.0.0.1:11211"},
		{"10.0.0.5", 0, "10.0.0.5:11211"},
		{"::1", 11212, "[::1]:11212"},
		{"unix:///run/memcached.sock", 0, "unix:/run/memcached.sock"}, // PHP memcache's form
		{"/run/memcached.sock", 0, "unix:/run/memcached.sock"},        // PHP memcached's form
	} {
		if got := memcache.New(tc.server, tc.port).Addr(); got != tc.want {
			t.Errorf("New(%q, %d).Addr() = %q, want %q", tc.server, tc.port, got, tc.want)
		}
	}
}

func TestDeleteAgainstMemcached(t *testing.T) {
	srv := memcachetest.Local(t)
	ctx := context.Background()
	host, port := memcachetest.HostPort(t)
	c := memcache.New(host, port)
	p := memcachetest.Prefix(t)
	keys := []string{p + "a", p + "b", p + "keep"}
	t.Cleanup(func() { srv.Delete(keys...) })
	for _, k := range keys {
		srv.Set(k, memcachetest.FlagsMemcachedSerialized, `a:1:{i:0;s:1:"x";}`)
	}

	for _, tc := range []struct {
		name    string
		keys    []string
		deleted int
		err     error
	}{
		{"two present", []string{p + "a", p + "b"}, 2, nil},
		{"already gone is fine", []string{p + "a", p + "missing"}, 0, nil},
		{"none", nil, 0, nil},
		{"space in key refused before sending", []string{p + "a b"}, 0, memcache.ErrBadKey},
		{"too long refused", []string{strings.Repeat("k", 251)}, 0, memcache.ErrBadKey},
		{"control character refused", []string{p + "x\r\nflush_all"}, 0, memcache.ErrBadKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := c.Delete(ctx, tc.keys...)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) || n != tc.deleted {
				t.Fatalf("Delete = %d, %v; want %d, %v", n, err, tc.deleted, tc.err)
			}
		})
	}
	if !srv.Exists(p + "keep") {
		t.Fatal("a key that was not asked for is gone")
	}
	if v, err := c.Version(ctx); err != nil || v == "" {
		t.Fatalf("Version = %q, %v", v, err)
	}
}

func TestDeadlines(t *testing.T) {
	// A server that accepts and never answers: the call must end at the
	// context's deadline, not hang.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	silent := memcache.New(host, p)
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err := silent.Delete(ctx, "k")
			if !errors.Is(err, tc.want) || time.Since(start) > 2*time.Second {
				t.Fatalf("silent server: %v after %s", err, time.Since(start))
			}
		})
	}
	// Nothing listens on port 1 of loopback: refused at once.
	if _, err := memcache.New("127.0.0.1", 1).Delete(context.Background(), "k"); err == nil {
		t.Fatal("no error from a closed port")
	}
}
