package subscription

import (
	"errors"
	"fmt"
	"log/slog"

	"rocketsim/broker/table"
	"rocketsim/runtime"
)

// Clock is what the table needs of time: the node's wall clock, for
// DataVersion timestamps.
type Clock = table.Clock

// wrapperField is the entry map's name in subscriptionGroup.json.
const wrapperField = "subscriptionGroupTable"

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
	opts   Options
	log    *slog.Logger
	groups *table.Persisted[Group]
}

// Open builds the table from the system groups and subscriptionGroup.json
// (or its .bak), the file winning. A missing file is a first start; a
// corrupt one is an error.
func Open(fs runtime.FS, clock Clock, opts Options, log *slog.Logger) (*Table, error) {
	if opts.Path == "" {
		return nil, errors.New("subscription group table: path is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	builtIn := make([]Group, 0, len(systemGroups))
	for _, name := range systemGroups {
		builtIn = append(builtIn, NewGroup(name))
	}
	groups, err := table.Open(fs, clock, table.Spec[Group]{
		Path: opts.Path, Field: wrapperField, What: "subscription group table",
		Name: func(g *Group) *string { return &g.GroupName },
	}, builtIn, log)
	if err != nil {
		return nil, err
	}
	return &Table{opts: opts, log: log, groups: groups}, nil
}

// Encode returns the table as subscriptionGroup.json holds it (also the
// body of GET_ALL_SUBSCRIPTIONGROUP_CONFIG); keys are sorted.
func (t *Table) Encode() ([]byte, error) { return t.groups.Encode() }

// Get returns a group's configuration without creating it.
func (t *Table) Get(name string) (Group, bool) { return t.groups.Get(name) }

// Find returns a group's configuration, creating it with the defaults when
// it is missing and autoCreateSubscriptionGroup is on or the group is a
// system group (findSubscriptionGroupConfig). created tells the caller a
// write happened; err is ErrNoGroup, a bad name, or a failed write (the
// group then exists in memory).
func (t *Table) Find(name string) (g Group, created bool, err error) {
	if g, ok := t.groups.Get(name); ok {
		return g, false, nil
	}
	if !t.opts.AutoCreate && !IsSystemGroup(name) {
		return Group{}, false, fmt.Errorf("%w: %s", ErrNoGroup, name)
	}
	if err := ValidateName(name); err != nil {
		return Group{}, false, err
	}
	g = NewGroup(name)
	t.groups.Put(g)
	t.log.Info("subscription group auto-created", slog.String("group", name))
	return g, true, t.groups.Changed()
}

// Update creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (t *Table) Update(g Group) error {
	if err := g.Validate(); err != nil {
		return err
	}
	t.groups.Put(g)
	t.log.Info("subscription group updated", slog.String("group", g.GroupName), slog.Any("config", g))
	return t.groups.Changed()
}

// Delete removes a group; it reports whether it existed.
func (t *Table) Delete(name string) (bool, error) {
	if !t.groups.Remove(name) {
		return false, nil
	}
	t.log.Info("subscription group deleted", slog.String("group", name))
	return true, t.groups.Changed()
}

// Names returns every group name, sorted.
func (t *Table) Names() []string { return t.groups.Names() }

// Len is the number of groups.
func (t *Table) Len() int { return t.groups.Len() }

// Version is the table's current DataVersion.
func (t *Table) Version() table.DataVersion { return t.groups.Version() }

// Persist writes subscriptionGroup.json now.
func (t *Table) Persist() error { return t.groups.Persist() }
