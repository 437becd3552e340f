package testlog

import (
	"strings"
	"sync"
	"testing"
)

// TestBuffer: concurrent writes all arrive (race detector on), and Max
// stops the growth.
func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Fatalf("%d bytes, want 800", got)
	}
	capped := Buffer{Max: 10}
	for i := 0; i < 5; i++ {
		if n, err := capped.Write([]byte("12345")); n != 5 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := capped.String(); got != strings.Repeat("12345", 3) {
		t.Fatalf("capped buffer holds %q", got)
	}
}
