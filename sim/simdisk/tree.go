package simdisk

import (
	"path"
	"slices"
	"strings"
)

// node is a directory entry: a directory (children != nil) or a file.
type node struct {
	name     string
	children map[string]*node
	// durable are the entries as of the directory's last SyncDir; only
	// Options.MetadataNeedsSyncDir uses them.
	durable map[string]*node
	file    *file
}

func newDir(name string) *node {
	return &node{name: name, children: map[string]*node{}, durable: map[string]*node{}}
}

func (n *node) isDir() bool { return n.children != nil }

// sortedNames lists a directory's children in name order; every walk uses
// it so map order never decides anything.
func (n *node) sortedNames() []string {
	names := make([]string, 0, len(n.children))
	for name := range n.children {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// clean turns a node's path into an absolute, cleaned one: relative paths
// are relative to the data root "/".
func clean(name string) string {
	return path.Clean("/" + name)
}

// split returns the components of a cleaned absolute path ("/" has none).
func split(p string) []string {
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// lookup finds the node at cleaned path p.
func (d *Disk) lookup(p string) (*node, error) {
	n := d.root
	for _, c := range split(p) {
		if !n.isDir() {
			return nil, ErrNotDir
		}
		child, ok := n.children[c]
		if !ok {
			return nil, errNotExist
		}
		n = child
	}
	return n, nil
}

// parent finds the directory that holds cleaned path p, and p's base name.
func (d *Disk) parent(p string) (*node, string, error) {
	if p == "/" {
		return nil, "", ErrInvalid
	}
	dir, base := path.Split(p)
	n, err := d.lookup(path.Clean(dir))
	if err != nil {
		return nil, "", err
	}
	if !n.isDir() {
		return nil, "", ErrNotDir
	}
	return n, base, nil
}

// walkFiles calls fn for every file under the root in path order.
func (d *Disk) walkFiles(fn func(p string, f *file)) {
	walk(d.root, "/", fn)
}

func walk(n *node, p string, fn func(string, *file)) {
	if n.file != nil {
		fn(p, n.file)
		return
	}
	for _, name := range n.sortedNames() {
		walk(n.children[name], path.Join(p, name), fn)
	}
}

// rollback makes every directory's entries what its last SyncDir saw, for
// a power loss under MetadataNeedsSyncDir. An entry reachable twice (a
// rename whose source and destination were synced at different times) is
// kept at its first path in path order only, so the tree stays a tree.
func (d *Disk) rollback() {
	seen := map[*node]bool{d.root: true}
	var visit func(n *node)
	visit = func(n *node) {
		n.children = make(map[string]*node, len(n.durable))
		for name, c := range n.durable {
			n.children[name] = c
		}
		for _, name := range n.sortedNames() {
			c := n.children[name]
			if seen[c] {
				delete(n.children, name)
				delete(n.durable, name)
				continue
			}
			seen[c] = true
			c.name = name
			if c.isDir() {
				visit(c)
			}
		}
	}
	visit(d.root)
}

// treeSize is the cached size of all files under n.
func treeSize(n *node) int64 {
	var s int64
	walk(n, "/", func(_ string, f *file) { s += f.size() })
	return s
}

// unlinkTree marks every file under n as no longer counted in Used.
func unlinkTree(n *node) {
	walk(n, "/", func(_ string, f *file) { f.linked = false })
}
