// Package memcachetest gives tests the local memcached (127.0.0.1:11211,
// started by .ci/run) and writes items the way Discuz's PHP drivers do, so a
// test can prove which keys qqconnect's invalidation removes. Like the
// MariaDB and Redis tests: it FAILS when CI=true and memcached is missing,
// and skips elsewhere.
package memcachetest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Addr is the memcached the tests use (loopback only).
const Addr = "127.0.0.1:11211"

// Flags PHP stores with an item; memcached keeps them opaque, they only show
// which driver wrote the item.
const (
	FlagsMemcacheSerialized           = 1     // PHP memcache: MEMCACHE_SERIALIZED (X3.5 driver, flag 0 + an array)
	FlagsMemcacheSerializedCompressed = 1 | 2 // PHP memcache with MEMCACHE_COMPRESSED (X3.4 driver)
	FlagsMemcachedSerialized          = 4     // PHP memcached: MEMC_VAL_IS_SERIALIZED
)

// Server is a connection to the local memcached for one test.
type Server struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// Local connects to the local memcached or fails/skips the test.
func Local(t testing.TB) *Server {
	t.Helper()
	conn, err := net.DialTimeout("tcp", Addr, 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("memcached required in CI at %s (.ci/run starts it): %v", Addr, err)
		}
		t.Skipf("memcached not available at %s: %v", Addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &Server{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// Prefix returns a random Discuz memory prefix, so parallel tests and runs
// never share keys.
func Prefix(t testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "qqct" + hex.EncodeToString(b) + "_"
}

func (s *Server) cmd(ctx context.Context, req string) []string {
	s.t.Helper()
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(3 * time.Second)
	}
	s.conn.SetDeadline(dl)
	if _, err := s.conn.Write([]byte(req)); err != nil {
		s.t.Fatalf("memcached: %v", err)
	}
	var lines []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("memcached: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		lines = append(lines, line)
		switch {
		case line == "STORED", line == "END", line == "DELETED", line == "NOT_FOUND",
			strings.HasPrefix(line, "ERROR"), strings.HasPrefix(line, "CLIENT_ERROR"), strings.HasPrefix(line, "SERVER_ERROR"):
			return lines
		}
	}
}

// Set stores value under key with PHP's flags and no expiry, as
// Memcache::set / Memcached::set do.
func (s *Server) Set(key string, flags int, value string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	got := s.cmd(ctx, fmt.Sprintf("set %s %d 0 %d\r\n%s\r\n", key, flags, len(value), value))
	if got[len(got)-1] != "STORED" {
		s.t.Fatalf("memcached set %s: %q", key, got)
	}
}

// Exists reports whether key is stored.
func (s *Server) Exists(key string) bool {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	got := s.cmd(ctx, "get "+key+"\r\n")
	return len(got) > 1 && strings.HasPrefix(got[0], "VALUE ")
}

// Delete removes keys (test cleanup).
func (s *Server) Delete(keys ...string) {
	for _, k := range keys {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		s.cmd(ctx, "delete "+k+"\r\n")
		cancel()
	}
}

// HostPort splits Addr for code that takes Discuz's server and port.
func HostPort(t testing.TB) (string, int) {
	h, p, err := net.SplitHostPort(Addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}
