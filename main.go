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
	"sync"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"qqconnect/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
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

	app, err := openApp(ctx, cfg, log, cmd == "migrate" || !cfg.NoMigrate)
	if err != nil {
		log.Error("start-up failed", "err", err)
		var ce *config.Error
		if errors.As(err, &ce) {
			return 2
		}
		return 1
	}
	defer app.Close()
	if cmd == "migrate" {
		fmt.Fprintln(stdout, "migrations applied")
		return 0
	}
	if app.Demo != nil {
		printDemo(stdout, cfg, app.Demo)
	}
	return serve(ctx, app, log)
}

// serve listens on ADDR (and METRICS_ADDR when set) and serves until ctx
// ends.
func serve(ctx context.Context, app *App, log *slog.Logger) int {
	ln, err := net.Listen("tcp", app.Cfg.Addr)
	if err != nil {
		log.Error("listen", "addr", app.Cfg.Addr, "err", err)
		return 1
	}
	var mln net.Listener
	if app.Cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", app.Cfg.MetricsAddr); err != nil {
			_ = ln.Close()
			log.Error("listen for metrics", "addr", app.Cfg.MetricsAddr, "err", err)
			return 1
		}
	}
	// SIGHUP re-reads config_global.php (liveConfig), as a changed file does.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				app.Live.Reload()
			}
		}
	}()
	return serveListeners(ctx, app, log, ln, mln)
}

// serveListeners runs the HTTP server on ln and, when mln is not nil, the
// metrics server on mln, until ctx ends or either fails; then both drain
// in-flight requests together.
func serveListeners(ctx context.Context, app *App, log *slog.Logger, ln, mln net.Listener) int {
	type server struct {
		srv *http.Server
		ln  net.Listener
	}
	servers := []server{{newHTTPServer(newRouter(app)), ln}}
	if mln != nil {
		servers = append(servers, server{newHTTPServer(newMetricsRouter(app)), mln})
	}
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errc <- s.srv.Serve(s.ln) }()
	}
	go janitor(ctx, app, 10*time.Minute)
	log.Info("qqconnect listening", "addr", ln.Addr().String(), "url", app.Cfg.PublicURL, "version", version)
	if mln != nil {
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	code := 0
	select {
	case err := <-errc:
		log.Error("server stopped", "err", err)
		code = 1
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
