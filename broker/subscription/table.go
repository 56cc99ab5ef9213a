package subscription

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"rocketsim/broker/config/jsonfile"
	"rocketsim/broker/topic"
	"rocketsim/runtime"
)

// Clock is what the table needs of time: the node's wall clock, for
// DataVersion timestamps.
type Clock interface{ Now() time.Time }

// Options is what the table needs of the broker configuration.
type Options struct {
	// Path is subscriptionGroup.json (config.Store.SubscriptionGroupPath).
	Path string
	// AutoCreate is autoCreateSubscriptionGroup.
	AutoCreate bool
}

// ErrNoGroup is returned by Find for an unknown group when auto-creation is
// off; RocketMQ answers SUBSCRIPTION_GROUP_NOT_EXIST.
var ErrNoGroup = errors.New("subscription group does not exist")

// Table is the broker's consumer-group table, on the broker's event loop.
// As with the topic table, every change bumps the DataVersion and is
// written before the method returns; a failed write keeps the change in
// memory and returns the error.
type Table struct {
	fs      runtime.FS
	clock   Clock
	opts    Options
	log     *slog.Logger
	groups  map[string]Group
	version topic.DataVersion
}

// wrapper is subscriptionGroup.json.
type wrapper struct {
	DataVersion            topic.DataVersion `json:"dataVersion"`
	SubscriptionGroupTable map[string]Group  `json:"subscriptionGroupTable"`
}

// Open builds the table from the system groups and subscriptionGroup.json
// (or its .bak), the file winning. A missing file is a first start; a
// corrupt one is an error.
func Open(fs runtime.FS, clock Clock, opts Options, log *slog.Logger) (*Table, error) {
	if opts.Path == "" {
		return nil, errors.New("subscription table: path is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Table{
		fs: fs, clock: clock, opts: opts, log: log,
		groups:  map[string]Group{},
		version: topic.DataVersion{Timestamp: clock.Now().UnixMilli()},
	}
	for _, g := range systemGroups {
		t.groups[g] = NewGroup(g)
	}
	data, from, err := jsonfile.Read(fs, opts.Path, func(b []byte) error {
		_, err := decode(b)
		return err
	})
	switch {
	case errors.Is(err, runtime.ErrNotExist):
		return t, nil
	case err != nil:
		return nil, fmt.Errorf("subscription table: %w", err)
	}
	w, _ := decode(data)
	for name, g := range w.SubscriptionGroupTable {
		t.groups[name] = g
	}
	t.version = w.DataVersion
	if from != opts.Path {
		log.Warn("subscription group table read from backup", slog.String("path", from))
	}
	return t, nil
}

func decode(b []byte) (wrapper, error) {
	var w wrapper
	if err := json.Unmarshal(b, &w); err != nil {
		return w, err
	}
	for name, g := range w.SubscriptionGroupTable {
		if g.GroupName == "" {
			g.GroupName = name
			w.SubscriptionGroupTable[name] = g
		}
		if g.GroupName != name {
			return w, fmt.Errorf("entry %q holds group %q", name, g.GroupName)
		}
	}
	return w, nil
}

// Encode returns the table as subscriptionGroup.json holds it (also the
// body of GET_ALL_SUBSCRIPTIONGROUP_CONFIG); keys are sorted.
func (t *Table) Encode() ([]byte, error) {
	return json.MarshalIndent(wrapper{DataVersion: t.version, SubscriptionGroupTable: t.groups}, "", "\t")
}

// Get returns a group's configuration without creating it.
func (t *Table) Get(name string) (Group, bool) {
	g, ok := t.groups[name]
	return g, ok
}

// Find returns a group's configuration, creating it with the defaults when
// it is missing and autoCreateSubscriptionGroup is on or the group is a
// system group (findSubscriptionGroupConfig). created tells the caller a
// write happened; err is ErrNoGroup, a bad name, or a failed write (the
// group then exists in memory).
func (t *Table) Find(name string) (g Group, created bool, err error) {
	if g, ok := t.groups[name]; ok {
		return g, false, nil
	}
	if !t.opts.AutoCreate && !IsSystemGroup(name) {
		return Group{}, false, fmt.Errorf("%w: %s", ErrNoGroup, name)
	}
	if err := ValidateName(name); err != nil {
		return Group{}, false, err
	}
	g = NewGroup(name)
	t.groups[name] = g
	t.log.Info("subscription group auto-created", slog.String("group", name))
	return g, true, t.changed()
}

// Update creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (t *Table) Update(g Group) error {
	if err := g.Validate(); err != nil {
		return err
	}
	t.groups[g.GroupName] = g
	t.log.Info("subscription group updated", slog.String("group", g.GroupName), slog.Any("config", g))
	return t.changed()
}

// Delete removes a group; it reports whether it existed.
func (t *Table) Delete(name string) (bool, error) {
	if _, ok := t.groups[name]; !ok {
		return false, nil
	}
	delete(t.groups, name)
	t.log.Info("subscription group deleted", slog.String("group", name))
	return true, t.changed()
}

// Names returns every group name, sorted.
func (t *Table) Names() []string {
	names := make([]string, 0, len(t.groups))
	for n := range t.groups {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Len is the number of groups.
func (t *Table) Len() int { return len(t.groups) }

// Version is the table's current DataVersion.
func (t *Table) Version() topic.DataVersion { return t.version }

// Persist writes subscriptionGroup.json now.
func (t *Table) Persist() error {
	data, err := t.Encode()
	if err != nil {
		return fmt.Errorf("subscription table: encode: %w", err)
	}
	if err := jsonfile.Write(t.fs, t.opts.Path, data); err != nil {
		return fmt.Errorf("subscription table: %w", err)
	}
	return nil
}

func (t *Table) changed() error {
	t.version.Next(t.clock.Now())
	return t.Persist()
}
