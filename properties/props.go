// Package properties reads Java .properties files, the format RocketMQ uses
// for broker.conf and namesrv.properties, and binds them onto Go structs.
//
// Parsing follows java.util.Properties.load, so a file that Apache RocketMQ
// accepts reads the same here. Unlike Java, Props remembers the order of the
// keys and the line each came from, so every error can name file:line and key.
package properties

import (
	"sort"
	"strconv"
)

// Entry is one key=value pair as it appeared in the file.
type Entry struct {
	Key   string
	Value string
	// Line is the 1-based line on which the logical line starts (a value
	// continued with trailing backslashes spans several physical lines).
	Line int
}

// Props is a parsed properties file. A key set twice keeps its first
// position and takes the later value and line, as Java's last-wins load does.
type Props struct {
	// Name is where the properties came from (a file path, "-n flag", ...);
	// it prefixes every error message.
	Name    string
	entries []Entry
	index   map[string]int
	// sources names where keys set by SetFrom came from ("-n flag").
	sources map[string]string
}

// New returns an empty Props named name.
func New(name string) *Props {
	return &Props{Name: name, index: map[string]int{}}
}

// Set adds key or replaces its value. line is 0 for values that did not come
// from a file (command-line overrides, defaults).
func (p *Props) Set(key, value string, line int) {
	delete(p.sources, key)
	if i, ok := p.index[key]; ok {
		p.entries[i].Value = value
		p.entries[i].Line = line
		return
	}
	p.index[key] = len(p.entries)
	p.entries = append(p.entries, Entry{Key: key, Value: value, Line: line})
}

// SetFrom sets key from somewhere other than the file, such as a
// command-line flag; errors about the key then name source instead of a line.
func (p *Props) SetFrom(key, value, source string) {
	p.Set(key, value, 0)
	if p.sources == nil {
		p.sources = map[string]string{}
	}
	p.sources[key] = source
}

// Get returns the value of key and whether it is set.
func (p *Props) Get(key string) (string, bool) {
	i, ok := p.index[key]
	if !ok {
		return "", false
	}
	return p.entries[i].Value, true
}

// Lookup returns the entry for key and whether it is set.
func (p *Props) Lookup(key string) (Entry, bool) {
	i, ok := p.index[key]
	if !ok {
		return Entry{}, false
	}
	return p.entries[i], true
}

// Delete removes key; it reports whether it was set.
func (p *Props) Delete(key string) bool {
	i, ok := p.index[key]
	if !ok {
		return false
	}
	p.entries = append(p.entries[:i], p.entries[i+1:]...)
	delete(p.index, key)
	delete(p.sources, key)
	for j := i; j < len(p.entries); j++ {
		p.index[p.entries[j].Key] = j
	}
	return true
}

// Len is the number of distinct keys.
func (p *Props) Len() int { return len(p.entries) }

// Entries returns the entries in file order. The slice is a copy.
func (p *Props) Entries() []Entry {
	return append([]Entry(nil), p.entries...)
}

// Keys returns the keys in file order.
func (p *Props) Keys() []string {
	keys := make([]string, len(p.entries))
	for i, e := range p.entries {
		keys[i] = e.Key
	}
	return keys
}

// SortedKeys returns the keys in lexical order.
func (p *Props) SortedKeys() []string {
	keys := p.Keys()
	sort.Strings(keys)
	return keys
}

// Where names the place key came from: "file:line", the source given to
// SetFrom, or just the Props name when the key has no line or is not set.
func (p *Props) Where(key string) string {
	if src, ok := p.sources[key]; ok {
		return src
	}
	e, ok := p.Lookup(key)
	if !ok || e.Line == 0 {
		return p.Name
	}
	return p.Name + ":" + strconv.Itoa(e.Line)
}
