package app

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"qqconnect/admin/repair"
	"qqconnect/discuz"
	"qqconnect/internal/config"
	"qqconnect/internal/memcache"
	"qqconnect/internal/rowcache"
)

// The caches in front of Discuz's database, as config_global.php sets them
// up, turned into what qqconnect does after a change: delete the keys
// Discuz reads from Redis or memcached, or tell the admin what to run when
// the cache is out of qqconnect's reach (discuz/memory.go has the rules).

// memoryPrefix is the key prefix Discuz uses. An empty configured prefix
// makes Discuz derive one from the Host header of each request; the
// forum's public origin is the host browsers send.
func memoryPrefix(cfg *config.Config) string {
	if cfg.MemoryPrefix != "" {
		return cfg.MemoryPrefix
	}
	return discuz.MemoryPrefix("", publicHost(cfg.PublicURL))
}

// publicHost is the Host header a browser sends for the public URL:
// lower case, without a default port.
func publicHost(public string) string {
	u, err := url.Parse(public)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return host
}

// redisDB is the database Discuz's Redis driver uses: X3.5 SELECTs
// ['redis']['db'] (memory_driver_redis.php v3.5 l.46); X3.4 and the
// cloud-era versions never SELECT, so they use 0.
func redisDB(cfg *config.Config) int {
	v := strings.TrimPrefix(cfg.DiscuzVersion, "X")
	major, minor, ok := strings.Cut(v, ".")
	if !ok {
		return cfg.MemoryRedisDB // unknown version: trust the file
	}
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(strings.Fields(minor + " ")[0])
	if err1 != nil || err2 != nil || ma > 3 || (ma == 3 && mi >= 5) {
		return cfg.MemoryRedisDB
	}
	return 0
}

// memcacheDriver names Discuz's memcache backend for messages.
func memcacheDriver(cfg *config.Config) string {
	if cfg.MemoryBackend == "memcached" {
		return "memcached"
	}
	return "memcache"
}

// newSettingCache is the invalidator of the repairs (admin pages and CLI):
// it deletes <prefix>setting from Discuz's Redis or memcached, and asks for
// 更新缓存 where Discuz reads a copy qqconnect cannot clear.
func newSettingCache(cfg *config.Config) repair.CacheInvalidator {
	var clear repair.CacheInvalidator
	switch {
	case cfg.MemoryRedis != "":
		clear = repair.NewRedisInvalidator(cfg.MemoryRedis, cfg.MemoryRedisPW, redisDB(cfg), memoryPrefix(cfg))
	case cfg.MemoryMemcache != "":
		clear = repair.NewMemcacheInvalidator(memcacheDriver(cfg), cfg.MemoryMemcache, cfg.MemoryMemcachePort, memoryPrefix(cfg))
	}
	if clear == nil {
		memory := cfg.MemoryOther
		if cfg.MemoryBackend != "" {
			memory = []string{cfg.MemoryBackend} // the one Discuz uses; the rest are fallbacks
		}
		return repair.NewManualInvalidator(memory, cfg.CacheType)
	}
	if cfg.CacheType == "file" {
		return &repair.PartialInvalidator{Clear: clear, Manual: repair.NewManualInvalidator(nil, cfg.CacheType)}
	}
	return clear
}

// newRowCache is the invalidator of a member's rows after a bind or unbind;
// nil when Discuz keeps no rows qqconnect can reach.
func newRowCache(cfg *config.Config) rowcache.Invalidator {
	switch {
	case cfg.MemoryRedis != "":
		return rowcache.NewRedis(cfg.MemoryRedis, cfg.MemoryRedisPW, redisDB(cfg), memoryPrefix(cfg))
	case cfg.MemoryMemcache != "":
		return rowcache.NewMemcache(cfg.MemoryMemcache, cfg.MemoryMemcachePort, memoryPrefix(cfg))
	}
	return nil
}

// memoryProbe lets the doctor check that qqconnect reaches the server it
// clears; nil when there is none.
func memoryProbe(cfg *config.Config) func(context.Context) error {
	switch {
	case cfg.MemoryRedis != "":
		return func(ctx context.Context) error {
			network := "tcp"
			if strings.HasPrefix(cfg.MemoryRedis, "/") {
				network = "unix"
			}
			c := redis.NewClient(&redis.Options{Network: network, Addr: cfg.MemoryRedis, Password: cfg.MemoryRedisPW, DB: redisDB(cfg),
				DialTimeout: 3 * time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second, MaxRetries: -1, PoolSize: 1})
			defer c.Close()
			if err := c.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("redis PING: %w", err)
			}
			return nil
		}
	case cfg.MemoryMemcache != "":
		return func(ctx context.Context) error {
			_, err := memcache.New(cfg.MemoryMemcache, cfg.MemoryMemcachePort).Version(ctx)
			return err
		}
	}
	return nil
}

// memcacheAddr names the memcached server for the doctor.
func memcacheAddr(cfg *config.Config) string {
	if cfg.MemoryMemcache == "" {
		return ""
	}
	return memcache.New(cfg.MemoryMemcache, cfg.MemoryMemcachePort).Addr()
}
