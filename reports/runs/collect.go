package runs

import (
	"fmt"
	goruntime "runtime"
	"sync"

	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
)

// FromReport makes a Run of an in-process run: a Go program or test that
// drives the simulator itself (sim/mq.Run, for one) hands over what it
// judged, and the history for the samples (nil ops: no samples). The
// verdict is pass, fail or unknown as the checkers' report says, made fail
// by any problem the runner found outside the history.
func FromReport(scenario string, seed uint64, traceHash string, rep check.Report, problems []string, ops []history.Op, opt SampleOptions) (Run, error) {
	r := Run{Scenario: scenario, Seed: seed, TraceHash: traceHash, Metrics: rep.Metrics(),
		Source: fmt.Sprintf("in-process %s seed %d", scenario, seed)}
	switch {
	case len(problems) > 0:
		r.Verdict, r.Note = Fail, "failed: "+problems[0]
	case rep.Verdict == check.Pass:
		r.Verdict = Pass
	case rep.Verdict == check.Fail:
		r.Verdict, r.Note = Fail, fmt.Sprintf("failed %v", rep.Failed)
	default:
		r.Verdict, r.Note = Unknown, "a checker could not decide"
	}
	undecided(&r)
	if ops != nil {
		s, err := SamplesOf(ops, opt, r.Source)
		if err != nil {
			return Run{}, err
		}
		r.Samples = s
	}
	return r, nil
}

// MaxCollectJobs bounds Collect's parallelism whatever the caller asks:
// each simulated run holds a cluster and its history in memory.
const MaxCollectJobs = 64

// Collect runs one scenario for every seed on up to jobs goroutines (0:
// one per core) and returns the runs in seed order. Each seed's run must
// depend on the seed alone (as a simulation does), so the result does not
// depend on the scheduling; so does the error: the first in seed order.
func Collect(seeds []uint64, jobs int, run func(seed uint64) (Run, error)) ([]Run, error) {
	if jobs <= 0 {
		jobs = goruntime.GOMAXPROCS(0)
	}
	jobs = min(jobs, MaxCollectJobs, len(seeds))
	out := make([]Run, len(seeds))
	errs := make([]error, len(seeds))
	work := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i], errs[i] = run(seeds[i])
				if errs[i] != nil {
					errs[i] = fmt.Errorf("seed %d: %w", seeds[i], errs[i])
				}
			}
		}()
	}
	for i := range seeds {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, err
	}
	return out, nil
}

// Seeds returns first..last inclusive (nil when last < first).
func Seeds(first, last uint64) []uint64 {
	if last < first {
		return nil
	}
	var out []uint64
	for s := first; ; s++ {
		out = append(out, s)
		if s == last { // not s <= last: that never fails at the top of uint64
			return out
		}
	}
}
