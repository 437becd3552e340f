// Package memcache is the smallest memcached client qqconnect needs: it
// deletes keys of Discuz's memory cache. PHP's memcache and memcached
// extensions (Discuz's memory_driver_memcache / _memcached) both keep items
// in a memcached server under the exact key Discuz passes them (no prefix
// option, no hashing with one server), so one text-protocol "delete <key>"
// reaches what either wrote. It dials per call: qqconnect deletes a handful
// of keys after a bind or a repair, not thousands per second.
package memcache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one call when the context has no earlier deadline.
const DefaultTimeout = 3 * time.Second

// Client talks to one memcached server.
type Client struct {
	network, addr string
	timeout       time.Duration
}

// New returns a client of Discuz's $_config['memory']['memcache'|'memcached']
// server and port. A server "unix:///path" (PHP memcache) or "/path" (PHP
// memcached) is a Unix socket; port 0 means memcached's default 11211.
func New(server string, port int) *Client {
	switch {
	case strings.HasPrefix(server, "unix://"):
		return &Client{network: "unix", addr: strings.TrimPrefix(server, "unix://"), timeout: DefaultTimeout}
	case strings.HasPrefix(server, "/"):
		return &Client{network: "unix", addr: server, timeout: DefaultTimeout}
	}
	if port == 0 {
		port = 11211
	}
	return &Client{network: "tcp", addr: net.JoinHostPort(server, strconv.Itoa(port)), timeout: DefaultTimeout}
}

// Addr names the server (host:port, or unix:/path).
func (c *Client) Addr() string {
	if c.network == "unix" {
		return "unix:" + c.addr
	}
	return c.addr
}

// ErrBadKey is returned for a key memcached would refuse.
var ErrBadKey = errors.New("not a memcached key")

// validKey applies memcached's text-protocol rules: 1-250 bytes, no
// whitespace or control characters. Discuz's keys (prefix + name) comply.
func validKey(k string) bool {
	if k == "" || len(k) > 250 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if b := k[i]; b <= ' ' || b == 0x7f {
			return false
		}
	}
	return true
}

// Delete removes keys; a key that is not there is fine. It returns how many
// were actually deleted.
func (c *Client) Delete(ctx context.Context, keys ...string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	var req strings.Builder
	for _, k := range keys {
		if !validKey(k) {
			return 0, fmt.Errorf("memcached %s: delete %q: %w", c.Addr(), k, ErrBadKey)
		}
		req.WriteString("delete " + k + "\r\n")
	}
	deleted := 0
	err := c.roundTrip(ctx, req.String(), func(r *bufio.Reader) error {
		for _, k := range keys {
			line, err := readLine(r)
			if err != nil {
				return fmt.Errorf("delete %s: %w", k, err)
			}
			switch line {
			case "DELETED":
				deleted++
			case "NOT_FOUND":
			default:
				return fmt.Errorf("delete %s: server said %q", k, line)
			}
		}
		return nil
	})
	return deleted, err
}

// Version asks the server for its version: a cheap reachability probe.
func (c *Client) Version(ctx context.Context) (string, error) {
	var v string
	err := c.roundTrip(ctx, "version\r\n", func(r *bufio.Reader) error {
		line, err := readLine(r)
		if err != nil {
			return fmt.Errorf("version: %w", err)
		}
		var ok bool
		if v, ok = strings.CutPrefix(line, "VERSION "); !ok {
			return fmt.Errorf("version: server said %q", line)
		}
		return nil
	})
	return v, err
}

// roundTrip dials, writes req and lets read parse the answers, all under
// the earlier of ctx's deadline and the client's timeout; cancelling ctx
// closes the connection at once.
func (c *Client) roundTrip(ctx context.Context, req string, read func(*bufio.Reader) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, c.network, c.addr)
	if err != nil {
		return fmt.Errorf("memcached %s: %w", c.Addr(), err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return fmt.Errorf("memcached %s: %w", c.Addr(), err)
		}
	}
	if _, err := conn.Write([]byte(req)); err != nil {
		return fmt.Errorf("memcached %s: %w", c.Addr(), ctxErr(ctx, err))
	}
	if err := read(bufio.NewReader(conn)); err != nil {
		return fmt.Errorf("memcached %s: %w", c.Addr(), ctxErr(ctx, err))
	}
	return nil
}

// ctxErr prefers the context's reason over the "use of closed connection"
// that AfterFunc's close produces.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	// The connection's deadline is the context's, and may fire a moment
	// before the context's own timer marks it done.
	var ne net.Error
	if dl, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(dl) {
		return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	return err
}

// readLine reads one "\r\n"-terminated reply line, at most 1 KiB.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", errors.New("reply line too long")
		}
		return "", err
	}
	if len(line) > 1024 {
		return "", errors.New("reply line too long")
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}
