package main

import (
	"testing"
	"time"

	"rocketsim/sim/scenario"
)

// Inline scenarios for the benchmarks: a busy cluster (one server, four
// clients sending every millisecond) and an idle one (an hour of simulated
// time with one request a minute per client).
const (
	busyFive = `duration: 20s
settle: 1s
topology:
  nodes:
    - {name: server, role: server, disk: {fsync-latency: {min: 100us, max: 1ms}}}
    - {name: c1, role: client}
    - {name: c2, role: client}
    - {name: c3, role: client}
    - {name: c4, role: client}
workload:
  kind: pingpong
  params: {interval: 1ms, timeout: 1s, window: 16}
faults:
  - {at: 5s, fault: {kind: partition, groups: [[server, c1, c2], [c3, c4]]}}
  - {at: 8s, fault: {kind: heal}}
  - {at: 12s, fault: {kind: crash, nodes: [server]}}
  - {at: 13s, fault: {kind: restart, nodes: [server]}}
`
	idleHour = `duration: 1h
settle: 5m
topology:
  nodes:
    - {name: server, role: server}
    - {name: c1, role: client}
    - {name: c2, role: client}
workload:
  kind: pingpong
  params: {interval: 1m, timeout: 5s}
expectations:
  liveness: {min-acks-after-heal: 1}
`
)

// benchScenario runs s once per iteration with a new seed and reports the
// simulator's speed: delivered events per wall second, simulated seconds
// per wall second, events per run, and (with ReportAllocs) allocations.
func benchScenario(b *testing.B, s *scenario.Scenario) {
	var events uint64
	var simulated float64
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rep, err := run(s, uint64(i+1), runOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.Pass {
			b.Fatalf("seed %d failed: %s %v", i+1, rep.Counts, rep.Judgements)
		}
		events += rep.Events
		simulated += rep.Simulated.Seconds()
	}
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/wall, "events/s")
	b.ReportMetric(simulated/wall, "sim-s/wall-s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

func mustScenario(b *testing.B, src, name string) *scenario.Scenario {
	s, err := scenario.Parse([]byte(src), name)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkDefaultScenario runs scenarios/pingpong-partition-crash.yaml.
//
//	go test ./sim -run '^$' -bench . -benchtime 3x
func BenchmarkDefaultScenario(b *testing.B) {
	s, err := scenario.Load(defaultScenario)
	if err != nil {
		b.Fatal(err)
	}
	benchScenario(b, s)
}

// BenchmarkBusyFiveNodes: five nodes, every client sending every millisecond.
func BenchmarkBusyFiveNodes(b *testing.B) { benchScenario(b, mustScenario(b, busyFive, "busy")) }

// BenchmarkIdleHour: an hour of mostly idle timers must cost little wall time.
func BenchmarkIdleHour(b *testing.B) { benchScenario(b, mustScenario(b, idleHour, "idle")) }

// TestIdleHourIsCheap: idle simulated time costs nothing. The bound is a
// thousand times what the run takes on a loaded two-core machine, so it
// fails only when idle time is simulated tick by tick.
func TestIdleHourIsCheap(t *testing.T) {
	s, err := scenario.Parse([]byte(idleHour), "idle")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := run(s, 1, runOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if wall := time.Since(start); wall > 2*time.Second {
		t.Errorf("an idle hour took %v of wall time", wall)
	}
	if !rep.Pass || rep.Events > 2000 {
		t.Errorf("idle hour: pass %v, %d events (want a few hundred)", rep.Pass, rep.Events)
	}
}

// BenchmarkMQSyncFlush runs scenarios/mq-sync-flush.yaml: the real name
// server and broker with two producers and a consumer under faults.
func BenchmarkMQSyncFlush(b *testing.B) {
	s, err := scenario.Load("../scenarios/mq-sync-flush.yaml")
	if err != nil {
		b.Fatal(err)
	}
	benchScenario(b, s)
}
