// Package reliability turns runs into a reliability report: per scenario,
// how many seeds passed, how often and how much acknowledged data was lost
// (with confidence intervals), duplicates, lateness, latency distributions
// pooled over seeds, and availability over time.
package reliability

import (
	"math"
	"slices"
	"sort"
	"strings"

	"rocketsim/reports/runs"
	"rocketsim/reports/stats"
)

// Report is the whole reliability report.
type Report struct {
	// Confidence is the coverage of every interval (0.95).
	Confidence float64    `json:"confidence"`
	Scenarios  []Scenario `json:"scenarios"`
}

// Scenario is everything the report says about one scenario.
type Scenario struct {
	Name string `json:"name"`
	// Path is the scenario file as the runs name it (the first seen).
	Path  string   `json:"path,omitempty"`
	Seeds []uint64 `json:"seeds"`
	Runs  int      `json:"runs"`
	// Verdicts counts runs by verdict.
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	Unknown int `json:"unknown"`
	// WithMetrics and WithHistory count runs that had checker metrics and
	// history samples: every figure below is over those runs only.
	WithMetrics int `json:"with_metrics"`
	WithHistory int `json:"with_history"`

	// Faults counts the injected faults by kind, over the runs that list
	// their faults: what this scenario's numbers were measured under.
	Faults []FaultKind `json:"faults,omitempty"`
	// LossByFault compares seeds struck by each fault kind with seeds
	// spared by it, for kinds that struck some runs but not all.
	LossByFault []FaultLoss `json:"loss_by_fault,omitempty"`

	Loss Loss `json:"loss"`
	// Duplicates is delivery.duplicates over seeds; DupRatio is
	// delivery.dup-ratio (duplicates / deliveries), and DupRatioMean its
	// mean with a t-interval: at-least-once delivery makes duplicates
	// legal, so their rate, comparable across scenarios of different
	// lengths, is what an application must budget for.
	Duplicates   stats.Summary  `json:"duplicates"`
	DupRatio     stats.Summary  `json:"dup_ratio"`
	DupRatioMean stats.Interval `json:"dup_ratio_mean"`
	// LatenessMaxMs is delay.lateness-ms-max over seeds: how late delayed
	// messages arrived past their due time.
	LatenessMaxMs stats.Summary `json:"lateness_max_ms"`

	Send Latency `json:"send_latency_ms"`
	E2E  Latency `json:"e2e_latency_ms"`
	// Clock is what the samples were measured on: runs.ClockTrue,
	// runs.ClockClient, "mixed", or "" without samples.
	Clock string `json:"clock,omitempty"`

	Availability Availability `json:"availability"`

	// Metrics summarises every metric any run reported, sorted by checker
	// then metric.
	Metrics []Metric `json:"metrics"`

	// Notes are the runs' notes (why a run failed or is unknown, missing
	// data), each distinct note once with its seeds, in seed order.
	Notes []string `json:"notes,omitempty"`
}

// FaultKind is how often one kind of fault was injected per run.
type FaultKind struct {
	Kind string `json:"kind"`
	// PerRun is the count per run, over the runs that list faults.
	PerRun stats.Summary `json:"per_run"`
}

// Loss is how often and how much acknowledged data was lost.
type Loss struct {
	// Metric is where the counts come from ("delivery.lost (worst group)").
	Metric string `json:"metric,omitempty"`
	// SeedsWithLoss is the share of seeds that lost at least one
	// acknowledged message, with a Wilson interval.
	SeedsWithLoss stats.Interval `json:"seeds_with_loss"`
	// PerAcked is lost / acknowledged per seed, its mean over seeds with a
	// t-interval.
	PerAcked stats.Interval `json:"lost_per_acked"`
	// Lost is the per-seed lost count over seeds.
	Lost stats.Summary `json:"lost"`
	// Pooled totals, for the reader who wants messages, not seeds.
	LostTotal  float64    `json:"lost_total"`
	AckedTotal float64    `json:"acked_total"`
	PerSeed    []SeedLoss `json:"per_seed,omitempty"`
	// Groups breaks delivery loss down by consumer group.
	Groups []GroupLoss `json:"groups,omitempty"`
}

// SeedLoss is one seed's loss.
type SeedLoss struct {
	Seed  uint64  `json:"seed"`
	Lost  float64 `json:"lost"`
	Acked float64 `json:"acked"`
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	// Pooled is every sample of every run with a history, pooled: a seed
	// with more messages weighs more, as it would for the application.
	Pooled stats.Summary `json:"pooled"`
	// Seeds is how many runs contributed samples.
	Seeds int `json:"seeds"`
	// P99OfSeeds summarises each run's own p99 (the stats checker's
	// figure), for runs read without their history; its Max is an upper
	// bound on no real quantile, just the worst seed.
	P99OfSeeds stats.Summary `json:"p99_of_seeds"`
	// CDF is the pooled sample's empirical distribution, thinned to
	// MaxCDFPoints.
	CDF []Point `json:"cdf,omitempty"`
}

