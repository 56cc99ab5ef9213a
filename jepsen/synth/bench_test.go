package synth

import (
	"testing"

	"rocketsim/jepsen/check"
)

// BenchmarkRunAll judges a history of about 100,000 events from the model
// broker with every checker.
func BenchmarkRunAll(b *testing.B) {
	o := Default(1)
	o.Messages = 30000
	o.Queues = 16
	ops := Generate(o)
	cfg := o.CheckConfig()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rep := check.Run(ops, cfg); rep.Verdict != check.Pass {
			b.Fatalf("verdict %s\n%s", rep.Verdict, rep.Summary())
		}
	}
	b.ReportMetric(float64(len(ops)), "events/op")
}
