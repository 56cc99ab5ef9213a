package mq

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSpecValidate(t *testing.T) {
	require.NoError(t, DefaultSpec().Validate())
	require.NoError(t, faultySpec().Validate())
	bad := map[string]func(*Spec){
		"no brokers":         func(s *Spec) { s.Brokers = 0 },
		"too many brokers":   func(s *Spec) { s.Brokers = BrokersMax + 1 },
		"no producers":       func(s *Spec) { s.Producers = 0 },
		"no consumers":       func(s *Spec) { s.Consumers = 0 },
		"no topic":           func(s *Spec) { s.Topic = "" },
		"no queues":          func(s *Spec) { s.Queues = 0 },
		"interval too short": func(s *Spec) { s.Interval = time.Microsecond },
		"window 0":           func(s *Spec) { s.Window = 0 },
		"body too big":       func(s *Spec) { s.Body = BodyMax + 1 },
		"no timeout":         func(s *Spec) { s.Timeout = 0 },
		"no duration":        func(s *Spec) { s.Duration = 0 },
		"drain too long":     func(s *Spec) { s.Drain = DrainMax + 1 },
		"fsync min over max": func(s *Spec) { s.FsyncMin, s.FsyncMax = 2*time.Millisecond, time.Millisecond },
		"unknown fault":      func(s *Spec) { s.Faults = []Fault{{Kind: "meteor", Node: BrokerName(0)}} },
		"fault on no node":   func(s *Spec) { s.Faults = []Fault{{Kind: Crash, Node: "broker-9"}} },
		"fault after the end": func(s *Spec) {
			s.Faults = []Fault{{Kind: Crash, Node: BrokerName(0), At: s.Duration, Jitter: time.Second}}
		},
		"fsync-fail, no prob": func(s *Spec) { s.Faults = []Fault{{Kind: FsyncFail, Node: BrokerName(0)}} },
		"unknown clients":     func(s *Spec) { s.Clients = "java" },
		"spaced subscription": func(s *Spec) { s.Subscription = "TagA || TagB" },
		"raw batches":         func(s *Spec) { s.Batch = 4 },
		"batch too big":       func(s *Spec) { s.Clients, s.Batch = CoreClients, BatchMax+1 },
		"negative for":        func(s *Spec) { s.Faults = []Fault{{Kind: Crash, Node: BrokerName(0), For: -1}} },
	}
	for name, mod := range bad {
		s := DefaultSpec()
		mod(&s)
		require.Error(t, s.Validate(), name)
		_, err := Run(1, s, Options{})
		require.Error(t, err, name)
	}
}

// TestBrokerConfRefusesBadKeys: overrides go through the broker's own
// loader, so a value it refuses stops the run before it starts.
func TestBrokerConfRefusesBadKeys(t *testing.T) {
	s := DefaultSpec()
	s.BrokerConf = map[string]string{"flushDiskType": "SOMETIMES_FLUSH"}
	_, err := Run(1, s, Options{})
	require.ErrorContains(t, err, "flushDiskType")

	cfg, err := DefaultSpec().BrokerConfig(0, brokerHost(0), "10.0.0.1:9876")
	require.NoError(t, err)
	require.Equal(t, BrokerName(0), cfg.BrokerName)
}
