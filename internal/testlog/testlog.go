// Package testlog is the one log buffer tests share: a server, a child
// process or concurrent handlers write it while the test reads it.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent writers and readers. With
// Max > 0 it keeps the first Max bytes and drops the rest (a load run's
// server log would otherwise grow without bound).
type Buffer struct {
	Max int
	mu  sync.Mutex
	b   bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Max > 0 && l.b.Len() > l.Max {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
