// Command qqconnect gives a Discuz! X forum a working QQ互联 login and an
// admin toolbox for its QQ/cloud settings. main only wires: config →
// database → migrations → router → server.
package main

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
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"qqconnect/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	gin.SetMode(gin.ReleaseMode)
	tuneGC(os.Getenv)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// tuneGC trades a little memory for CPU unless the operator chose: the live
// heap is a few MiB, so Go's default (GOGC=100) collects every few hundred
// logins, a tenth of a callback's CPU (README "Performance"). The soft
// limit keeps the process well inside the 60 MiB it is measured against.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(30 << 20)
	}
}

// run is main without the process: it returns the exit status.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "qqconnect", version)
		return 0
	case "serve", "migrate":
	case "doctor":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runDoctor(ctx, args, getenv, stdout, stderr)
	case "repair":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return repairCommand(ctx, args, getenv, os.Stdin, stdout, stderr)
	case "audit", "undo":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return auditCommand(ctx, cmd, args, getenv, os.Stdin, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "qqconnect: unknown command %q (serve, migrate, doctor, repair, audit, undo, version)\n", cmd)
		return 2
	}
	cfg, _, err := config.Load(args, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "qqconnect: configuration error:", err)
		return 2
	}
	if cfg.Sandbox && cfg.DBDriver == "mysql" {
		// Allowed only with QQCONNECT_SANDBOX_ON_REAL_FORUM; say it at every start.
		log.Warn("QQ login goes to the built-in sandbox on a real forum database: anyone can log in as any member bound to a sandbox QQ number",
			"setting", "QQCONNECT_SANDBOX")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cmd == "serve" {
		return serveCmd(ctx, cfg, log, stdout)
	}
	app, err := openApp(ctx, cfg, log, true)
	if err != nil {
		log.Error("start-up failed", "err", err)
		return startupExit(err)
	}
	defer app.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return 0
}

func startupExit(err error) int {
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
func serveCmd(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) int {
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
			printDemo(stdout, cfg, app.Demo)
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
		app, err := openApp(ctx, cfg, log, !cfg.NoMigrate)
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
	log.Info("qqconnect listening", "addr", ln.Addr().String(), "url", cfg.PublicURL, "version", version)
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
		code = startupExit(err)
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
