// Package offset holds the broker's consumer offsets: for each topic and
// consumer group, the next queue offset the group will consume per queue
// (RocketMQ's ConsumerOffsetManager), persisted as consumerOffset.json.
//
// It lives on the broker's event loop: no locks, no goroutines, no clock.
// The broker decides when to persist (periodically and on shutdown); a crash
// loses at most the updates since the last persist, which consumers then
// re-consume — RocketMQ's at-least-once contract.
package offset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"rocketsim/broker/config/jsonfile"
	"rocketsim/runtime"
)

// Separator joins topic and group in a key, as Java's TOPIC_GROUP_SEPARATOR.
const Separator = "@"

// Table is the offset table.
type Table struct {
	fs    runtime.FS
	path  string
	table map[string]map[int32]int64 // "topic@group" -> queue -> offset
	dirty bool
}

// Open loads path (or its .bak); a missing file is a first start.
func Open(fs runtime.FS, path string) (*Table, error) {
	t := &Table{fs: fs, path: path, table: map[string]map[int32]int64{}}
	data, from, err := jsonfile.Read(fs, path, func(b []byte) error { _, err := decode(b); return err })
	if errors.Is(err, runtime.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("consumer offsets: %w", err)
	}
	tbl, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("consumer offsets %s: %w", from, err)
	}
	t.table = tbl
	return t, nil
}

func key(topic, group string) string { return topic + Separator + group }

// Query returns the committed offset of a queue, or -1 when none is known.
func (t *Table) Query(group, topic string, queueID int32) int64 {
	if m, ok := t.table[key(topic, group)]; ok {
		if off, ok := m[queueID]; ok {
			return off
		}
	}
	return -1
}

// Commit records offset as the next offset group consumes from a queue.
func (t *Table) Commit(group, topic string, queueID int32, offset int64) {
	k := key(topic, group)
	m, ok := t.table[k]
	if !ok {
		m = map[int32]int64{}
		t.table[k] = m
	}
	if old, ok := m[queueID]; ok && old == offset {
		return
	}
	m[queueID] = offset
	t.dirty = true
}

// Groups returns the groups with offsets for topic, sorted.
func (t *Table) Groups(topic string) []string {
	var out []string
	for k := range t.table {
		tp, g, ok := strings.Cut(k, Separator)
		if ok && tp == topic {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// Topics returns the topics a group has offsets for, sorted.
func (t *Table) Topics(group string) []string {
	var out []string
	for k := range t.table {
		i := strings.LastIndex(k, Separator)
		if i >= 0 && k[i+1:] == group {
			out = append(out, k[:i])
		}
	}
	slices.Sort(out)
	return out
}

// Queues returns a copy of the offsets of a topic and group.
func (t *Table) Queues(group, topic string) map[int32]int64 {
	return maps.Clone(t.table[key(topic, group)])
}

// DeleteTopic forgets every group's offsets of topic.
func (t *Table) DeleteTopic(topic string) {
	for _, g := range t.Groups(topic) {
		delete(t.table, key(topic, g))
		t.dirty = true
	}
}

// DeleteGroup forgets every offset of group.
func (t *Table) DeleteGroup(group string) {
	for _, tp := range t.Topics(group) {
		delete(t.table, key(tp, group))
		t.dirty = true
	}
}

// Dirty reports whether something changed since the last Persist.
func (t *Table) Dirty() bool { return t.dirty }

// Persist writes consumerOffset.json (crash-safe: temporary file, sync,
// rename, with the previous version kept as .bak).
func (t *Table) Persist() error {
	if err := jsonfile.Write(t.fs, t.path, t.Encode()); err != nil {
		return fmt.Errorf("consumer offsets: %w", err)
	}
	t.dirty = false
	return nil
}

// Encode writes the table as Java's fastjson does: {"offsetTable":
// {"topic@group":{0:12,1:3}}}, integer keys unquoted, keys sorted so the
// same table always gives the same bytes.
func (t *Table) Encode() []byte {
	var b bytes.Buffer
	b.WriteString(`{"offsetTable":{`)
	for i, k := range slices.Sorted(maps.Keys(t.table)) {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteString(":{")
		m := t.table[k]
		for j, q := range slices.Sorted(maps.Keys(m)) {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(q)))
			b.WriteByte(':')
			b.WriteString(strconv.FormatInt(m[q], 10))
		}
		b.WriteByte('}')
	}
	b.WriteString("}}")
	return b.Bytes()
}

// decode accepts fastjson's unquoted integer keys and standard JSON.
func decode(data []byte) (map[string]map[int32]int64, error) {
	var w struct {
		OffsetTable map[string]map[string]int64 `json:"offsetTable"`
	}
	if err := json.Unmarshal(quoteBareKeys(data), &w); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	out := make(map[string]map[int32]int64, len(w.OffsetTable))
	for k, qs := range w.OffsetTable {
		if !strings.Contains(k, Separator) {
			return nil, fmt.Errorf("decode: key %q is not topic@group", k)
		}
		m := make(map[int32]int64, len(qs))
		for q, off := range qs {
			id, err := strconv.ParseInt(q, 10, 32)
			if err != nil || id < 0 {
				return nil, fmt.Errorf("decode: %s: queue id %q", k, q)
			}
			m[int32(id)] = off
		}
		out[k] = m
	}
	return out, nil
}

// quoteBareKeys turns {0:12} into {"0":12} outside strings.
func quoteBareKeys(in []byte) []byte {
	out := make([]byte, 0, len(in)+16)
	inStr, esc := false, false
	for i := 0; i < len(in); i++ {
		c := in[i]
		if inStr {
			out = append(out, c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
			out = append(out, c)
			continue
		}
		if (c == '{' || c == ',') && i+1 < len(in) {
			out = append(out, c)
			j := i + 1
			for j < len(in) && (in[j] == ' ' || in[j] == '\n' || in[j] == '\t' || in[j] == '\r') {
				j++
			}
			k := j
			for k < len(in) && (in[k] == '-' || (in[k] >= '0' && in[k] <= '9')) {
				k++
			}
			if k > j && k < len(in) && in[k] == ':' {
				out = append(out, '"')
				out = append(out, in[j:k]...)
				out = append(out, '"')
				i = k - 1
			}
			continue
		}
		out = append(out, c)
	}
	return out
}
