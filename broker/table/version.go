// Package table holds what the broker's persisted configuration tables
// share: a map of named entries stamped with a DataVersion, stored as one
// JSON file ({"dataVersion":…,"<field>":{name:entry,…}}, RocketMQ's
// ConfigManager layout) through jsonfile's crash-safe write and backup
// fallback. The tables' own rules (system entries, validation,
// auto-creation) live in their packages: broker/topic and
// broker/subscription.
package table

import "time"

// DataVersion stamps a table so the name server can tell whether a
// registration changed anything: a wall-clock timestamp in milliseconds and
// a counter bumped on every change.
type DataVersion struct {
	Counter   int64 `json:"counter"`
	Timestamp int64 `json:"timestamp"`
}

// Next bumps the version at time now, as DataVersion.nextVersion does.
func (d *DataVersion) Next(now time.Time) {
	d.Timestamp = now.UnixMilli()
	d.Counter++
}
