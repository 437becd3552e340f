package app

import (
	"time"

	"qqconnect/admin/repair"
)

// newRepairer builds the repair toolbox of the CLI: Discuz's Redis or
// memcached memory cache is cleared after each change when configured;
// in-process memory caches and the file cache cannot be, and the plans say
// so (newSettingCache).
func NewRepairer(app *App) *repair.Repairer {
	return repairerWith(app, newSettingCache(app.Cfg))
}

// liveRepairer is the repair toolbox of the running service: its cache
// invalidator follows config_global.php (liveConfig).
func liveRepairer(app *App) *repair.Repairer {
	return repairerWith(app, liveSetting{l: app.Live, qq: app.QQSettings})
}

func repairerWith(app *App, cache repair.CacheInvalidator) *repair.Repairer {
	return &repair.Repairer{Store: app.Store, Authkey: app.Cfg.Authkey, Cache: cache, Now: time.Now, Log: app.Log, Charset: app.Cfg.Charset,
		DiscuzVersion: app.Cfg.DiscuzVersion, AvatarDir: app.Cfg.AvatarDir, AvatarNote: app.Cfg.AvatarNote}
}
