package config

import (
	"reflect"
	"testing"

	"qqconnect/discuz"
)

// TestReadMemory: the backend Discuz uses is the first configured one in
// the file's order; qqconnect clears redis and memcache(d) and lists the
// rest.
func TestReadMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want Config
	}{
		{"none", `$_config['memory']['prefix'] = 'p_';
$_config['memory']['redis']['server'] = '';
$_config['cache']['type'] = 'sql';`, Config{MemoryPrefix: "p_", CacheType: "sql"}},
		{"redis with a db and a password", `$_config['memory']['prefix'] = 'p_';
$_config['memory']['redis']['server'] = '127.0.0.1';
$_config['memory']['redis']['port'] = 6380;
$_config['memory']['redis']['requirepass'] = 'pw';
$_config['memory']['redis']['db'] = 3;
$_config['memory']['memcache']['server'] = '';
$_config['memory']['apcu'] = 1;`,
			Config{MemoryPrefix: "p_", MemoryBackend: "redis", MemoryRedis: "127.0.0.1:6380", MemoryRedisPW: "pw", MemoryRedisDB: 3, MemoryOther: []string{"apcu"}}},
		{"redis on a socket, no port", `$_config['memory']['redis']['server'] = '/run/redis.sock';`,
			Config{MemoryBackend: "redis", MemoryRedis: "/run/redis.sock"}},
		{"redis without a port", `$_config['memory']['redis']['server'] = '10.1.1.1';`,
			Config{MemoryBackend: "redis", MemoryRedis: "10.1.1.1:6379"}},
		{"memcache (X3.4 default layout)", `$_config['memory']['prefix'] = 'Ab12Cd_';
$_config['memory']['redis']['server'] = '';
$_config['memory']['memcache']['server'] = '127.0.0.1';
$_config['memory']['memcache']['port'] = 11211;
$_config['memory']['memcache']['pconnect'] = 1;
$_config['memory']['apc'] = 0;`,
			Config{MemoryPrefix: "Ab12Cd_", MemoryBackend: "memcache", MemoryMemcache: "127.0.0.1", MemoryMemcachePort: 11211}},
		{"memcached (X3.5)", `$_config['memory']['memcache']['server'] = '';
$_config['memory']['memcached']['server'] = 'unix:///run/memcached.sock';
$_config['memory']['memcached']['port'] = 0;`,
			Config{MemoryBackend: "memcached", MemoryMemcache: "unix:///run/memcached.sock"}},
		{"memcache listed before redis wins", `$_config['memory']['memcache']['server'] = 'm';
$_config['memory']['memcache']['port'] = 11212;
$_config['memory']['redis']['server'] = 'r';
$_config['memory']['redis']['port'] = 6379;`,
			Config{MemoryBackend: "memcache", MemoryMemcache: "m", MemoryMemcachePort: 11212, MemoryOther: []string{"redis"}}},
		{"apcu: out of reach", `$_config['memory']['redis']['server'] = '';
$_config['memory']['apcu'] = 1;
$_config['memory']['yac'] = 1;`,
			Config{MemoryBackend: "apcu", MemoryOther: []string{"apcu", "yac"}}},
		{"file cache", `$_config['cache']['type'] = 'file';`, Config{CacheType: "file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := discuz.ParseConfigGlobal([]byte("<?php\n$_config['db'][1]['dbhost'] = 'h';\n" + tc.src + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			var c Config
			c.readMemory(g)
			if !reflect.DeepEqual(c, tc.want) {
				t.Errorf("got  %+v\nwant %+v", c, tc.want)
			}
		})
	}
}
