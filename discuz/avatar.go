package discuz

// UCenter's avatar files: where they live, how they are named, and writing
// them as UCenter's rectavatar does (uc_server/control/user.php).

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
)

// AvatarSizes are UCenter's three avatar files, in rectavatar's order
// (avatar1, avatar2, avatar3).
var AvatarSizes = []string{"big", "middle", "small"}

// AvatarHome is get_home($uid): the uid zero-padded to 9 digits, cut
// 3/2/2 into directories ("000/00/00").
func AvatarHome(uid int64) string {
	s := fmt.Sprintf("%09d", max(uid, -uid))
	return s[0:3] + "/" + s[3:5] + "/" + s[5:7]
}

// AvatarFile is get_avatar($uid, $size) for the virtual avatar (the one
// Discuz shows): "000/00/00/01_avatar_big.jpg".
func AvatarFile(uid int64, size string) string {
	s := fmt.Sprintf("%09d", max(uid, -uid))
	return AvatarHome(uid) + "/" + s[len(s)-2:] + "_avatar_" + size + ".jpg"
}

// AvatarDir says where a forum keeps its avatar files, as its own code
// decides: X3.5 in UCenter's standalone mode (UC_STANDALONE) writes them
// under the forum itself (api/avatar/index.php: DISCUZ_ROOT + UC_AVTPATH
// without "..", default ./data/avatar/); otherwise UCenter's avatar.php
// reads dirname(__FILE__)/data/avatar, and Discuz installs UCenter as
// <root>/uc_server. dir is "" when neither holds; why says what was found,
// for the admin.
func AvatarDir(root, version string, uc *UCenterConfig) (dir, why string) {
	if root == "" {
		return "", "未设置 QQCONNECT_DISCUZ_ROOT，qqconnect 不知道论坛目录 / QQCONNECT_DISCUZ_ROOT is not set: qqconnect does not know the forum's directory"
	}
	// X3.4 and older ignore UC_STANDALONE; only X3.5's uc_client has it.
	v := strings.ToUpper(strings.TrimSpace(version))
	if uc != nil && uc.Standalone && !IsCloudEra(v) && !strings.HasPrefix(v, "X3.4") {
		p := strings.ReplaceAll(uc.AvatarPath, "..", "")
		if p == "" {
			p = "./data/avatar/"
		}
		return filepath.Join(root, p), "UCenter 独立模式（UC_STANDALONE）：头像在论坛目录下 / UCenter standalone mode (UC_STANDALONE): avatars live under the forum"
	}
	ucRoot := filepath.Join(root, "uc_server")
	if _, err := os.Stat(filepath.Join(ucRoot, "avatar.php")); err != nil {
		return "", "论坛目录下没有 uc_server/avatar.php：UCenter 装在别处，qqconnect 无法写入它的头像目录 / " +
			"there is no uc_server/avatar.php under the forum: UCenter is installed elsewhere and qqconnect cannot reach its avatar directory"
	}
	return filepath.Join(ucRoot, "data", "avatar"), "UCenter 的头像目录（uc_server/data/avatar）/ UCenter's avatar directory (uc_server/data/avatar)"
}

// AvatarStore writes and reads the avatar files under one directory.
type AvatarStore struct {
	Dir string
}

// ErrAvatarExists is a file of the member's avatar that is already there:
// qqconnect never replaces an avatar.
var ErrAvatarExists = errors.New("the member already has an avatar file")

