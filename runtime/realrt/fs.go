package realrt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"rocketsim/runtime"
)

// fsys is the node's disk: the operating system's file system under
// Options.DataDir. Relative names (forward slashes) are joined to DataDir;
// absolute names are used as they are, so a broker configured with
// storePathRootDir=/data/store writes exactly there.
type fsys struct {
	rt   *Runtime
	root string
}

var _ runtime.FS = (*fsys)(nil)

// path turns a runtime name into an OS path.
func (s *fsys) path(name string) string {
	p := filepath.FromSlash(name)
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.root, p)
}

// Open opens name (loop only, since the runtime tracks open files to close
// them at Stop).
func (s *fsys) Open(name string, flag runtime.OpenFlag) (runtime.File, error) {
	osflag := os.O_RDONLY
	if flag&runtime.ReadWrite != 0 {
		osflag = os.O_RDWR
	}
	if flag&runtime.Create != 0 {
		osflag |= os.O_CREATE
		if flag&runtime.Exclusive != 0 {
			osflag |= os.O_EXCL
		}
	}
	f, err := os.OpenFile(s.path(name), osflag, 0o644)
	if err != nil {
		return nil, fsError("open", name, err)
	}
	file := &file{rt: s.rt, f: f, name: name}
	s.rt.files[file] = struct{}{}
	return file, nil
}

// Remove removes a file or an empty directory.
func (s *fsys) Remove(name string) error {
	size := s.capSize(name)
	if err := os.Remove(s.path(name)); err != nil {
		return fsError("remove", name, err)
	}
	s.rt.diskFault.released(size)
	return nil
}

// RemoveAll removes a tree; a missing path is not an error.
func (s *fsys) RemoveAll(name string) error {
	var size int64
	if s.rt.diskFault.limited.Load() {
		size = treeSize(s.path(name))
	}
	if err := os.RemoveAll(s.path(name)); err != nil {
		return fsError("remove all", name, err)
	}
	s.rt.diskFault.released(size)
	return nil
}

// Rename renames from to to, replacing to if it exists.
func (s *fsys) Rename(from, to string) error {
	var replaced int64
	if s.path(from) != s.path(to) {
		replaced = s.capSize(to)
	}
	if err := os.Rename(s.path(from), s.path(to)); err != nil {
		return fsError("rename", from+" -> "+to, err)
	}
	s.rt.diskFault.released(replaced)
	return nil
}

// capSize is the size of the regular file name while a disk-full cap is in
// force (the bytes its removal gives back), else 0.
func (s *fsys) capSize(name string) int64 {
	if !s.rt.diskFault.limited.Load() {
		return 0
	}
	fi, err := os.Lstat(s.path(name))
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	return fi.Size()
}

// MkdirAll creates dir and its parents.
func (s *fsys) MkdirAll(dir string) error {
	return fsError("mkdir", dir, os.MkdirAll(s.path(dir), 0o755))
}

// List returns the names in dir, sorted.
func (s *fsys) List(dir string) ([]string, error) {
	entries, err := os.ReadDir(s.path(dir)) // sorted by name
	if err != nil {
		return nil, fsError("list", dir, err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// Stat describes name.
func (s *fsys) Stat(name string) (runtime.FileInfo, error) {
	fi, err := os.Stat(s.path(name))
	if err != nil {
		return runtime.FileInfo{}, fsError("stat", name, err)
	}
	return runtime.FileInfo{Name: fi.Name(), Size: fi.Size(), IsDir: fi.IsDir()}, nil
}

// SyncDir fsyncs the directory so that entries created, renamed or removed
// in it survive a power loss.
func (s *fsys) SyncDir(dir string) error {
	d, err := os.Open(s.path(dir))
	if err != nil {
		return fsError("sync dir", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return syncError("sync dir", dir, err)
	}
	return nil
}

// Usage reports the capacity of the volume holding dir.
func (s *fsys) Usage(dir string) (runtime.Usage, error) {
	if d := &s.rt.diskFault; d.limited.Load() {
		d.capMu.Lock()
		defer d.capMu.Unlock()
		return runtime.Usage{Total: uint64(d.capTotal), Free: uint64(max(0, d.capTotal-d.capUsed))}, nil
	}
	u, err := volumeUsage(s.path(dir))
	if err != nil {
		return runtime.Usage{}, fsError("usage", dir, err)
	}
	return u, nil
}

// fsError wraps an OS error with the runtime's sentinel for it, keeping the
// OS error in the chain too. nil stays nil.
func fsError(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var sentinel error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		sentinel = runtime.ErrNotExist
	case errors.Is(err, fs.ErrExist):
		sentinel = runtime.ErrExist
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		sentinel = runtime.ErrNoSpace
	case errors.Is(err, syscall.EIO):
		sentinel = runtime.ErrIO
	default:
		return fmt.Errorf("realrt: %s %s: %w", op, name, err)
	}
	return fmt.Errorf("realrt: %s %s: %w: %w", op, name, sentinel, err)
}

// syncError maps an fsync failure. Whatever the errno, the data's
// durability is unknown afterwards (Linux may have dropped the dirty pages),
// so it is ErrIO unless the disk is full.
func syncError(op, name string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("realrt: %s %s: %w: %w", op, name, runtime.ErrNoSpace, err)
	}
	return fmt.Errorf("realrt: %s %s: %w: %w", op, name, runtime.ErrIO, err)
}
