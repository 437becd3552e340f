package app

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"qqconnect/admin/doctor"
	"qqconnect/admin/repair"
	"qqconnect/discuz"
	"qqconnect/internal/testdb"
)

// avatarSite is a test site with a DISCUZ_ROOT whose avatar directory is
// UCenter's (<root>/uc_server/data/avatar) or, for X3.5's standalone mode,
// the forum's own data/avatar.
func avatarSite(t *testing.T, v string, standalone bool) (*testSite, string) {
	t.Helper()
	db := testdb.New(t, v)
	defines := "define('UC_CONNECT', 'mysql');\n"
	if standalone {
		defines += "define('UC_STANDALONE', 1);\ndefine('UC_AVTPATH', '');\n"
	}
	root := db.DiscuzRoot(t, db.Charset, defines)
	dir := filepath.Join(root, "uc_server", "data", "avatar")
	if standalone {
		dir = filepath.Join(root, "data", "avatar")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if !standalone {
		if err := os.WriteFile(filepath.Join(root, "uc_server", "avatar.php"), []byte("<?php"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := newTestSiteOn(t, db, map[string]string{"QQCONNECT_DISCUZ_ROOT": root, "QQCONNECT_DB_DSN": ""}, nil)
	if s.Cfg.AvatarDir != dir {
		t.Fatalf("avatar directory %q (%s), want %q", s.Cfg.AvatarDir, s.Cfg.AvatarNote, dir)
	}
	return s, dir
}

// avatarFiles lists every file under the avatar directory (relative names).
func avatarFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// checkImported asserts uid has the three JPEG files of a 100×100 QQ
// picture (avatar.js: big and middle not enlarged, small 48×48), the modes
// of the avatar directory, and avatarstatus=1.
func checkImported(t *testing.T, s *testSite, dir string, uid int64) {
	t.Helper()
	want := map[string][2]int{"big": {100, 100}, "middle": {100, 100}, "small": {48, 48}}
	for _, size := range discuz.AvatarSizes {
		p := filepath.Join(dir, discuz.AvatarFile(uid, size))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("uid %d %s: %v", uid, size, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("uid %d %s is not a JPEG: %v", uid, size, err)
		}
		if got := img.Bounds(); got.Dx() != want[size][0] || got.Dy() != want[size][1] {
			t.Errorf("uid %d %s: %d×%d, want %v", uid, size, got.Dx(), got.Dy(), want[size])
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
			t.Errorf("uid %d %s: mode %v, want 0644", uid, size, fi.Mode().Perm())
		}
	}
	if n := s.count("SELECT avatarstatus FROM pre_common_member WHERE uid=?", uid); n != 1 {
		t.Errorf("uid %d avatarstatus = %d, want 1", uid, n)
	}
}

// switchAvatar turns the import on or off through the admin panel: preview,
// confirmation with the password typed again, audit entry; it returns the
// audit entry's id.
func switchAvatar(t *testing.T, s *testSite, b *browser, action string) string {
	t.Helper()
	token := csrfOf(b, "/admin/repair/"+action)
	resp, body := b.do(http.MethodPost, "/admin/repair/"+action, url.Values{"_csrf": {token}, "confirm": {"yes"}, "password": {"root-pw-123"}}, nil)
	m := auditRe.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("%s: %d %q %.300s", action, resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if n := s.count("SELECT count(*) FROM pre_qqconnect_audit WHERE id=? AND action=? AND actor_name='root' AND source='web' AND result='ok'", m[1], action); n != 1 {
		t.Fatalf("%s: no audit entry", action)
	}
	return m[1]
}

func TestQQAvatarImport(t *testing.T) {
	cases := []struct {
		v          string
		standalone bool
	}{{testdb.X34, false}, {testdb.X35, false}, {testdb.X35, true}}
	for _, c := range cases {
		name := c.v
		if c.standalone {
			name += "/standalone"
		}
		t.Run(name, func(t *testing.T) {
			s, dir := avatarSite(t, c.v, c.standalone)
			admin := s.addMember("root", "root-pw-123", 1)
			s.DB.Exec(t, "UPDATE pre_common_member SET adminid=1 WHERE uid=?", admin)
			ab := s.browser()
			if resp, body := ab.adminLogin("root", "root-pw-123"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("admin sign-in: %d %.300s", resp.StatusCode, body)
			}
			// Every avatar fetch, counted: none while the switch is off, one
			// per imported member, none once the member has the avatar.
			fetches := &countingTransport{base: http.DefaultTransport}
			s.App.Avatars.Client = &http.Client{Transport: fetches}
			register := func(qq, username string) int64 {
				t.Helper()
				b := s.browser()
				b.qqLogin(qq, "/")
				resp, body := b.post("/connect/qq/bind", "/connect/qq/register", url.Values{"username": {username}, "email": {username + "@example.com"}})
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("register %s: %d %.300s", username, resp.StatusCode, body)
				}
				s.App.Avatars.Wait()
				return b.discuzLogin()
			}

			// Off (the default): a QQ registration writes no file and no flag.
			off := register("50001", "qq_off")
			if files := avatarFiles(t, dir); len(files) != 0 {
				t.Fatalf("switch off, yet files were written: %v", files)
			}
			if n := s.count("SELECT avatarstatus FROM pre_common_member WHERE uid=?", off); n != 0 {
				t.Fatalf("switch off, avatarstatus = %d", n)
			}
			s.browser().qqLogin("50001", "/")
			s.App.Avatars.Wait()
			if n := fetches.n.Load(); n != 0 {
				t.Fatalf("switch off: %d avatar fetches", n)
			}

			// On, from the admin panel; audited.
			on := switchAvatar(t, s, ab, repair.AvatarImportOn)
			if n := s.count("SELECT count(*) FROM pre_qqconnect_meta WHERE k='qq_avatar_import' AND v='1'"); n != 1 {
				t.Fatal("the switch is not stored")
			}
			// The doctor: fine while the directory takes files, a failure with
			// the way back (avatar-import-off) once it does not.
			env := DoctorEnv(s.Cfg, s.App, nil)
			if r := doctorCheck(t, env, "avatar_import"); r.Status != doctor.OK || !strings.Contains(r.Detail, dir) {
				t.Errorf("doctor avatar_import: %s %s", r.Status, r.Detail)
			}
			env.AvatarDir = filepath.Join(dir, "gone")
			if r := doctorCheck(t, env, "avatar_import"); r.Status != doctor.Fail || r.Repair != repair.AvatarImportOff {
				t.Errorf("doctor avatar_import with a missing directory: %s %s %q", r.Status, r.Detail, r.Repair)
			}

			// A QQ registration gets the avatar; index.htm in each new directory.
			uid := register("50002", "qq_on")
			checkImported(t, s, dir, uid)
			for _, d := range []string{"000", "000/00", "000/00/00"} {
				if _, err := os.Stat(filepath.Join(dir, d, "index.htm")); err != nil {
					t.Errorf("no index.htm in %s", d)
				}
			}
			// The member registered while it was off gets it at the next QQ login.
			b := s.browser()
			if resp, _ := b.qqLogin("50001", "/"); resp.StatusCode != http.StatusFound || b.discuzLogin() != off {
				t.Fatal("QQ login of the earlier member failed")
			}
			s.App.Avatars.Wait()
			checkImported(t, s, dir, off)
			if n := fetches.n.Load(); n != 2 {
				t.Fatalf("%d avatar fetches for two imports", n)
			}
			b = s.browser()
			b.qqLogin("50001", "/")
			s.App.Avatars.Wait()
			if n := fetches.n.Load(); n != 2 {
				t.Fatalf("a login after the import fetched again (%d fetches)", n)
			}

			// A member who has an avatar file is untouched, whatever avatarstatus says.
			alice := s.addMember("alice", "alice-pw-1", 10)
			mine := filepath.Join(dir, discuz.AvatarFile(alice, "middle"))
			os.MkdirAll(filepath.Dir(mine), 0o755)
			os.WriteFile(mine, []byte("alice's own picture"), 0o644)
			b = s.browser()
			b.qqLogin("50003", "/")
			if resp, body := b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"alice"}, "password": {"alice-pw-1"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("bind alice: %d %.300s", resp.StatusCode, body)
			}
			s.App.Avatars.Wait()
			if got, _ := os.ReadFile(mine); string(got) != "alice's own picture" {
				t.Fatalf("alice's avatar was replaced")
			}
			for _, size := range []string{"big", "small"} {
				if _, err := os.Stat(filepath.Join(dir, discuz.AvatarFile(alice, size))); err == nil {
					t.Errorf("alice got a %s file beside her own", size)
				}
			}
			if n := s.count("SELECT avatarstatus FROM pre_common_member WHERE uid=?", alice); n != 0 {
				t.Errorf("alice's avatarstatus = %d, want 0 (untouched)", n)
			}
			// avatarstatus=1 without a file (a UCenter elsewhere's avatar): not even tried.
			bob := s.addMember("bob", "bob-pw-1", 10)
			s.DB.Exec(t, "UPDATE pre_common_member SET avatarstatus=1 WHERE uid=?", bob)
			b = s.browser()
			b.qqLogin("50004", "/")
			b.post("/connect/qq/bind", "/connect/qq/bind", url.Values{"username": {"bob"}, "password": {"bob-pw-1"}})
			s.App.Avatars.Wait()
			if _, err := os.Stat(filepath.Join(dir, discuz.AvatarFile(bob, "big"))); err == nil {
				t.Error("bob (avatarstatus=1) got an avatar")
			}

			before := avatarFiles(t, dir)
			// The QQ avatar host does not answer: the registration works,
			// and nothing of an avatar is left.
			s.App.Avatars.Client = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return nil, errors.New("injected: avatar host unreachable")
			}}}
			failed := register("50005", "qq_nofetch")
			if failed == 0 {
				t.Fatal("the registration did not log the member in")
			}
			if files := avatarFiles(t, dir); strings.Join(files, ",") != strings.Join(before, ",") {
				t.Fatalf("a failed fetch changed the avatar directory:\n%v\n%v", before, files)
			}
			if n := s.count("SELECT avatarstatus FROM pre_common_member WHERE uid=?", failed); n != 0 {
				t.Fatalf("a failed fetch set avatarstatus = %d", n)
			}
			// The files are written but avatarstatus cannot be set: the files go again.
			s.App.Avatars.Client = &http.Client{Transport: fetches}
			s.DB.Exec(t, `CREATE TRIGGER qqc_fail_avatar BEFORE UPDATE ON pre_common_member FOR EACH ROW
				BEGIN IF NEW.avatarstatus = 1 AND OLD.avatarstatus = 0 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`)
			nostatus := register("50006", "qq_nostatus")
			if files := avatarFiles(t, dir); strings.Join(files, ",") != strings.Join(before, ",") {
				t.Fatalf("a failed avatarstatus update left files:\n%v\n%v", before, files)
			}
			if n := s.count("SELECT avatarstatus FROM pre_common_member WHERE uid=?", nostatus); n != 0 {
				t.Fatalf("avatarstatus = %d", n)
			}
			s.DB.Exec(t, "DROP TRIGGER qqc_fail_avatar")

			// Off again, and the undo of "on" from the audit log also turns it off.
			switchAvatar(t, s, ab, repair.AvatarImportOff)
			register("50007", "qq_off2")
			if files := avatarFiles(t, dir); strings.Join(files, ",") != strings.Join(before, ",") {
				t.Fatalf("switched off, yet files were written: %v", files)
			}
			switchAvatar(t, s, ab, repair.AvatarImportOn)
			token := csrfOf(ab, "/admin/audit/"+on)
			// The first "on" was followed by an off and an on: undoing it
			// now finds the value it wrote and sets it back to absent.
			if resp, _ := ab.do(http.MethodPost, "/admin/audit/"+on+"/undo", url.Values{"_csrf": {token}, "password": {"root-pw-123"}}, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("undo of the switch: %d", resp.StatusCode)
			}
			if n := s.count("SELECT count(*) FROM pre_qqconnect_meta WHERE k='qq_avatar_import'"); n != 0 {
				t.Fatal("the undo did not restore the switch's absence")
			}
			if n := s.count("SELECT count(*) FROM pre_qqconnect_audit WHERE action='undo' AND undo_of=?", on); n != 1 {
				t.Fatal("the undo is not audited")
			}
		})
	}
}