// Check reports why files cannot be written to the avatar directory: it
// must exist, be a directory, and take a new file (which is removed again).
func (s *AvatarStore) Check() error {
	fi, err := os.Stat(s.Dir)
	if err != nil {
		return fmt.Errorf("avatar directory %s: %w", s.Dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("avatar directory %s is not a directory", s.Dir)
	}
	f, err := os.CreateTemp(s.Dir, ".qqconnect-check-*")
	if err != nil {
		return fmt.Errorf("avatar directory %s is not writable: %w", s.Dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("avatar directory %s: remove the test file: %w", s.Dir, err)
	}
	return nil
}

// Has reports whether any of the member's three avatar files exists (the
// file Discuz's avatar() and uc_check_avatar look at; any one counts, so a
// member's own picture is never replaced).
func (s *AvatarStore) Has(uid int64) bool {
	for _, size := range AvatarSizes {
		if _, err := os.Lstat(filepath.Join(s.Dir, filepath.FromSlash(AvatarFile(uid, size)))); err == nil || !errors.Is(err, iofs.ErrNotExist) {
			return true // a file, or one that cannot be checked: leave it alone
		}
	}
	return false
}

// Write puts the three JPEG files of uid in place, in AvatarSizes order.
// The directories are made as UCenter's set_home makes them (with an empty
// index.htm in each new one). Each file is written to a temporary name in
// its final directory and then linked to its name, which fails rather than
// replaces a file that appeared meanwhile (ErrAvatarExists). A failure
// removes what this call put in place, so no member is left with part of
// an avatar. New files and directories get the avatar directory's owner,
// group and permission bits (0644/0755 style, the write bits it has), as if
// UCenter, which writes there as the web server's user, had made them.
func (s *AvatarStore) Write(uid int64, files [][]byte) error {
	if len(files) != len(AvatarSizes) {
		return fmt.Errorf("write avatar of uid %d: %d files, want %d", uid, len(files), len(AvatarSizes))
	}
	fi, err := os.Stat(s.Dir)
	if err != nil {
		return fmt.Errorf("avatar directory: %w", err)
	}
	like := ownerOf(fi)
	home := filepath.Join(s.Dir, filepath.FromSlash(AvatarHome(uid)))
	if err := s.makeHome(home, fi.Mode().Perm(), like); err != nil {
		return fmt.Errorf("write avatar of uid %d: %w", uid, err)
	}
	fileMode := fi.Mode().Perm() &^ 0o111 // rw where the directory is writable
	var placed []string
	undo := func() {
		for _, p := range placed {
			_ = os.Remove(p)
		}
	}
	for i, size := range AvatarSizes {
		final := filepath.Join(s.Dir, filepath.FromSlash(AvatarFile(uid, size)))
		if err := placeFile(final, files[i], fileMode, like); err != nil {
			undo()
			if errors.Is(err, iofs.ErrExist) {
				return fmt.Errorf("write avatar of uid %d: %s: %w", uid, size, ErrAvatarExists)
			}
			return fmt.Errorf("write avatar of uid %d: %s: %w", uid, size, err)
		}
		placed = append(placed, final)
	}
	return nil
}

// Remove deletes the member's three files (what Write put in place), as
// uc_user_deleteavatar does; missing files are no error.
func (s *AvatarStore) Remove(uid int64) error {
	var first error
	for _, size := range AvatarSizes {
		err := os.Remove(filepath.Join(s.Dir, filepath.FromSlash(AvatarFile(uid, size))))
		if err != nil && !errors.Is(err, iofs.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

// makeHome creates the three levels below the avatar directory that are
// missing, each with an empty index.htm, as set_home does.
func (s *AvatarStore) makeHome(home string, perm os.FileMode, like owner) error {
	rel, err := filepath.Rel(s.Dir, home)
	if err != nil {
		return err
	}
	dir := s.Dir
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		dir = filepath.Join(dir, part)
		err := os.Mkdir(dir, perm)
		if errors.Is(err, iofs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		_ = os.Chmod(dir, perm) // Mkdir applied the umask; UCenter's dirs keep 0777 & umask, the parent's bits are the closer match
		like.apply(dir)
		index := filepath.Join(dir, "index.htm")
		if f, err := os.OpenFile(index, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm&^0o111); err == nil {
			f.Close()
			_ = os.Chmod(index, perm&^0o111)
			like.apply(index)
		}
	}
	return nil
}

// placeFile writes data under a temporary name beside final, then links it
// to final (never replacing a file there) and removes the temporary name.
func placeFile(final string, data []byte, mode os.FileMode, like owner) error {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(final), ".qqconnect-"+hex.EncodeToString(rnd[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return werr
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	like.apply(tmp)
	err = os.Link(tmp, final)
	if err == nil || errors.Is(err, iofs.ErrExist) {
		return err
	}
	// A filesystem without hard links: check, then rename (a far smaller
	// window than the whole import).
	if _, serr := os.Lstat(final); serr == nil {
		return iofs.ErrExist
	}
	return os.Rename(tmp, final)
}
