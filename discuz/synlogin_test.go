package discuz

import (
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUCAppAuthKey: the authkey UCenter's get_apps uses: the stored value
// decoded with UC_MYKEY when it decodes (UCenter 1.6 stores it so), else
// the stored value (UCenter 1.7, the installer's row, an unknown UC_MYKEY).
func TestUCAppAuthKey(t *testing.T) {
	now := time.Now()
	enc, err := AuthcodeEncode("appkey-123", "mykey", 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, stored, mykey, want string }{
		{"plain, UC_MYKEY known", "appkey-123", "mykey", "appkey-123"},
		{"encrypted, UC_MYKEY known", enc, "mykey", "appkey-123"},
		{"encrypted, another UC_MYKEY", enc, "other", enc},
		{"encrypted, UC_MYKEY unknown", enc, "", enc},
		{"empty", "", "mykey", ""},
	} {
		if got := UCAppAuthKey(c.stored, c.mykey, now); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestSynScripts: UCenter's onsynlogin script sources for one application:
// its URL (not for the calling application) and each extra URL, each with
// a code of its own that decodes with the application's authkey.
func TestSynScripts(t *testing.T) {
	plain := SynloginPlain("alice", 7, "$2y$10$hash", 1700000000)
	if plain != "action=synlogin&username=alice&uid=7&password=$2y$10$hash&time=1700000000" {
		t.Fatalf("plain %q", plain)
	}
	app := UCApp{ID: 2, URL: "http://home.example.com", APIFile: "uc.php", AuthKey: "k2", ExtraURLs: []string{"http://a.example.com", "http://b.example.com"}}
	for _, c := range []struct {
		self  bool
		bases []string
	}{
		{false, []string{"http://home.example.com", "http://a.example.com", "http://b.example.com"}},
		{true, []string{"http://a.example.com", "http://b.example.com"}},
	} {
		srcs, err := SynScripts(app, c.self, plain, 1700000000, rand.Reader)
		if err != nil || len(srcs) != len(c.bases) {
			t.Fatalf("self=%v: %v %q", c.self, err, srcs)
		}
		codes := map[string]bool{}
		for i, src := range srcs {
			prefix := c.bases[i] + "/api/uc.php?time=1700000000&code="
			if !strings.HasPrefix(src, prefix) {
				t.Fatalf("src %q, want %s…", src, prefix)
			}
			code, err := url.QueryUnescape(strings.TrimPrefix(src, prefix))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := AuthcodeDecode(code, "k2", time.Now()); err != nil || got != plain {
				t.Errorf("code decodes to %q, %v", got, err)
			}
			codes[code] = true
		}
		if len(codes) != len(srcs) {
			t.Error("codes repeat: each URL gets its own")
		}
	}
	if _, err := SynScripts(UCApp{ID: 3, URL: "http://x"}, false, plain, 1, rand.Reader); err == nil {
		t.Error("an application without an authkey gave a script")
	}
}

// TestReadUCMyKey: UC_MYKEY from UCenter's uc_server/data/config.inc.php.
func TestReadUCMyKey(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, src, want string }{
		{"installer's file", "<?php \r\ndefine('UC_DBHOST', 'localhost');\r\ndefine('UC_KEY', 'k');\r\ndefine('UC_MYKEY', 'Ab3dE5');\r\n", "Ab3dE5"},
		{"no UC_MYKEY", "<?php\ndefine('UC_KEY', 'k');\n", ""},
		{"not a literal", "<?php\ndefine('UC_MYKEY', getenv('K'));\n", ""},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".php")
		os.WriteFile(p, []byte(c.src), 0o600)
		got, err := ReadUCMyKey(p)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("%s: %q, %v", c.name, got, err)
		}
	}
	if _, err := ReadUCMyKey(filepath.Join(dir, "missing.php")); err == nil {
		t.Error("a missing file read")
	}
}
