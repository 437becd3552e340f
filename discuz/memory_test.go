package discuz

import (
	"reflect"
	"testing"
)

func TestMemoryOrder(t *testing.T) {
	const dbPart = "<?php\n$_config['db'][1]['dbhost'] = 'h';\n"
	for _, tc := range []struct {
		name    string
		src     string
		order   []string
		backend string
	}{
		{"X3.5 default file: nothing on", `$_config['memory']['prefix'] = 'Ab12Cd_';
$_config['memory']['redis']['server'] = '';
$_config['memory']['redis']['port'] = 6379;
$_config['memory']['memcache']['server'] = '';
$_config['memory']['memcached']['server'] = '';
$_config['memory']['apc'] = 0;
$_config['memory']['apcu'] = 0;
$_config['memory']['yac'] = 0;
$_config['memory']['file']['server'] = '';`, nil, ""},
		{"redis and apcu: redis comes first", `$_config['memory']['redis']['server'] = '127.0.0.1';
$_config['memory']['memcache']['server'] = '';
$_config['memory']['apcu'] = 1;`, []string{"redis", "apcu"}, "redis"},
		{"memcache before redis in the file wins", `$_config['memory']['memcache']['server'] = '10.0.0.5';
$_config['memory']['redis']['server'] = '127.0.0.1';`, []string{"memcache", "redis"}, "memcache"},
		{"X3.5 memcached", `$_config['memory']['memcached']['server'] = '127.0.0.1';
$_config['memory']['memcached']['port'] = 11211;`, []string{"memcached"}, "memcached"},
		{"in-process only", `$_config['memory']['apc'] = '0';
$_config['memory']['yac'] = true;
$_config['memory']['wincache'] = 1;`, []string{"yac", "wincache"}, "yac"},
		{"file driver needs a server dir", `$_config['memory']['file']['server'] = 'data/cache/filecache';`, []string{"file"}, "file"},
		{"server '0' is empty() in PHP", `$_config['memory']['redis']['server'] = '0';`, nil, ""},
		{"unknown names are not drivers", `$_config['memory']['foo'] = 1;
$_config['memory']['prefix'] = 'x_';`, nil, ""},
		{"array form", `$_config['memory'] = array('prefix' => 'p_', 'apcu' => 0, 'memcache' => array('server' => 'm', 'port' => 11211), 'xcache' => 1);`,
			[]string{"memcache", "xcache"}, "memcache"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfigGlobal([]byte(dbPart + tc.src + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.MemoryOrder(); !reflect.DeepEqual(got, tc.order) {
				t.Errorf("MemoryOrder = %q, want %q", got, tc.order)
			}
			if got := c.MemoryBackend(); got != tc.backend {
				t.Errorf("MemoryBackend = %q, want %q", got, tc.backend)
			}
		})
	}
}

func TestMemoryKeys(t *testing.T) {
	for _, tc := range []struct {
		configured, host, want string
	}{
		{"Xq7Lm2_", "bbs.example.com", "Xq7Lm2_"},
		// substr(md5('bbs.example.com'), 0, 6).'_'
		{"", "bbs.example.com", "b04f85_"},
		{"", "", "d41d8c_"}, // md5('') = d41d8cd9…
	} {
		if got := MemoryPrefix(tc.configured, tc.host); got != tc.want {
			t.Errorf("MemoryPrefix(%q, %q) = %q, want %q", tc.configured, tc.host, got, tc.want)
		}
	}
	want := []string{"p_common_member_42", "p_common_member_status_42", "p_common_member_count_42", "p_common_member_field_forum_42",
		"p_common_member_field_home_42", "p_common_member_profile_42", "p_common_member_connect_42"}
	if got := MemberRowKeys("p_", 42); !reflect.DeepEqual(got, want) {
		t.Errorf("MemberRowKeys = %q", got)
	}
	for name, want := range map[string]bool{"apcu": true, "yac": true, "wincache": true, "xcache": true, "eaccelerator": true, "apc": true,
		"redis": false, "memcache": false, "memcached": false, "file": false} {
		if InProcessMemory(name) != want {
			t.Errorf("InProcessMemory(%q) = %v", name, !want)
		}
	}
}
