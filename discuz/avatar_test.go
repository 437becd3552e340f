package discuz

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// get_avatar of uc_server/model/base.php: the uid zero-padded to 9 digits.
func TestAvatarFile(t *testing.T) {
	for _, c := range []struct {
		uid  int64
		size string
		want string
	}{
		{1, "big", "000/00/00/01_avatar_big.jpg"},
		{1234, "middle", "000/00/12/34_avatar_middle.jpg"},
		{123456789, "small", "123/45/67/89_avatar_small.jpg"},
		{-7, "big", "000/00/00/07_avatar_big.jpg"}, // abs(intval())
	} {
		if got := AvatarFile(c.uid, c.size); got != c.want {
			t.Errorf("AvatarFile(%d, %s) = %q, want %q", c.uid, c.size, got, c.want)
		}
	}
}

func TestAvatarDir(t *testing.T) {
	root := t.TempDir()
	withUC := t.TempDir()
	os.MkdirAll(filepath.Join(withUC, "uc_server"), 0o755)
	os.WriteFile(filepath.Join(withUC, "uc_server", "avatar.php"), []byte("<?php"), 0o644)
	for _, c := range []struct {
		name, root, version string
		uc                  *UCenterConfig
		want                string
	}{
		{"no root", "", "X3.5", nil, ""},
		{"X3.5 standalone, default path", root, "X3.5", &UCenterConfig{Standalone: true}, filepath.Join(root, "data", "avatar")},
		{"X3.5 standalone, UC_AVTPATH without ..", root, "X3.5", &UCenterConfig{Standalone: true, AvatarPath: "../../etc/avt/"}, filepath.Join(root, "etc", "avt")},
		{"X3.4 ignores UC_STANDALONE", root, "X3.4", &UCenterConfig{Standalone: true}, ""},
		{"uc_server under the forum", withUC, "X3.4", &UCenterConfig{}, filepath.Join(withUC, "uc_server", "data", "avatar")},
		{"X3.5 not standalone", withUC, "X3.5", &UCenterConfig{}, filepath.Join(withUC, "uc_server", "data", "avatar")},
		{"UCenter elsewhere", root, "X3.5", &UCenterConfig{}, ""},
	} {
		got, why := AvatarDir(c.root, c.version, c.uc)
		if got != c.want || why == "" {
			t.Errorf("%s: AvatarDir = %q (%s), want %q", c.name, got, why, c.want)
		}
	}
}

func TestAvatarStoreWrite(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o775)
	s := &AvatarStore{Dir: dir}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if s.Has(42) {
		t.Fatal("Has before any file")
	}
	files := [][]byte{[]byte("big"), []byte("middle"), []byte("small")}
	if err := s.Write(42, files); err != nil {
		t.Fatal(err)
	}
	for i, size := range AvatarSizes {
		p := filepath.Join(dir, AvatarFile(42, size))
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, files[i]) {
			t.Fatalf("%s: %q %v", size, b, err)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o664 {
			t.Errorf("%s mode %v, want 0664 (the directory's bits without x)", size, fi.Mode().Perm())
		}
	}
	for _, d := range []string{"000", "000/00", "000/00/00"} {
		fi, err := os.Stat(filepath.Join(dir, d))
		if err != nil || fi.Mode().Perm() != 0o775 {
			t.Errorf("dir %s: %v %v", d, fi, err)
		}
		if _, err := os.Stat(filepath.Join(dir, d, "index.htm")); err != nil {
			t.Errorf("set_home's index.htm missing in %s", d)
		}
	}
	if !s.Has(42) {
		t.Fatal("Has after Write")
	}
	// Never replaces a file: the member's own middle picture stays, and
	// nothing of the new avatar is left.
	os.Remove(filepath.Join(dir, AvatarFile(42, "big")))
	os.Remove(filepath.Join(dir, AvatarFile(42, "small")))
	os.WriteFile(filepath.Join(dir, AvatarFile(42, "middle")), []byte("mine"), 0o644)
	if err := s.Write(42, files); !errors.Is(err, ErrAvatarExists) {
		t.Fatalf("Write over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, AvatarFile(42, "middle"))); string(b) != "mine" {
		t.Fatalf("the member's file was replaced: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, AvatarFile(42, "big"))); err == nil {
		t.Fatal("a failed Write left the big file")
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "000", "00", "00", ".qqconnect-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
	if err := s.Remove(42); err != nil || s.Has(42) {
		t.Fatalf("Remove: %v", err)
	}
	if err := (&AvatarStore{Dir: filepath.Join(dir, "missing")}).Check(); err == nil {
		t.Fatal("Check of a missing directory passed")
	}
}

// avatar.js: big fits 200×250 and middle 120×120 without enlarging; small
// is the centred square at 48×48.
func TestAvatarImages(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want [3][2]int
	}{
		{100, 100, [3][2]int{{100, 100}, {100, 100}, {48, 48}}},
		{640, 640, [3][2]int{{200, 200}, {120, 120}, {48, 48}}},
		{640, 480, [3][2]int{{200, 150}, {120, 90}, {48, 48}}},
		{300, 600, [3][2]int{{125, 250}, {60, 120}, {48, 48}}},
		{40, 40, [3][2]int{{40, 40}, {40, 40}, {48, 48}}},
	} {
		img := image.NewNRGBA(image.Rect(0, 0, c.w, c.h))
		for i := range img.Pix {
			img.Pix[i] = 0 // transparent black: must come out white
		}
		files, err := AvatarImages(img)
		if err != nil {
			t.Fatalf("%d×%d: %v", c.w, c.h, err)
		}
		for i, f := range files {
			got, err := jpeg.Decode(bytes.NewReader(f))
			if err != nil {
				t.Fatalf("%d×%d %s: %v", c.w, c.h, AvatarSizes[i], err)
			}
			if b := got.Bounds(); b.Dx() != c.want[i][0] || b.Dy() != c.want[i][1] {
				t.Errorf("%d×%d %s: %d×%d, want %v", c.w, c.h, AvatarSizes[i], b.Dx(), b.Dy(), c.want[i])
			}
			r, g, b, _ := got.At(got.Bounds().Dx()/2, got.Bounds().Dy()/2).RGBA()
			if r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
				t.Errorf("%d×%d %s: transparent did not become white", c.w, c.h, AvatarSizes[i])
			}
		}
	}
	// A colour survives the scaling.
	img := image.NewRGBA(image.Rect(0, 0, 640, 640))
	for y := 0; y < 640; y++ {
		for x := 0; x < 640; x++ {
			img.Set(x, y, color.RGBA{0x12, 0xB7, 0xF5, 255})
		}
	}
	files, _ := AvatarImages(img)
	got, _ := jpeg.Decode(bytes.NewReader(files[2]))
	if r, g, b, _ := got.At(24, 24).RGBA(); absDiff(r>>8, 0x12) > 4 || absDiff(g>>8, 0xB7) > 4 || absDiff(b>>8, 0xF5) > 4 {
		t.Errorf("colour changed: %x %x %x", r>>8, g>>8, b>>8)
	}
	if _, err := AvatarImages(image.NewRGBA(image.Rect(0, 0, 9, 40))); !errors.Is(err, ErrAvatarTooSmall) {
		t.Errorf("9×40 picture: %v, want ErrAvatarTooSmall", err)
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
