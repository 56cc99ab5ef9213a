package table

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"rocketsim/broker/config/jsonfile"
	"rocketsim/runtime"
)

// Clock is what a table needs of time: the node's wall clock, for
// DataVersion timestamps.
type Clock interface{ Now() time.Time }

// Spec says which file a table lives in and how its entries are named.
type Spec[V any] struct {
	// Path is the table's file (topics.json, subscriptionGroup.json).
	Path string
	// Field is the JSON name of the entry map beside "dataVersion":
	// "topicConfigTable", "subscriptionGroupTable".
	Field string
	// What names the table in errors and logs ("topic table").
	What string
	// Name points at an entry's own name field. Every entry is stored under
	// its own name; a file entry with an empty name takes its key (older
	// files omit it), and one whose name differs from its key is corruption.
	Name func(*V) *string
}

// Persisted is a named table with its DataVersion and file. It lives on the
// owner's event loop: no locks, no goroutines. Put and Remove change memory
// only; Changed stamps a new version and writes the file, so an owner makes
// all the changes one request implies and then calls Changed once.
type Persisted[V any] struct {
	fs      runtime.FS
	clock   Clock
	log     *slog.Logger
	spec    Spec[V]
	entries map[string]V
	version DataVersion
}

// Open builds a table from its built-in entries (a broker's system topics
// or groups) and then its file, as RocketMQ loads a ConfigManager file over
// the built-in entries: each file entry replaces the built-in one of its
// name, and the file's version becomes the table's. The file is read from
// its .bak (with a warning) when it is missing or corrupt. No file at all
// is a first start: the built-ins alone, versioned now. No valid copy is
// an error, since a broker must not silently start without its
// configuration. A nil log discards.
func Open[V any](fs runtime.FS, clock Clock, spec Spec[V], builtIn []V, log *slog.Logger) (*Persisted[V], error) {
	if spec.Path == "" || spec.Field == "" || spec.Name == nil {
		panic(fmt.Sprintf("table %q: path, field and name accessor are required", spec.What))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Persisted[V]{
		fs: fs, clock: clock, log: log, spec: spec,
		entries: make(map[string]V, len(builtIn)),
		version: DataVersion{Timestamp: clock.Now().UnixMilli()},
	}
	for _, v := range builtIn {
		p.Put(v)
	}
	if err := p.load(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Persisted[V]) load() error {
	data, from, err := jsonfile.Read(p.fs, p.spec.Path, func(b []byte) error {
		_, _, err := p.decode(b)
		return err
	})
	switch {
	case errors.Is(err, runtime.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", p.spec.What, err)
	}
	version, entries, err := p.decode(data)
	if err != nil {
		panic(fmt.Sprintf("%s: %s passed validation but does not decode: %v", p.spec.What, from, err))
	}
	maps.Copy(p.entries, entries)
	p.version = version
	if from != p.spec.Path {
		p.log.Warn(p.spec.What+" read from backup", slog.String("path", from))
	}
	return nil
}

// decode parses a table file. The two keys are matched exactly, as RocketMQ
// writes them; everything else in the object is ignored.
func (p *Persisted[V]) decode(b []byte) (DataVersion, map[string]V, error) {
	var (
		top     map[string]json.RawMessage
		version DataVersion
		entries map[string]V
	)
	if err := json.Unmarshal(b, &top); err != nil {
		return version, nil, err
	}
	if raw, ok := top["dataVersion"]; ok {
		if err := json.Unmarshal(raw, &version); err != nil {
			return version, nil, fmt.Errorf("dataVersion: %w", err)
		}
	}
	if raw, ok := top[p.spec.Field]; ok {
		if err := json.Unmarshal(raw, &entries); err != nil {
			return version, nil, fmt.Errorf("%s: %w", p.spec.Field, err)
		}
	}
	for key, v := range entries {
		name := p.spec.Name(&v)
		if *name == "" {
			*name = key
			entries[key] = v
		}
		if *name != key {
			return version, nil, fmt.Errorf("entry %q holds %q", key, *name)
		}
	}
	return version, entries, nil
}

// EncodeCompact returns the table as one line of JSON, keys sorted so the
// same table always encodes to the same bytes: the body of the GET_ALL_*
// requests and of a broker registration. dataVersion comes first, where
// fastjson's alphabetical order puts it.
func (p *Persisted[V]) EncodeCompact() ([]byte, error) {
	version, err := json.Marshal(p.version)
	if err != nil {
		return nil, fmt.Errorf("%s: encode version: %w", p.spec.What, err)
	}
	field, err := json.Marshal(p.spec.Field)
	if err != nil {
		return nil, fmt.Errorf("%s: encode field name: %w", p.spec.What, err)
	}
	entries, err := json.Marshal(p.entries)
	if err != nil {
		return nil, fmt.Errorf("%s: encode entries: %w", p.spec.What, err)
	}
	var b bytes.Buffer
	b.Grow(len(`{"dataVersion":,:}`) + len(version) + len(field) + len(entries))
	b.WriteString(`{"dataVersion":`)
	b.Write(version)
	b.WriteByte(',')
	b.Write(field)
	b.WriteByte(':')
	b.Write(entries)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Encode returns the table as its file holds it: EncodeCompact indented
// with tabs (exactly what json.MarshalIndent would write).
func (p *Persisted[V]) Encode() ([]byte, error) {
	compact, err := p.EncodeCompact()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "\t"); err != nil {
		panic(fmt.Sprintf("%s: our own encoding does not indent: %v", p.spec.What, err))
	}
	return b.Bytes(), nil
}

// Persist writes the file now, keeping the previous one as .bak.
func (p *Persisted[V]) Persist() error {
	data, err := p.Encode()
	if err != nil {
		return err
	}
	if err := jsonfile.Write(p.fs, p.spec.Path, data); err != nil {
		return fmt.Errorf("%s: %w", p.spec.What, err)
	}
	return nil
}

// Changed bumps the version with the clock and persists. A failed write
// keeps the change in memory (as RocketMQ does) and returns the error; the
// next successful write persists it.
func (p *Persisted[V]) Changed() error {
	p.version.Next(p.clock.Now())
	return p.Persist()
}

// Get returns the entry named name.
func (p *Persisted[V]) Get(name string) (V, bool) {
	v, ok := p.entries[name]
	return v, ok
}

// Put stores v under its own name, replacing any entry of that name, in
// memory only. An entry without a name is a caller's bug.
func (p *Persisted[V]) Put(v V) {
	name := *p.spec.Name(&v)
	if name == "" {
		panic(fmt.Sprintf("%s: entry without a name: %+v", p.spec.What, v))
	}
	p.entries[name] = v
}

// Remove deletes the entry named name, in memory only; it reports whether
// there was one.
func (p *Persisted[V]) Remove(name string) bool {
	if _, ok := p.entries[name]; !ok {
		return false
	}
	delete(p.entries, name)
	return true
}

// Len is the number of entries.
func (p *Persisted[V]) Len() int { return len(p.entries) }

// Names returns every entry's name, sorted.
func (p *Persisted[V]) Names() []string { return slices.Sorted(maps.Keys(p.entries)) }

// Version is the table's current DataVersion.
func (p *Persisted[V]) Version() DataVersion { return p.version }

// Snapshot returns a copy of every entry, which the caller may keep and
// change without touching the table.
func (p *Persisted[V]) Snapshot() map[string]V { return maps.Clone(p.entries) }
