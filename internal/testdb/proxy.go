package testdb

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Proxy is a TCP proxy in front of the test server that a test can take
// down and bring back: "the database restarts" or "is not there yet"
// without stopping the MariaDB every other test uses. Down closes the
// listener and every connection through it; Up listens again on the same
// address.
type Proxy struct {
	t      testing.TB
	addr   string
	target func() (net.Conn, error)

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// NewProxy returns a proxy to the server of ServerDSN on a free loopback
// port, down until Up.
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	cfg, err := mysql.ParseDSN(ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, addr: ln.Addr().String(), conns: map[net.Conn]bool{},
		target: func() (net.Conn, error) { return net.Dial(cfg.Net, cfg.Addr) }}
	ln.Close()
	t.Cleanup(p.Down)
	return p
}

// Addr is host:port for a DSN's tcp(…).
func (p *Proxy) Addr() string { return p.addr }

// Up starts accepting (again).
func (p *Proxy) Up() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("testdb proxy: listen again on %s: %v", p.addr, err)
	}
	p.ln = ln
	go p.accept(ln)
}

// Down refuses new connections and cuts every open one.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *Proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := p.target()
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.ln != ln { // went down meanwhile
			p.mu.Unlock()
			c.Close()
			up.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go pipe(c, up)
		go pipe(up, c)
	}
}

func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}
