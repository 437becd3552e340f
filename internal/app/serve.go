package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"qqconnect/internal/config"
)

// Version is set at build time with -ldflags "-X qqconnect/internal/app.Version=…".
var Version = "0.1.0-dev"

// StartupExit is the exit status of a command whose start-up failed: 2 for
// a configuration error, 1 for anything else.
func StartupExit(err error) int {
	var ce *config.Error
	if errors.As(err, &ce) {
		return 2
	}
	return 1
}

// serveCmd is `qqconnect serve`: it listens first, then opens the
// database. A database that is not there yet (down, restarting, still
// starting after a reboot) is waited for with backoff: meanwhile /healthz
// answers, /readyz is 503 and every page says what qqconnect waits for.
// A configuration or schema error still stops it at once.
func Serve(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) int {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("listen", "addr", cfg.Addr, "err", err)
		return 1
	}
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			_ = ln.Close()
			log.Error("listen for metrics", "addr", cfg.MetricsAddr, "err", err)
			return 1
		}
	}
	return serveOnListeners(ctx, cfg, log, stdout, ln, mln)
}

// serveOnListeners opens the app (waiting for the database when needed)
// and serves it on ln (and mln).
func serveOnListeners(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer, ln, mln net.Listener) int {
	main, metrics := &swapHandler{}, &swapHandler{}
	wait := &waitingHandler{}
	main.set(wait)
	metrics.set(wait)
	fatal := make(chan error, 1)
	ready := make(chan *App, 1)
	go func() {
		app, err := openWaiting(ctx, cfg, log, wait)
		if err != nil {
			if ctx.Err() == nil {
				fatal <- err
			}
			return
		}
		if app.Demo != nil {
			PrintDemo(stdout, cfg, app.Demo)
		}
		main.set(newRouter(app))
		metrics.set(newMetricsRouter(app))
		go janitor(ctx, app, 10*time.Minute)
		// SIGHUP re-reads config_global.php (liveConfig), as a changed file does.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		go func() {
			defer signal.Stop(hup)
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					app.Live.Reload()
				}
			}
		}()
		ready <- app
	}()
	code := serveListeners(ctx, cfg, log, main, metrics, ln, mln, fatal)
	select {
	case app := <-ready:
		app.Close()
	default:
	}
	return code
}

// openWaiting is openApp, retried with backoff (0.5 s doubling to 5 s) for
// as long as the database does not answer; other errors end it.
func openWaiting(ctx context.Context, cfg *config.Config, log *slog.Logger, wait *waitingHandler) (*App, error) {
	delay := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		app, err := Open(ctx, cfg, log, !cfg.NoMigrate)
		if err == nil {
			if attempt > 1 {
				log.Info("the database answers: serving", "attempts", attempt)
			}
			return app, nil
		}
		var unreachable *dbUnreachableError
		if !errors.As(err, &unreachable) {
			return nil, err
		}
		wait.set(err)
		log.Warn("waiting for the database", "attempt", attempt, "retry_in", delay.String(), "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// swapHandler serves whatever handler is set last.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// waitingHandler answers while the app waits for its database: /healthz
// ok (the process is up), everything else 503 naming what it waits for.
type waitingHandler struct{ why atomic.Value }

func (h *waitingHandler) set(err error) { h.why.Store(err.Error()) }

func (h *waitingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		w.Write([]byte("ok"))
		return
	}
	why, _ := h.why.Load().(string)
	if why == "" {
		why = "opening the database"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Retry-After", "5")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.URL.Path == "/readyz" {
		fmt.Fprintf(w, "waiting for the database: %s\n", why)
		return
	}
	fmt.Fprintf(w, "系统启动中，正在等待数据库，请稍后再试 / qqconnect is starting and waits for its database; try again shortly\n")
}

// serveListeners runs the HTTP server on ln and, when mln is not nil, the
// metrics server on mln, until ctx ends or either fails; then both drain
// in-flight requests together.
func serveListeners(ctx context.Context, cfg *config.Config, log *slog.Logger, main, metrics http.Handler, ln, mln net.Listener, fatal <-chan error) int {
	type server struct {
		srv *http.Server
		ln  net.Listener
	}
	servers := []server{{newHTTPServer(main), ln}}
	if mln != nil {
		servers = append(servers, server{newHTTPServer(metrics), mln})
	}
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errc <- s.srv.Serve(s.ln) }()
	}
	log.Info("qqconnect listening", "addr", ln.Addr().String(), "url", cfg.PublicURL, "version", Version)
	if mln != nil {
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	code := 0
	select {
	case err := <-errc:
		log.Error("server stopped", "err", err)
		code = 1
	case err := <-fatal:
		log.Error("start-up failed", "err", err)
		code = StartupExit(err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(servers))
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.srv.Shutdown(shutdownCtx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		log.Error("graceful shutdown", "err", err)
		return 1
	}
	if code == 0 {
		log.Info("qqconnect stopped")
	}
	return code
}

// newHTTPServer bounds every phase of a request, so slow clients cannot
// hold connections open.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

// QuietLogger keeps command-line output readable: only warnings and errors.
func QuietLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
