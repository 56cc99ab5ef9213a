package main

import (
	"testing"

	"rocketsim/sim/scenario"
)

// BenchmarkDefaultScenario runs the default scenario end to end and reports
// the simulator's speed: delivered events per wall second, simulated
// seconds per wall second, and allocations per event.
//
//	go test ./sim -run '^$' -bench DefaultScenario -benchtime 3x
func BenchmarkDefaultScenario(b *testing.B) {
	s, err := scenario.Load(defaultScenario)
	if err != nil {
		b.Fatal(err)
	}
	var events uint64
	var simulated float64
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rep, err := run(s, uint64(i+1), runOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.Pass {
			b.Fatalf("seed %d failed: %s", i+1, rep.Counts)
		}
		events += rep.Events
		simulated += rep.Simulated.Seconds()
	}
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/wall, "events/s")
	b.ReportMetric(simulated/wall, "sim-s/wall-s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}
