package app

import (
	"qqconnect/admin/doctor"
	"qqconnect/internal/config"
	"qqconnect/internal/web"
)

// doctorEnv builds the doctor's environment from the configuration; store
// may be nil when the database could not be opened (the doctor says why).
func DoctorEnv(cfg *config.Config, app *App, dbErr error) *doctor.Env {
	env := &doctor.Env{
		DBErr:               dbErr,
		PublicURL:           cfg.PublicURL,
		CallbackPath:        cfg.CallbackPath,
		QQAPIBase:           cfg.QQAPIBase,
		DiscuzVersion:       cfg.DiscuzVersion,
		Sandbox:             cfg.Sandbox,
		MemoryBackend:       cfg.MemoryBackend,
		MemoryRedis:         cfg.MemoryRedis,
		MemoryMemcache:      memcacheAddr(cfg),
		MemoryPrefix:        memoryPrefix(cfg),
		CacheType:           cfg.CacheType,
		MemoryOther:         cfg.MemoryOther,
		MemoryProbe:         memoryProbe(cfg),
		Protocol:            cfg.QQProtocol,
		DBDriver:            cfg.DBDriver,
		UCHost:              cfg.UCHost,
		AvatarDir:           cfg.AvatarDir,
		AvatarNote:          cfg.AvatarNote,
		TrustedProxies:      cfg.TrustedProxy,
		InstanceProof:       func(nonce string) string { return web.InstanceProof(cfg.Authkey, nonce) },
		TrustedProxyDefault: cfg.TrustedProxyDefault,
	}
	if app != nil {
		env.Store = app.Store
	}
	return env
}

// liveDoctorEnv is the doctor's environment in the running service:
// config_global.php as it is now (liveConfig), and when it was read.
func liveDoctorEnv(app *App) *doctor.Env {
	cur, _, _ := app.Live.current()
	env := DoctorEnv(cur, app, nil)
	env.ConfigRead = app.Live.ReadNote()
	return env
}
