package discuz

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func writeVersionFile(t *testing.T, src string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "source"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "source", "discuz_version.php"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestReadVersion(t *testing.T) {
	tests := []struct {
		name, src, version, release string
	}{
		{"X3.5 with guards", `<?php

/**
 *      [Discuz!] (C)2001-2099 Comsenz Inc.
 *      This is NOT a freeware, use is subject to license terms
 *
 *      $Id: discuz_version.php 36362 2023-10-01 01:00:00Z 'someone' $
 */

if(!defined('IN_DISCUZ')) {
	exit('Access Denied');
}

if(!defined('DISCUZ_VERSION')) {
	define('DISCUZ_VERSION', 'X3.5');
	define('DISCUZ_RELEASE', '20231001');
	define('DISCUZ_FIXBUG', '99999999');
}
`, "X3.5", "20231001"},
		{"double quotes, no guard", "<?php\ndefine(\"DISCUZ_VERSION\", \"X3.4\");\ndefine(\"DISCUZ_RELEASE\", \"20180101\");\n?>\n", "X3.4", "20180101"},
		{"cloud era with suffix", "<?php\n// define('DISCUZ_VERSION', 'X9');\ndefine('DISCUZ_VERSION', 'X3.2 R2');\ndefine('DISCUZ_RELEASE', 20141227);\n", "X3.2 R2", "20141227"},
		{"development build without release", "<?php\ndefine('DISCUZ_VERSION', 'X3.5');\ndefine('DISCUZ_FIXBUG', 1 + 2);\n", "X3.5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, r, err := ReadVersion(writeVersionFile(t, tt.src))
			if err != nil || v != tt.version || r != tt.release {
				t.Errorf("ReadVersion = %q, %q, %v; want %q, %q", v, r, err, tt.version, tt.release)
			}
		})
	}
}

func TestReadVersionErrors(t *testing.T) {
	for name, src := range map[string]string{
		"no version":     "<?php\ndefine('DISCUZ_RELEASE', '20231001');\n",
		"not a literal":  "<?php\ndefine('DISCUZ_VERSION', PHP_VERSION);\n",
		"empty version":  "<?php\ndefine('DISCUZ_VERSION', '');\n",
		"unterminated":   "<?php\ndefine('DISCUZ_VERSION', 'X3.5);\n",
		"release array":  "<?php\ndefine('DISCUZ_VERSION', 'X3.5');\ndefine('DISCUZ_RELEASE', array());\n",
		"not php at all": "DISCUZ_VERSION X3.5",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := ReadVersion(writeVersionFile(t, src))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("err = %v, want a *ConfigError", err)
			}
		})
	}
	if _, _, err := ReadVersion(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestIsCloudEra(t *testing.T) {
	tests := map[string]bool{
		"X3.2":      true,
		"X3.3":      true,
		"X3.2 R2":   true,
		"x3.3R1":    true,
		" X3.3 ":    true,
		"X3.4":      false,
		"X3.5":      false,
		"X3.1":      false,
		"X3.20":     false,
		"X2.5":      false,
		"":          false,
		"unknown":   false,
		"Discuz X3": false,
	}
	for in, want := range tests {
		if got := IsCloudEra(in); got != want {
			t.Errorf("IsCloudEra(%q) = %v, want %v", in, got, want)
		}
	}
}
