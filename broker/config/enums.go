package config

import (
	"fmt"
	"strings"
)

// BrokerRole is messageStoreConfig.brokerRole: how a broker replicates.
type BrokerRole int

const (
	// AsyncMaster acknowledges a send once stored locally; slaves catch up.
	AsyncMaster BrokerRole = iota
	// SyncMaster acknowledges a send only after a slave has it too.
	SyncMaster
	// Slave replicates from haMasterAddress and refuses sends.
	Slave
)

var brokerRoleNames = [...]string{"ASYNC_MASTER", "SYNC_MASTER", "SLAVE"}

func (r BrokerRole) String() string {
	if r < 0 || int(r) >= len(brokerRoleNames) {
		return fmt.Sprintf("BrokerRole(%d)", int(r))
	}
	return brokerRoleNames[r]
}

// IsMaster reports whether the role accepts writes.
func (r BrokerRole) IsMaster() bool { return r == AsyncMaster || r == SyncMaster }

// MarshalText writes RocketMQ's spelling.
func (r BrokerRole) MarshalText() ([]byte, error) {
	if r < 0 || int(r) >= len(brokerRoleNames) {
		return nil, fmt.Errorf("invalid broker role %d", int(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText accepts RocketMQ's names. Java's BrokerRole.valueOf is
// case-sensitive; we also take lower case, which costs nothing.
func (r *BrokerRole) UnmarshalText(b []byte) error {
	i, err := lookupEnum(string(b), brokerRoleNames[:])
	if err != nil {
		return err
	}
	*r = BrokerRole(i)
	return nil
}

// FlushDiskType is messageStoreConfig.flushDiskType: when a send is durable.
type FlushDiskType int

const (
	// AsyncFlush acknowledges before fsync; a flusher syncs every
	// flushIntervalCommitLog. A power loss may lose acknowledged messages.
	AsyncFlush FlushDiskType = iota
	// SyncFlush acknowledges only after the commit log is fsynced (group
	// commit), waiting at most syncFlushTimeout.
	SyncFlush
)

var flushDiskTypeNames = [...]string{"ASYNC_FLUSH", "SYNC_FLUSH"}

func (f FlushDiskType) String() string {
	if f < 0 || int(f) >= len(flushDiskTypeNames) {
		return fmt.Sprintf("FlushDiskType(%d)", int(f))
	}
	return flushDiskTypeNames[f]
}

// MarshalText writes RocketMQ's spelling.
func (f FlushDiskType) MarshalText() ([]byte, error) {
	if f < 0 || int(f) >= len(flushDiskTypeNames) {
		return nil, fmt.Errorf("invalid flush disk type %d", int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText accepts RocketMQ's names, in either case.
func (f *FlushDiskType) UnmarshalText(b []byte) error {
	i, err := lookupEnum(string(b), flushDiskTypeNames[:])
	if err != nil {
		return err
	}
	*f = FlushDiskType(i)
	return nil
}

func lookupEnum(s string, names []string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("want one of %s", strings.Join(names, ", "))
}
