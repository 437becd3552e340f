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
	"net/http"
	"os"
	"os/signal"
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
	default:
		fmt.Fprintf(stderr, "qqconnect: unknown command %q (serve, migrate, version)\n", cmd)
		return 2
	}
	cfg, _, err := config.Load(args, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "qqconnect: configuration error:", err)
		return 2
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

// serve runs the HTTP server until ctx ends, then drains in-flight requests.
func serve(ctx context.Context, app *App, log *slog.Logger) int {
	srv := &http.Server{
		Addr:              app.Cfg.Addr,
		Handler:           newRouter(app),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	go janitor(ctx, app, 10*time.Minute)
	log.Info("qqconnect listening", "addr", app.Cfg.Addr, "url", app.Cfg.PublicURL, "version", version)
	select {
	case err := <-errc:
		log.Error("server stopped", "err", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Error("graceful shutdown", "err", err)
		return 1
	}
	log.Info("qqconnect stopped")
	return 0
}
