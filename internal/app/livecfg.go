package app

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"qqconnect/admin/repair"
	"qqconnect/internal/config"
	"qqconnect/internal/rowcache"
	"qqconnect/plugin"
)

// liveConfig follows config_global.php while qqconnect runs. An admin who
// turns on Redis as Discuz's memory cache (or changes its prefix) expects
// the next bind, unbind and repair to clear the new cache, and the doctor
// to report it. A changed file (modification time or size, looked at no
// more than once a second) or SIGHUP re-reads the memory and file cache
// settings and rebuilds the invalidators. The database, authkey and
// cookies still need a restart.
type liveConfig struct {
	log  *slog.Logger
	path string

	mu      sync.Mutex
	cfg     *config.Config
	stamp   fileStamp
	checked time.Time
	readAt  time.Time
	rows    rowcache.Invalidator
	setting repair.CacheInvalidator
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func statStamp(path string) (fileStamp, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, false
	}
	return fileStamp{fi.ModTime(), fi.Size()}, true
}

func newLiveConfig(cfg *config.Config, log *slog.Logger) *liveConfig {
	l := &liveConfig{log: log, path: cfg.GlobalConfigPath(), cfg: cfg, readAt: time.Now()}
	l.stamp, _ = statStamp(l.path)
	l.rows, l.setting = newRowCache(cfg), newSettingCache(cfg)
	return l
}

// current returns the configuration and invalidators in force, re-reading
// the file first when it changed.
func (l *liveConfig) current() (*config.Config, rowcache.Invalidator, repair.CacheInvalidator) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.path != "" && time.Since(l.checked) >= time.Second {
		l.checked = time.Now()
		if st, ok := statStamp(l.path); ok && st != l.stamp {
			l.reloadLocked(st, "config_global.php changed")
		}
	}
	return l.cfg, l.rows, l.setting
}

// Reload re-reads the file now (SIGHUP).
func (l *liveConfig) Reload() {
	if l.path == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st, _ := statStamp(l.path)
	l.reloadLocked(st, "SIGHUP")
}

func (l *liveConfig) reloadLocked(st fileStamp, why string) {
	cfg, err := l.cfg.RereadMemory()
	if err != nil {
		// keep what works; the next change or SIGHUP tries again
		l.log.Error("re-read config_global.php", "why", why, "err", err)
		l.stamp = st
		return
	}
	oldRows, oldSetting := l.rows, l.setting
	l.cfg, l.stamp, l.readAt = cfg, st, time.Now()
	l.rows, l.setting = newRowCache(cfg), newSettingCache(cfg)
	l.log.Info("re-read Discuz's memory cache settings", "why", why, "file", l.path,
		"backend", cfg.MemoryBackend, "prefix", memoryPrefix(cfg), "cache_type", cfg.CacheType)
	// In-flight calls may still hold the old clients: close them later.
	time.AfterFunc(30*time.Second, func() {
		for _, c := range []any{oldRows, oldSetting} {
			if cl, ok := c.(interface{ Close() error }); ok {
				_ = cl.Close()
			}
		}
	})
}

// ReadNote says which file was read when, for the doctor.
func (l *liveConfig) ReadNote() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.path == "" {
		return ""
	}
	return l.path + " (read " + l.readAt.UTC().Format(time.DateTime) + " UTC, modified " + l.stamp.mod.UTC().Format(time.DateTime) + " UTC)"
}

// liveRows is the rowcache.Invalidator of the running service.
type liveRows struct{ l *liveConfig }

func (r liveRows) InvalidateMember(ctx context.Context, uid int64) error {
	if _, rows, _ := r.l.current(); rows != nil {
		return rows.InvalidateMember(ctx, uid)
	}
	return nil
}

func (r liveRows) InvalidateSyscache(ctx context.Context, cname string) error {
	if _, rows, _ := r.l.current(); rows != nil {
		return rows.InvalidateSyscache(ctx, cname)
	}
	return nil
}

// liveSetting is the repair.CacheInvalidator of the admin pages.
type liveSetting struct {
	l  *liveConfig
	qq *plugin.SettingsCache // this instance's own copy of the QQ login settings; nil when none
}

func (s liveSetting) InvalidateSetting(ctx context.Context) error {
	if s.qq != nil {
		s.qq.Forget()
	}
	_, _, c := s.l.current()
	return c.InvalidateSetting(ctx)
}

func (s liveSetting) Describe() string {
	_, _, c := s.l.current()
	return c.Describe()
}

// Warning passes on the current invalidator's request for 更新缓存.
func (s liveSetting) Warning() string {
	_, _, c := s.l.current()
	if w, ok := c.(interface{ Warning() string }); ok {
		return w.Warning()
	}
	return ""
}

// InvalidateKeys passes on the member actions' row deletion where the
// current invalidator can do it (Redis, memcached); nothing otherwise.
func (s liveSetting) InvalidateKeys(ctx context.Context, names ...string) error {
	_, _, c := s.l.current()
	if k, ok := c.(interface {
		InvalidateKeys(ctx context.Context, names ...string) error
	}); ok {
		return k.InvalidateKeys(ctx, names...)
	}
	return nil
}

// RowWarning passes on the current invalidator's request for 内存清理.
func (s liveSetting) RowWarning() string {
	_, _, c := s.l.current()
	if w, ok := c.(interface{ RowWarning() string }); ok {
		return w.RowWarning()
	}
	return ""
}
