// Package testsmtp is a minimal SMTP server on loopback for tests: it
// greets, answers EHLO/HELO, takes AUTH LOGIN against one account, and
// records every MAIL FROM / RCPT TO / DATA it accepts.
package testsmtp

import (
	"bufio"
	"encoding/base64"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Message is one accepted mail.
type Message struct {
	Helo, User, Pass string // the EHLO/HELO argument and the AUTH LOGIN credentials given
	From             string
	Rcpt             []string
	Data             []byte // between DATA and the final ".", dot-unstuffed, CRLF kept
}

// Server records what clients send. User/Pass: the one account AUTH LOGIN accepts.
type Server struct {
	Host       string
	Port       int
	User, Pass string
	ln         net.Listener
	mu         sync.Mutex
	msgs       []Message
	authFails  int
	wg         sync.WaitGroup
}

// Start listens on 127.0.0.1 until the test ends.
func Start(t testing.TB, user, pass string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, User: user, Pass: pass, ln: ln}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// DeadPort is a loopback port with nothing listening (an SMTP server that is down).
func DeadPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// Messages returns the mails accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// AuthFailures counts refused AUTH LOGIN attempts.
func (s *Server) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFails
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.session(c) }()
	}
}

func (s *Server) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(lines ...string) {
		for _, l := range lines {
			if _, err := c.Write([]byte(l + "\r\n")); err != nil {
				return
			}
		}
	}
	read := func() (string, bool) {
		l, err := r.ReadString('\n')
		return strings.TrimRight(l, "\r\n"), err == nil
	}
	b64 := func(l string) string { d, _ := base64.StdEncoding.DecodeString(l); return string(d) }
	var m Message
	say("220 testsmtp ESMTP")
	for {
		line, ok := read()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			m.Helo = arg
			say("250-testsmtp", "250 AUTH LOGIN")
		case "HELO":
			m.Helo = arg
			say("250 testsmtp")
		case "AUTH":
			if !strings.EqualFold(arg, "LOGIN") {
				say("504 unsupported")
				continue
			}
			say("334 VXNlcm5hbWU6")
			u, _ := read()
			say("334 UGFzc3dvcmQ6")
			p, _ := read()
			m.User, m.Pass = b64(u), b64(p)
			if m.User != s.User || m.Pass != s.Pass {
				s.mu.Lock()
				s.authFails++
				s.mu.Unlock()
				say("535 5.7.8 authentication failed")
				continue
			}
			say("235 2.7.0 accepted")
		case "MAIL":
			m.From = strings.Trim(strings.TrimPrefix(strings.Fields(arg + " ")[0], "FROM:"), "<>")
			say("250 ok")
		case "RCPT":
			m.Rcpt = append(m.Rcpt, strings.Trim(strings.TrimPrefix(arg, "TO:"), "<> "))
			say("250 ok")
		case "DATA":
			say("354 go ahead")
			var data []byte
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data = append(data, strings.TrimPrefix(l, ".")...)
			}
			m.Data = data
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			m = Message{Helo: m.Helo}
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		case "RSET", "NOOP":
			say("250 ok")
		default:
			say("502 unknown command")
		}
	}
}
