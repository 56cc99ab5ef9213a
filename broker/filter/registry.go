package filter

import (
	"errors"
	"fmt"
	"sort"
)

// MaxRegistryEntries bounds the (group, topic) subscriptions a Registry
// keeps: every heartbeat can name new ones, and each holds a compiled
// expression.
const MaxRegistryEntries = 1 << 17

// ErrRegistryFull is returned when MaxRegistryEntries is reached.
var ErrRegistryFull = errors.New("too many subscriptions")

// Registry keeps one compiled Filter per (consumer group, topic), updated
// from heartbeats, so the pull path neither parses nor compiles. It plays
// ConsumerFilterManager's part, without the bloom filter. It is not safe for
// concurrent use; it lives on the broker's event loop.
type Registry struct {
	enablePropertyFilter bool
	entries              map[registryKey]*Filter
}

type registryKey struct{ group, topic string }

// NewRegistry returns an empty registry; SQL92 subscriptions are refused
// unless enablePropertyFilter.
func NewRegistry(enablePropertyFilter bool) *Registry {
	return &Registry{enablePropertyFilter: enablePropertyFilter, entries: map[registryKey]*Filter{}}
}

// Register records group's subscription to sub.Topic and returns its
// compiled filter. An update with an older SubVersion than the one held is
// ignored (heartbeats from several clients of a group race), and one with
// the same expression is not recompiled. On a compile error the previous
// filter, if any, stays and the error is returned (ErrParse or
// ErrUnsupportedType, for the heartbeat's answer).
func (r *Registry) Register(group string, sub SubscriptionData) (*Filter, error) {
	k := registryKey{group, sub.Topic}
	old, ok := r.entries[k]
	if ok {
		o := old.sub
		if sub.SubVersion < o.SubVersion {
			return old, nil
		}
		if sub.SubString == o.SubString && sameType(sub.ExpressionType, o.ExpressionType) {
			if sub.SubVersion > o.SubVersion {
				old.sub.SubVersion = sub.SubVersion
			}
			return old, nil
		}
	} else if len(r.entries) >= MaxRegistryEntries {
		return nil, fmt.Errorf("register %s/%s: %w (at most %d)", group, sub.Topic, ErrRegistryFull, MaxRegistryEntries)
	}
	f, err := Compile(sub, r.enablePropertyFilter)
	if err != nil {
		return old, fmt.Errorf("register %s/%s: %w", group, sub.Topic, err)
	}
	r.entries[k] = f
	return f, nil
}

func sameType(a, b string) bool {
	return a == b || (IsTagType(a) && IsTagType(b))
}

// Get returns group's filter for topic, or nil when the group has not
// subscribed to it.
func (r *Registry) Get(group, topic string) *Filter { return r.entries[registryKey{group, topic}] }

// Unregister forgets one subscription; it reports whether it existed.
func (r *Registry) Unregister(group, topic string) bool {
	k := registryKey{group, topic}
	_, ok := r.entries[k]
	delete(r.entries, k)
	return ok
}

// UnregisterGroup forgets every subscription of group (its last consumer
// left) and returns the topics it had, sorted.
func (r *Registry) UnregisterGroup(group string) []string {
	var topics []string
	for k := range r.entries {
		if k.group == group {
			topics = append(topics, k.topic)
			delete(r.entries, k)
		}
	}
	sort.Strings(topics)
	return topics
}

// Topics returns the topics group subscribes to, sorted.
func (r *Registry) Topics(group string) []string {
	var topics []string
	for k := range r.entries {
		if k.group == group {
			topics = append(topics, k.topic)
		}
	}
	sort.Strings(topics)
	return topics
}

// Len is the number of subscriptions held.
func (r *Registry) Len() int { return len(r.entries) }
