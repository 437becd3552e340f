package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"qqconnect/discuz"
	"qqconnect/internal/config"
	"qqconnect/migrations"
	"qqconnect/models"
	"qqconnect/plugin"
	"qqconnect/plugin/sandbox"
)

// SandboxAppID is the QQ AppID the standalone demo forum uses with the sandbox.
const SandboxAppID = "101000001"

// App is everything the router needs, built once at start-up.
type App struct {
	Cfg     *config.Config
	Store   *models.Store
	Log     *slog.Logger
	Metrics *Metrics
	Sandbox *sandbox.Sandbox
	Demo    *models.DemoAccounts // set only on the first standalone start
	Live    *liveConfig          // config_global.php as it is now (memory cache settings)
	// QQSettings keeps the QQ login settings for a second (README
	// "Performance"); this instance's repairs forget them at once.
	QQSettings *plugin.SettingsCache
	// Avatars imports QQ avatars while the site's switch is on; nil when
	// qqconnect does not know the forum's avatar directory.
	Avatars *plugin.AvatarImporter
}

// qqSettingsTTL is how long a change to the QQ login settings made outside
// this instance may take to show.
const qqSettingsTTL = time.Second

// avatarDrain is how long Close waits for running avatar imports.
const avatarDrain = plugin.AvatarTimeout

// Close lets running avatar imports finish, then releases the database.
func (a *App) Close() {
	if a.Avatars != nil {
		ctx, cancel := context.WithTimeout(context.Background(), avatarDrain)
		if err := a.Avatars.Close(ctx); err != nil {
			a.Log.Warn("stopping with avatar imports unfinished; their members keep no avatar", "err", err)
		}
		cancel()
	}
	if err := a.Store.Close(); err != nil {
		a.Log.Error("close database", "err", err)
	}
}

// dbUnreachableError is a database (or UCenter's server) that did not
// answer: serve waits for it; every other start-up error is final.
type dbUnreachableError struct{ err error }

func (e *dbUnreachableError) Error() string { return e.err.Error() }
func (e *dbUnreachableError) Unwrap() error { return e.err }

// openApp opens the database, applies qqconnect's own migrations, and in
// standalone mode builds and seeds the demo forum.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger, migrate bool) (*App, error) {
	return OpenWith(ctx, cfg, log, migrate, false)
}

// openAppWith is openApp; allowPending opens a forum whose qqconnect tables
// are missing or behind instead of failing (the doctor on a site where
// qqconnect never ran; its database check names the pending migrations).
func OpenWith(ctx context.Context, cfg *config.Config, log *slog.Logger, migrate, allowPending bool) (*App, error) {
	if cfg.DBDriver == "sqlite" {
		if dir := filepath.Dir(cfg.DBDSN); dir != "." && !strings.HasPrefix(cfg.DBDSN, "file:") {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
		}
		standaloneAvatars(cfg)
	}
	tables := models.Tables{Pre: cfg.TablePrefix, UC: cfg.UCTablePrefix, UCDB: cfg.UCDatabase}
	store, err := models.Open(ctx, cfg.DBDriver, cfg.DBDSN, tables, log)
	if err != nil {
		if cfg.DBNote != "" && cfg.DBDriver == "mysql" {
			err = fmt.Errorf("%w (config_global.php %s)", err, cfg.DBNote)
		}
		return nil, &dbUnreachableError{err}
	}
	store.UCAppID, store.UCMyKey = cfg.UCAppID, cfg.UCMyKey
	app := &App{Cfg: cfg, Store: store, Log: log, Metrics: NewMetrics(), Live: newLiveConfig(cfg, log),
		QQSettings: &plugin.SettingsCache{Load: store.LoadLoginSettings, TTL: qqSettingsTTL}}
	fail := func(err error) (*App, error) {
		_ = store.Close()
		return nil, err
	}
	if cfg.UCDSN != "" {
		if err := store.OpenUCenter(ctx, cfg.UCDSN, log); err != nil {
			return fail(&dbUnreachableError{fmt.Errorf("config_ucenter.php UC_DBHOST=%s: %w", cfg.UCHost, err)})
		}
	}
	sqlDB, err := store.DB.DB()
	if err != nil {
		return fail(fmt.Errorf("database handle: %w", err))
	}
	if cfg.DBDriver == "sqlite" {
		if err := migrations.DemoForum(ctx, sqlDB, tables.Pre, tables.UC); err != nil {
			return fail(fmt.Errorf("build demo forum: %w", err))
		}
	}
	if migrate {
		applied, err := migrations.Apply(ctx, sqlDB, cfg.DBDriver, tables.Pre)
		if err != nil {
			return fail(fmt.Errorf("apply migrations: %w", err))
		}
		if len(applied) > 0 {
			log.Info("applied qqconnect migrations", "versions", applied)
		}
	} else if pending, err := migrations.Pending(ctx, sqlDB, cfg.DBDriver, tables.Pre); err != nil {
		return fail(fmt.Errorf("read applied migrations: %w", err))
	} else if len(pending) > 0 && !allowPending {
		return fail(fmt.Errorf("qqconnect's own tables need migrations %v: run `qqconnect migrate`", pending))
	}
	if err := models.CheckCompat(ctx, store); err != nil {
		return fail(fmt.Errorf("this database is not a compatible Discuz! X3.4/X3.5 database: %w", err))
	}
	if cfg.DBDriver == "sqlite" {
		if err := standalone(ctx, app); err != nil {
			return fail(err)
		}
	}
	if cfg.AvatarDir != "" {
		app.Avatars = &plugin.AvatarImporter{Files: &discuz.AvatarStore{Dir: cfg.AvatarDir}, Store: store,
			RowCache: liveRows{app.Live}, Log: log}
	}
	if cfg.Sandbox {
		app.Sandbox = sandbox.New(sandbox.Options{
			Apps:      sandboxApps(store, cfg.RedirectURI()),
			Prefix:    "/sandbox/qq",
			PublicURL: cfg.PublicURL,
			Logger:    log,
		})
	}
	return app, nil
}