// Point is one point of a curve.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Availability is the share of sends acknowledged.
type Availability struct {
	// Overall is stats.availability over seeds; WorstWindow is
	// stats.availability-worst-window; LongestOutageMs is
	// stats.longest-outage-ms.
	Overall         stats.Summary `json:"overall"`
	WorstWindow     stats.Summary `json:"worst_window"`
	LongestOutageMs stats.Summary `json:"longest_outage_ms"`
	// WindowNs is the width of the windows in OverTime (0 without
	// histories, or when runs used different widths).
	WindowNs int64 `json:"window_ns,omitempty"`
	// OverTime is availability per window since each run's first send,
	// across the runs with histories.
	OverTime []WindowPoint `json:"over_time,omitempty"`
}

// WindowPoint is one availability window across seeds.
type WindowPoint struct {
	// OffsetS is the window's start in seconds after the run's first send.
	OffsetS float64 `json:"offset_s"`
	// Seeds had at least one send in the window.
	Seeds int `json:"seeds"`
	Sends int `json:"sends"`
	OK    int `json:"ok"`
	// Pooled is OK / Sends; Worst is the lowest single seed's availability
	// in the window.
	Pooled float64 `json:"pooled"`
	Worst  float64 `json:"worst"`
}

// Metric is one checker metric over seeds.
type Metric struct {
	Checker string        `json:"checker"`
	Name    string        `json:"name"`
	Summary stats.Summary `json:"summary"`
}

// MaxCDFPoints bounds the points of a latency CDF kept in the report: a
// plot needs a few hundred; the JSON of a million samples would be
// megabytes.
const MaxCDFPoints = 512

// Build aggregates runs into a report. Runs are sorted first, so the
// report does not depend on the order the inputs were read in.
func Build(rs []runs.Run) Report {
	rs = slices.Clone(rs)
	runs.Sort(rs)
	rep := Report{Confidence: stats.Confidence}
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j].Scenario == rs[i].Scenario {
			j++
		}
		rep.Scenarios = append(rep.Scenarios, buildScenario(rs[i:j]))
		i = j
	}
	return rep
}

func buildScenario(rs []runs.Run) Scenario {
	sc := Scenario{Name: rs[0].Scenario, Runs: len(rs)}
	var (
		lossSeeds, lossN   int
		perAcked, lostCnt  []float64
		dups, dupRatio     []float64
		lateness           []float64
		sendAll, e2eAll    []float64
		sendP99, e2eP99    []float64
		avail, worst, outs []float64
		metricVals         = map[string][]float64{}
		noteSeeds          = map[string][]uint64{}
	)
	for i := range rs {
		r := &rs[i]
		if sc.Path == "" {
			sc.Path = r.Path
		}
		sc.Seeds = append(sc.Seeds, r.Seed)
		switch r.Verdict {
		case runs.Pass:
			sc.Pass++
		case runs.Fail:
			sc.Fail++
		default:
			sc.Unknown++
		}
		if r.Note != "" {
			noteSeeds[r.Note] = append(noteSeeds[r.Note], r.Seed)
		}
		if r.Metrics != nil {
			sc.WithMetrics++
		}
		if lost, acked, metric, ok := lossOf(r); ok {
			if sc.Loss.Metric == "" {
				sc.Loss.Metric = metric
			}
			lossN++
			if lost > 0 {
				lossSeeds++
			}
			lostCnt = append(lostCnt, lost)
			if acked > 0 {
				perAcked = append(perAcked, lost/acked)
			}
			sc.Loss.LostTotal += lost
			sc.Loss.AckedTotal += acked
			sc.Loss.PerSeed = append(sc.Loss.PerSeed, SeedLoss{Seed: r.Seed, Lost: lost, Acked: acked})
		}
		collect := func(dst *[]float64, checker, name string) {
			if v, ok := r.Metric(checker, name); ok {
				*dst = append(*dst, v)
			}
		}
		collect(&dups, "delivery", "duplicates")
		collect(&dupRatio, "delivery", "dup-ratio")
		collect(&lateness, "delay", "lateness-ms-max")
		collect(&sendP99, "stats", "send-latency-ms-p99")
		collect(&e2eP99, "stats", "e2e-latency-ms-p99")
		collect(&avail, "stats", "availability")
		collect(&worst, "stats", "availability-worst-window")
		collect(&outs, "stats", "longest-outage-ms")
		for c, m := range r.Metrics {
			for k, v := range m {
				metricVals[c+"\x00"+k] = append(metricVals[c+"\x00"+k], v)
			}
		}
		if s := r.Samples; s != nil {
			sc.WithHistory++
			switch sc.Clock {
			case "":
				sc.Clock = s.Clock
			case s.Clock:
			default:
				sc.Clock = "mixed"
			}
			if len(s.SendLatencyMs) > 0 {
				sc.Send.Seeds++
			}
			if len(s.E2ELatencyMs) > 0 {
				sc.E2E.Seeds++
			}
			sendAll = append(sendAll, s.SendLatencyMs...)
			e2eAll = append(e2eAll, s.E2ELatencyMs...)
		}
	}
	sc.Loss.SeedsWithLoss = stats.Wilson(lossSeeds, lossN, stats.Confidence) // undefined, N 0, when lossN is 0
	sc.Loss.PerAcked = stats.MeanTNonNegative(perAcked, stats.Confidence)
	sc.Loss.Lost = stats.Summarize(lostCnt)
	sc.Duplicates = stats.Summarize(dups)
	sc.DupRatio = stats.Summarize(dupRatio)
	sc.DupRatioMean = stats.MeanTNonNegative(dupRatio, stats.Confidence)
	sc.LatenessMaxMs = stats.Summarize(lateness)
	sc.Send = latency(sc.Send.Seeds, sendAll, sendP99)
	sc.E2E = latency(sc.E2E.Seeds, e2eAll, e2eP99)
	sc.Availability = Availability{
		Overall:         stats.Summarize(avail),
		WorstWindow:     stats.Summarize(worst),
		LongestOutageMs: stats.Summarize(outs),
	}
	sc.Availability.WindowNs, sc.Availability.OverTime = overTime(rs)

	sc.Notes = notes(noteSeeds)
	sc.Faults = faultKinds(rs)
	sc.LossByFault = lossByFault(rs)
	sc.Loss.Groups = groupLosses(rs)

	keys := make([]string, 0, len(metricVals))
	for k := range metricVals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c, n, _ := strings.Cut(k, "\x00")
		sc.Metrics = append(sc.Metrics, Metric{Checker: c, Name: n, Summary: stats.Summarize(metricVals[k])})
	}
	return sc
}

