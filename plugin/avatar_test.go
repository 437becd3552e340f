package plugin

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"qqconnect/discuz"
)

// Every picture the import must refuse leaves the avatar directory as it
// was (the database is not reached: the refusal comes first).
func TestAvatarFetchRefusals(t *testing.T) {
	var pic bytes.Buffer
	png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 100, 100)))
	var huge bytes.Buffer
	png.Encode(&huge, image.NewRGBA(image.Rect(0, 0, AvatarMaxSide+1, 10)))
	mux := http.NewServeMux()
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(pic.Bytes())
	})
	mux.HandleFunc("/liar", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg") // PNG bytes
		w.Write(pic.Bytes())
	})
	mux.HandleFunc("/404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pic.Bytes())
		w.Write(make([]byte, AvatarMaxBytes))
	})
	mux.HandleFunc("/wide", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(huge.Bytes())
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	dir := t.TempDir()
	im := &AvatarImporter{Files: &discuz.AvatarStore{Dir: dir}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, path := range []string{"/html", "/liar", "/404", "/big", "/wide", "/file", "/slow"} {
		t.Run(path, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if err := im.Import(ctx, 7, srv.URL+path); err == nil {
				t.Fatal("imported")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("the avatar directory changed: %v", entries)
			}
		})
	}
	if err := im.Import(context.Background(), 7, "ftp://example.invalid/a.png"); err == nil || !strings.Contains(err.Error(), "http") {
		t.Fatalf("a non-http URL: %v", err)
	}
}

// Queue never runs two imports of one member, nor more than AvatarWorkers,
// and nothing after Close; a failed member waits AvatarRetryAfter.
func TestAvatarQueueBounds(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		http.NotFound(w, r)
	}))
	defer srv.Close()
	now := time.Unix(1_700_000_000, 0)
	im := &AvatarImporter{Files: &discuz.AvatarStore{Dir: t.TempDir()}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return now }}
	if !im.Queue(1, srv.URL) || im.Queue(1, srv.URL) {
		t.Fatal("a second import of the same member was queued")
	}
	for uid := int64(2); uid <= AvatarWorkers; uid++ {
		if !im.Queue(uid, srv.URL) {
			t.Fatalf("uid %d not queued within %d workers", uid, AvatarWorkers)
		}
	}
	if im.Queue(99, srv.URL) {
		t.Fatal("queued past the workers")
	}
	close(release)
	im.Wait()
	if im.Queue(1, srv.URL) {
		t.Fatal("a failed member was tried again at once")
	}
	now = now.Add(AvatarRetryAfter)
	if !im.Queue(1, srv.URL) {
		t.Fatal("a failed member was not tried again after AvatarRetryAfter")
	}
	if err := im.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if im.Queue(5, srv.URL) {
		t.Fatal("queued after Close")
	}
}