type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func doctorCheck(t *testing.T, env *doctor.Env, id string) doctor.Result {
	t.Helper()
	for _, c := range doctor.Run(t.Context(), env).Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no doctor check %s", id)
	return doctor.Result{}
}

// Where qqconnect cannot write the avatar files, the switch cannot be
// turned on: a clear message, no change, no audit entry.
func TestQQAvatarSwitchRefused(t *testing.T) {
	s := newTestSite(t, testdb.X35, nil) // no DISCUZ_ROOT: no avatar directory
	r := liveRepairer(s.App)
	actor := repair.Actor{Name: "root", Source: "cli"}
	_, _, err := r.Apply(t.Context(), repair.AvatarImportOn, repair.Args{}, actor)
	var re *repair.Error
	if !errors.As(err, &re) || !errors.Is(err, repair.ErrAvatarDir) || !strings.Contains(re.ZH, "QQCONNECT_DISCUZ_ROOT") || !strings.Contains(re.EN, "QQCONNECT_DISCUZ_ROOT") {
		t.Fatalf("switch on without an avatar directory: %v", err)
	}
	r.AvatarDir = filepath.Join(t.TempDir(), "missing")
	if _, _, err := r.Apply(t.Context(), repair.AvatarImportOn, repair.Args{}, actor); !errors.Is(err, repair.ErrAvatarDir) {
		t.Fatalf("switch on with a missing directory: %v", err)
	}
	if n := s.count("SELECT count(*) FROM pre_qqconnect_audit"); n != 0 {
		t.Fatalf("%d audit entries, want 0", n)
	}
	if n := s.count("SELECT count(*) FROM pre_qqconnect_meta WHERE k='qq_avatar_import'"); n != 0 {
		t.Fatal("the switch was stored")
	}
	// Off is always allowed; with nothing to change it writes nothing.
	if e, _, err := r.Apply(t.Context(), repair.AvatarImportOff, repair.Args{}, actor); err != nil || e != nil {
		t.Fatalf("switch off when off: %v %v", e, err)
	}
}