// notes renders each distinct note once with the seeds it applies to
// ("seeds 1..9, 12: sweep seed without verdict.json ..."), ordered by first
// seed: a sweep of a thousand passing seeds says it once.
func notes(bySeeds map[string][]uint64) []string {
	type entry struct {
		note  string
		seeds []uint64
	}
	var es []entry
	for n, seeds := range bySeeds {
		es = append(es, entry{n, seeds}) // seeds are in order: runs are sorted
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].seeds[0] != es[j].seeds[0] {
			return es[i].seeds[0] < es[j].seeds[0]
		}
		return es[i].note < es[j].note
	})
	var out []string
	for _, e := range es {
		label := "seed "
		if len(e.seeds) > 1 {
			label = "seeds "
		}
		out = append(out, label+SeedRanges(e.seeds)+": "+e.note)
	}
	return out
}

func latency(seeds int, all, p99s []float64) Latency {
	l := Latency{Seeds: seeds, Pooled: stats.Summarize(all), P99OfSeeds: stats.Summarize(p99s)}
	xs, ys := stats.ECDF(all, MaxCDFPoints)
	for i := range xs {
		l.CDF = append(l.CDF, Point{X: xs[i], Y: ys[i]})
	}
	return l
}

// overTime lines up the runs' availability windows by their offset from
// each run's first window (runs start their clients at different client
// clock readings, but the same scenario schedules faults at the same
// offsets only by chance: seeds draw fault times, so this is "availability
// over the life of a run", not "at fault X").
func overTime(rs []runs.Run) (int64, []WindowPoint) {
	var width int64
	for i := range rs {
		s := rs[i].Samples
		if s == nil || len(s.Windows) == 0 {
			continue
		}
		if width == 0 {
			width = s.WindowNs
		} else if s.WindowNs != width {
			return 0, nil // windows of different widths do not line up
		}
	}
	if width <= 0 {
		return 0, nil
	}
	type acc struct {
		seeds, sends, ok int
		worst            float64
	}
	byIdx := map[int64]*acc{}
	for i := range rs {
		s := rs[i].Samples
		if s == nil || len(s.Windows) == 0 {
			continue
		}
		t0 := s.Windows[0].Start
		for _, w := range s.Windows {
			idx := (w.Start - t0) / width
			a := byIdx[idx]
			if a == nil {
				a = &acc{worst: math.Inf(1)}
				byIdx[idx] = a
			}
			a.seeds++
			a.sends += w.Sends
			a.ok += w.OK
			a.worst = min(a.worst, w.Availability)
		}
	}
	idxs := make([]int64, 0, len(byIdx))
	for k := range byIdx {
		idxs = append(idxs, k)
	}
	slices.Sort(idxs)
	var out []WindowPoint
	for _, idx := range idxs {
		a := byIdx[idx]
		p := WindowPoint{OffsetS: float64(idx*width) / 1e9, Seeds: a.seeds, Sends: a.sends, OK: a.ok, Worst: a.worst}
		if a.sends > 0 {
			p.Pooled = float64(a.ok) / float64(a.sends)
		}
		out = append(out, p)
	}
	return width, out
}
