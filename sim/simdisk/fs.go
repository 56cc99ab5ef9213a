package simdisk

import (
	"fmt"
	"strings"

	"rocketsim/runtime"
)

// fsView is a node's runtime.FS over a Disk.
type fsView struct{ d *Disk }

var _ runtime.FS = fsView{}

func pathErr(op, p string, err error) error {
	return fmt.Errorf("simdisk: %s %s: %w", op, p, err)
}

func (v fsView) Open(name string, flag runtime.OpenFlag) (runtime.File, error) {
	d, p := v.d, clean(name)
	n, err := d.lookup(p)
	switch {
	case err == errNotExist && flag&runtime.Create != 0:
		dir, base, err := d.parent(p)
		if err != nil {
			return nil, pathErr("open", p, err)
		}
		n = &node{name: base, file: newFile()}
		dir.children[base] = n
	case err != nil:
		return nil, pathErr("open", p, err)
	case flag&runtime.Create != 0 && flag&runtime.Exclusive != 0:
		return nil, pathErr("open", p, errExist)
	case n.isDir():
		return nil, pathErr("open", p, ErrIsDir)
	}
	return &handle{d: d, f: n.file, name: name, epoch: d.epoch, writable: flag&runtime.ReadWrite != 0}, nil
}

// Remove deletes a file or an empty directory; it is durable at once.
func (v fsView) Remove(name string) error {
	d, p := v.d, clean(name)
	dir, base, err := d.parent(p)
	if err != nil {
		return pathErr("remove", p, err)
	}
	n, ok := dir.children[base]
	switch {
	case !ok:
		return pathErr("remove", p, errNotExist)
	case n.isDir() && len(n.children) > 0:
		return pathErr("remove", p, ErrNotEmpty)
	}
	d.unlink(dir, base)
	return nil
}

// RemoveAll deletes a tree; a missing path is not an error.
func (v fsView) RemoveAll(name string) error {
	d, p := v.d, clean(name)
	if p == "/" {
		for _, c := range d.root.sortedNames() {
			d.unlink(d.root, c)
		}
		return nil
	}
	dir, base, err := d.parent(p)
	if err == errNotExist {
		return nil
	}
	if err != nil {
		return pathErr("remove all", p, err)
	}
	if _, ok := dir.children[base]; ok {
		d.unlink(dir, base)
	}
	return nil
}

// unlink removes dir's entry base and everything under it from Used.
func (d *Disk) unlink(dir *node, base string) {
	n := dir.children[base]
	d.used -= treeSize(n)
	unlinkTree(n)
	delete(dir.children, base)
}

// Rename moves an entry atomically, replacing a file or an empty directory
// at the target; it is durable at once.
func (v fsView) Rename(from, to string) error {
	d, pf, pt := v.d, clean(from), clean(to)
	op := "rename " + pf + " to"
	sdir, sbase, err := d.parent(pf)
	if err != nil {
		return pathErr(op, pt, err)
	}
	src, ok := sdir.children[sbase]
	if !ok {
		return pathErr(op, pt, errNotExist)
	}
	if pf == pt {
		return nil
	}
	if src.isDir() && strings.HasPrefix(pt, pf+"/") {
		return pathErr(op, pt, ErrInvalid)
	}
	tdir, tbase, err := d.parent(pt)
	if err != nil {
		return pathErr(op, pt, err)
	}
	if dst, ok := tdir.children[tbase]; ok {
		switch {
		case dst.isDir() && !src.isDir():
			return pathErr(op, pt, ErrIsDir)
		case !dst.isDir() && src.isDir():
			return pathErr(op, pt, ErrNotDir)
		case dst.isDir() && len(dst.children) > 0:
			return pathErr(op, pt, ErrNotEmpty)
		}
		d.unlink(tdir, tbase)
	}
	delete(sdir.children, sbase)
	src.name = tbase
	tdir.children[tbase] = src
	return nil
}

func (v fsView) MkdirAll(dir string) error {
	d, p := v.d, clean(dir)
	n := d.root
	for _, c := range split(p) {
		child, ok := n.children[c]
		if !ok {
			child = newDir(c)
			n.children[c] = child
		}
		if !child.isDir() {
			return pathErr("mkdir", p, ErrNotDir)
		}
		n = child
	}
	return nil
}

func (v fsView) List(dir string) ([]string, error) {
	n, _, err := v.dir("list", dir)
	if err != nil {
		return nil, err
	}
	return n.sortedNames(), nil
}

// dir looks up a directory for the operations that need one.
func (v fsView) dir(op, name string) (*node, string, error) {
	p := clean(name)
	n, err := v.d.lookup(p)
	if err != nil {
		return nil, p, pathErr(op, p, err)
	}
	if !n.isDir() {
		return nil, p, pathErr(op, p, ErrNotDir)
	}
	return n, p, nil
}

func (v fsView) Stat(name string) (runtime.FileInfo, error) {
	p := clean(name)
	n, err := v.d.lookup(p)
	if err != nil {
		return runtime.FileInfo{}, pathErr("stat", p, err)
	}
	if n.isDir() {
		return runtime.FileInfo{Name: n.name, IsDir: true}, nil
	}
	return runtime.FileInfo{Name: n.name, Size: n.file.size()}, nil
}

// SyncDir is a no-op (metadata is journaled) that is counted, so tests can
// check that code calls it where a real disk would need it.
func (v fsView) SyncDir(dir string) error {
	if _, _, err := v.dir("sync dir", dir); err != nil {
		return err
	}
	n, _, _ := v.dir("sync dir", dir)
	n.durable = make(map[string]*node, len(n.children))
	for name, c := range n.children {
		n.durable[name] = c
	}
	v.d.syncDirs++
	return nil
}

func (v fsView) Usage(dir string) (runtime.Usage, error) {
	if _, _, err := v.dir("usage", dir); err != nil {
		return runtime.Usage{}, err
	}
	return runtime.Usage{Total: uint64(v.d.opts.Capacity), Free: uint64(v.d.free())}, nil
}
