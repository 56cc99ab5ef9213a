package config

import "path"

// Paths under the store root, as RocketMQ lays them out, so an operator
// finds files where the Java broker keeps them.

// CommitLogDir is where commit-log segments live.
func (s *Store) CommitLogDir() string {
	return s.orRoot(s.StorePathCommitLog, "commitlog")
}

// ConsumeQueueDir holds consumequeue/<topic>/<queueId>/ segments.
func (s *Store) ConsumeQueueDir() string {
	return s.orRoot(s.StorePathConsumeQueue, "consumequeue")
}

// IndexDir holds the query-by-key index files.
func (s *Store) IndexDir() string { return s.orRoot(s.StorePathIndex, "index") }

// CheckpointPath is the store checkpoint file.
func (s *Store) CheckpointPath() string { return s.orRoot(s.StoreCheckpoint, "checkpoint") }

// AbortPath is the file that exists while the broker runs; finding it at
// start means the last run did not shut down cleanly.
func (s *Store) AbortPath() string { return s.orRoot(s.AbortFile, "abort") }

// ConfigDir holds the broker's JSON tables.
func (s *Store) ConfigDir() string { return path.Join(s.StorePathRootDir, "config") }

// TopicsPath is topics.json, the topic table.
func (s *Store) TopicsPath() string { return path.Join(s.ConfigDir(), "topics.json") }

// SubscriptionGroupPath is subscriptionGroup.json, the group table.
func (s *Store) SubscriptionGroupPath() string {
	return path.Join(s.ConfigDir(), "subscriptionGroup.json")
}

// ConsumerOffsetPath is consumerOffset.json, the committed offsets.
func (s *Store) ConsumerOffsetPath() string {
	return path.Join(s.ConfigDir(), "consumerOffset.json")
}

// DelayOffsetPath is delayOffset.json, the schedule service's progress.
func (s *Store) DelayOffsetPath() string { return path.Join(s.ConfigDir(), "delayOffset.json") }

func (s *Store) orRoot(explicit, name string) string {
	if explicit != "" {
		return explicit
	}
	return path.Join(s.StorePathRootDir, name)
}

// ConsumeQueueFileSize is MappedFileSizeConsumeQueue rounded up to whole
// entries, as RocketMQ's getter does.
func (s *Store) ConsumeQueueFileSize() int64 {
	n := (s.MappedFileSizeConsumeQueue + ConsumeQueueUnitSize - 1) / ConsumeQueueUnitSize
	return n * ConsumeQueueUnitSize
}
