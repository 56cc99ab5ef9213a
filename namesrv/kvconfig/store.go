// Package kvconfig is the name server's KV configuration: namespaces of
// string keys and values (ORDER_TOPIC_CONFIG among them) that operators put
// with mqadmin and that survive restarts in one JSON file, as Java's
// KVConfigManager keeps kvConfig.json.
package kvconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"

	"rocketsim/runtime"
)

// NamespaceOrderTopicConfig holds per-topic order configuration
// ("brokerName:queueNums;..."), served in routes when ordering is enabled and
// to brokers in the register response.
const NamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG"

// FileSizeMax bounds the config file we read back; a larger file is refused
// rather than loaded into memory.
const FileSizeMax = 64 << 20

// Store holds the namespaces and writes them through to one file.
type Store struct {
	fs    runtime.FS
	path  string
	table map[string]map[string]string
}

// Open loads the store from file p on fs; a missing file is an empty store.
func Open(fs runtime.FS, p string) (*Store, error) {
	s := &Store{fs: fs, path: p, table: map[string]map[string]string{}}
	f, err := fs.Open(p, runtime.ReadOnly)
	if errors.Is(err, runtime.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open kv config %s: %w", p, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("stat kv config %s: %w", p, err)
	}
	if size > FileSizeMax {
		return nil, fmt.Errorf("kv config %s: %d bytes exceeds %d", p, size, FileSizeMax)
	}
	data := make([]byte, size)
	if n, err := f.ReadAt(data, 0); err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return nil, fmt.Errorf("read kv config %s: %w", p, err)
	}
	var v struct {
		ConfigTable map[string]map[string]string `json:"configTable"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("parse kv config %s: %w", p, err)
	}
	for ns, kv := range v.ConfigTable {
		if kv != nil {
			s.table[ns] = kv
		}
	}
	return s, nil
}

// Get returns the value of key in namespace.
func (s *Store) Get(namespace, key string) (string, bool) {
	v, ok := s.table[namespace][key]
	return v, ok
}

// List returns a copy of a namespace; false when it does not exist.
func (s *Store) List(namespace string) (map[string]string, bool) {
	kv, ok := s.table[namespace]
	if !ok {
		return nil, false
	}
	return maps.Clone(kv), true
}

// Put sets key in namespace and persists the store. On a persist error the
// value stays set in memory (as Java's does) and the error says it is not
// durable.
func (s *Store) Put(namespace, key, value string) error {
	kv := s.table[namespace]
	if kv == nil {
		kv = map[string]string{}
		s.table[namespace] = kv
	}
	kv[key] = value
	return s.persist()
}

// Delete removes key from namespace and persists the store. The namespace
// stays, possibly empty, as in Java.
func (s *Store) Delete(namespace, key string) error {
	if kv, ok := s.table[namespace]; ok {
		delete(kv, key)
	}
	return s.persist()
}

// persist writes the whole table to a temporary file, syncs it and renames
// it over the old one, so a crash leaves either the old or the new table.
func (s *Store) persist() error {
	data := encodeTable(s.table)
	dir := path.Dir(s.path)
	if err := s.fs.MkdirAll(dir); err != nil {
		return fmt.Errorf("persist kv config: %w", err)
	}
	tmp := s.path + ".tmp"
	f, err := s.fs.Open(tmp, runtime.ReadWrite|runtime.Create)
	if err != nil {
		return fmt.Errorf("persist kv config: %w", err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return fmt.Errorf("persist kv config: truncate %s: %w", tmp, err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return fmt.Errorf("persist kv config: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("persist kv config: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("persist kv config: close %s: %w", tmp, err)
	}
	if err := s.fs.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("persist kv config: %w", err)
	}
	if err := s.fs.SyncDir(dir); err != nil {
		return fmt.Errorf("persist kv config: sync dir %s: %w", dir, err)
	}
	return nil
}

// encodeTable writes {"configTable":{ns:{k:v}}} with sorted keys, so the
// file's bytes are deterministic.
func encodeTable(t map[string]map[string]string) []byte {
	out := []byte(`{"configTable":{`)
	for i, ns := range slices.Sorted(maps.Keys(t)) {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendString(out, ns)
		out = append(out, ":{"...)
		for j, k := range slices.Sorted(maps.Keys(t[ns])) {
			if j > 0 {
				out = append(out, ',')
			}
			out = appendString(out, k)
			out = append(out, ':')
			out = appendString(out, t[ns][k])
		}
		out = append(out, '}')
	}
	return append(out, "}}"...)
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
