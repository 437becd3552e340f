//go:build unix

package discuz

import (
	"os"
	"syscall"
)

// owner is a file's uid and gid; ok is false where they are not known.
type owner struct {
	uid, gid int
	ok       bool
}

func ownerOf(fi os.FileInfo) owner {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return owner{uid: int(st.Uid), gid: int(st.Gid), ok: true}
	}
	return owner{}
}

// apply gives path the owner where this process may (root may; another
// user keeps its own, and then the group or world write bits copied from
// the directory are what let UCenter replace the file later).
func (o owner) apply(path string) {
	if !o.ok || (o.uid == os.Geteuid() && o.gid == os.Getegid()) {
		return
	}
	_ = os.Lchown(path, o.uid, o.gid)
}