// sandboxApps registers the forum's own AppID/AppKey with the sandbox, with
// the one redirect_uri this instance uses, read fresh on every request so an
// admin's change of AppKey takes effect at once.
func sandboxApps(store *models.Store, redirectURI string) func(ctx context.Context) ([]sandbox.App, error) {
	return func(ctx context.Context) ([]sandbox.App, error) {
		m, err := store.Settings(ctx, "connectappid", "connectappkey")
		if err != nil {
			return nil, err
		}
		if m["connectappid"] == "" {
			return nil, nil
		}
		return []sandbox.App{{AppID: m["connectappid"], AppKey: m["connectappkey"], RedirectURIs: []string{redirectURI}}}, nil
	}
}

// standalone keeps a generated authkey and seeds the demo forum once.
func standalone(ctx context.Context, app *App) error {
	cfg := app.Cfg
	if cfg.Authkey == "" {
		key, err := app.Store.GetMeta(ctx, "authkey")
		if errors.Is(err, models.ErrNotFound) {
			key, err = "", nil
		}
		if err != nil {
			return fmt.Errorf("read standalone authkey: %w", err)
		}
		if key == "" {
			key = randomHex(32)
			if err := app.Store.SetMeta(ctx, "authkey", key); err != nil {
				return fmt.Errorf("keep standalone authkey: %w", err)
			}
		}
		cfg.Authkey = key
	}
	demo, err := models.SeedDemo(ctx, app.Store, models.DemoOptions{AppID: SandboxAppID, AppKey: randomHex(16)})
	if err != nil {
		return fmt.Errorf("seed demo forum: %w", err)
	}
	app.Demo = demo
	if err := models.SeedDemoSettingCache(ctx, app.Store, time.Now()); err != nil {
		return err
	}
	return nil
}

// standaloneAvatars gives the demo forum (no DISCUZ_ROOT) an avatar
// directory beside its database, data/avatar, so the avatar switch can be
// tried there too.
func standaloneAvatars(cfg *config.Config) {
	if cfg.DiscuzRoot != "" || cfg.AvatarDir != "" || strings.HasPrefix(cfg.DBDSN, "file:") || strings.Contains(cfg.DBDSN, ":memory:") {
		return
	}
	dir := filepath.Join(filepath.Dir(cfg.DBDSN), "avatar")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return // the switch then says the directory is missing
	}
	cfg.AvatarDir, cfg.AvatarNote = dir, "演示论坛的头像目录 / the demo forum's avatar directory"
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// printDemo shows the demo accounts once, at the first standalone start.
func PrintDemo(w io.Writer, cfg *config.Config, d *models.DemoAccounts) {
	fmt.Fprintf(w, "\n  qqconnect demo forum: %s/\n", cfg.PublicURL)
	fmt.Fprintf(w, "  administrator: %s  password: %s   (shown only now)\n", d.Admin.Username, d.Admin.Password)
	for _, m := range d.Members {
		fmt.Fprintf(w, "  member:        %s  password: %s\n", m.Username, m.Password)
	}
	fmt.Fprintf(w, "  QQ login goes to the built-in sandbox at %s/sandbox/qq (not the real QQ)\n\n", cfg.PublicURL)
}
