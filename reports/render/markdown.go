// Package render writes a reliability report as Markdown for people and as
// JSON for programs. Both are functions of the report alone: the same runs
// give the same bytes.
package render

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"rocketsim/reports/reliability"
	"rocketsim/reports/runs"
	"rocketsim/reports/stats"
)

// Image is a plot the Markdown links to, relative to the report's folder.
type Image struct {
	Title string
	Path  string
}

// cleanBound is the share of lossy seeds a loss-free scenario is measured
// against: how many clean seeds before "fewer than 1 in 20 seeds lose
// data" may be claimed.
const cleanBound = 0.05

// maxTableRows bounds the per-seed rows and notes of a scenario's section:
// a sweep of thousands of seeds must still give a page a person reads.
// report.json keeps them all.
const maxTableRows = 50

// Options are what the Markdown adds to the report itself.
type Options struct {
	// Title heads the document ("Reliability report" when empty).
	Title string
	// Plots lists each scenario's plots by scenario name.
	Plots map[string][]Image
	// Overview lists plots across scenarios, shown after the summary.
	Overview []Image
	// Inputs name where the runs came from, for the reader to find them.
	Inputs []string
}

// Markdown writes the report: a summary table with one row per scenario,
// then a section per scenario.
func Markdown(w io.Writer, rep reliability.Report, opt Options) error {
	bw := bufio.NewWriter(w)
	title := opt.Title
	if title == "" {
		title = "Reliability report"
	}
	total := 0
	for _, sc := range rep.Scenarios {
		total += sc.Runs
	}
	conf := confLabel(rep.Confidence)
	fmt.Fprintf(bw, "# %s\n\n", title)
	fmt.Fprintf(bw, "%d runs of %d scenarios", total, len(rep.Scenarios))
	if len(opt.Inputs) > 0 {
		fmt.Fprintf(bw, ", read from %s", strings.Join(quoteAll(opt.Inputs), ", "))
	}
	fmt.Fprintf(bw, ".\n\n")
	fmt.Fprintf(bw, "How to read it: a seed is one independent run of a scenario (its own fault times and random choices); "+
		"messages inside one run are not independent (one power loss takes a whole unflushed tail), so every rate is over seeds. "+
		"Intervals are %s: a Wilson score interval for the share of seeds that lost data (sound at 0 of n, where a normal "+
		"approximation would claim certainty), a Student-t interval for means over seeds. Percentiles are empirical "+
		"(a value that occurred). %s means no run measured it.\n\n", conf, noData)

	fmt.Fprintf(bw, "## Summary\n\n")
	fmt.Fprintf(bw, "| scenario | runs | pass | fail | unknown | seeds with loss (%s CI) | lost / acked, mean over seeds (%s CI) | duplicates / deliveries, mean (%s CI) | max lateness ms | p99 send ms | p99 e2e ms | availability mean / min | worst window min |\n", conf, conf, conf)
	fmt.Fprintf(bw, "|---|---:|---:|---:|---:|---|---|---|---:|---:|---:|---|---:|\n")
	footSeedP99, footPartial := false, false
	for _, sc := range rep.Scenarios {
		sendP99, f1 := p99Cell(sc.Send)
		e2eP99, f2 := p99Cell(sc.E2E)
		footSeedP99 = footSeedP99 || f1 || f2
		lossCell := seedsWithLoss(sc.Loss.SeedsWithLoss)
		if partialLoss(sc) {
			lossCell += " ‡"
			footPartial = true
		}
		fmt.Fprintf(bw, "| %s | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			mdEscape(sc.Name), sc.Runs, sc.Pass, sc.Fail, sc.Unknown,
			lossCell, meanCI(sc.Loss.PerAcked),
			meanCI(sc.DupRatioMean), num(sc.LatenessMaxMs.Max), sendP99, e2eP99,
			meanMin(sc.Availability.Overall), pct(sc.Availability.WorstWindow.Min))
	}
	fmt.Fprintln(bw)
	if footPartial {
		fmt.Fprintf(bw, "‡ %s\n\n", partialWarning)
	}
	if footSeedP99 {
		fmt.Fprintf(bw, "† no history was read for these runs: the worst seed's own p99, not a pooled percentile.\n\n")
	}
	for _, p := range opt.Overview {
		fmt.Fprintf(bw, "![%s](%s)\n\n", mdEscape(p.Title), p.Path)
	}

	for _, sc := range rep.Scenarios {
		scenarioSection(bw, sc, rep.Confidence, opt.Plots[sc.Name])
	}
	return bw.Flush()
}

func scenarioSection(w io.Writer, sc reliability.Scenario, confidence float64, plots []Image) {
	conf := confLabel(confidence)
	fmt.Fprintf(w, "## %s\n\n", mdEscape(sc.Name))
	if sc.Path != "" {
		fmt.Fprintf(w, "Scenario file `%s`. ", sc.Path)
	}
	fmt.Fprintf(w, "Seeds %s: %d runs, %d pass, %d fail, %d unknown. Checker metrics from %d runs, histories from %d.\n\n",
		reliability.SeedRanges(sc.Seeds), sc.Runs, sc.Pass, sc.Fail, sc.Unknown, sc.WithMetrics, sc.WithHistory)

	if len(sc.Faults) > 0 {
		var parts []string
		for _, f := range sc.Faults {
			parts = append(parts, fmt.Sprintf("%s %s (max %s)", mdEscape(f.Kind), num(f.PerRun.Mean), num(f.PerRun.Max)))
		}
		fmt.Fprintf(w, "Faults per run, mean over the %d runs that list them: %s.\n\n", sc.Faults[0].PerRun.N, strings.Join(parts, ", "))
	}

	l := sc.Loss
	fmt.Fprintf(w, "### Loss of acknowledged messages\n\n")
	if l.Metric == "" {
		fmt.Fprintf(w, "No run reported lost and acknowledged counts.\n\n")
	} else {
		fmt.Fprintf(w, "From `%s`. Seeds with any loss: %s. Lost per acknowledged send, mean over seeds: %s (%s t-interval). "+
			"Lost per seed: median %s, max %s. In all: %s lost of %s acknowledged.\n\n",
			l.Metric, seedsWithLoss(l.SeedsWithLoss), meanCI(l.PerAcked), conf,
			num(l.Lost.Median), num(l.Lost.Max), num(l.LostTotal), num(l.AckedTotal))
		if iv := l.SeedsWithLoss; iv.Defined() && iv.Estimate == 0 {
			// Zero observed is not zero: say what it does bound.
			fmt.Fprintf(w, "No seed lost an acknowledged message. That is not a proof of zero: with %s confidence, fewer than %s of seeds would.",
				conf, pct(iv.Hi))
			if need := stats.CleanRunsFor(cleanBound, confidence); iv.N < need {
				fmt.Fprintf(w, " %d clean seeds would bring that bound under %s.", need, pct(cleanBound))
			}
			fmt.Fprintf(w, "\n\n")
		}
		if len(l.Groups) > 0 {
			var parts []string
			for _, g := range l.Groups {
				parts = append(parts, fmt.Sprintf("%s lost in %s (%s in all, at most %s in one seed)",
					mdEscape(g.Group), seedsWithLoss(g.SeedsWithLoss), num(g.LostTotal), num(g.LostMax)))
			}
			fmt.Fprintf(w, "By consumer group: %s. Other groups lost nothing.\n\n", strings.Join(parts, "; "))
		}
		if partialLoss(sc) {
			fmt.Fprintf(w, "Only %d of %d runs had loss counts. %s\n\n", l.SeedsWithLoss.N, sc.Runs, partialWarning)
		}
		var lossy []reliability.SeedLoss
		for _, s := range l.PerSeed {
			if s.Lost > 0 {
				lossy = append(lossy, s)
			}
		}
		if len(lossy) > 0 {
			fmt.Fprintf(w, "| seed | lost | acknowledged | lost / acked |\n|---:|---:|---:|---:|\n")
			// The worst seeds first: they are the ones to replay.
			slices.SortStableFunc(lossy, func(a, b reliability.SeedLoss) int { return cmp.Compare(b.Lost/b.Acked, a.Lost/a.Acked) })
			more := len(lossy) - maxTableRows
			lossy = lossy[:min(len(lossy), maxTableRows)]
			for _, s := range lossy {
				ratio := noData
				if s.Acked > 0 {
					ratio = pct(s.Lost / s.Acked)
				}
				fmt.Fprintf(w, "| %d | %s | %s | %s |\n", s.Seed, num(s.Lost), num(s.Acked), ratio)
			}
			if more > 0 {
				fmt.Fprintf(w, "\n%d more seeds lost messages; report.json lists every seed.\n", more)
			}
			fmt.Fprintln(w)
		}
	}

	if len(sc.LossByFault) > 0 {
		fmt.Fprintf(w, "Which faults cost data: seeds with any loss among the seeds each kind of fault struck, and among those it spared (%s Wilson intervals; faults strike together, so this is a correlation to replay, not a cause).\n\n", conf)
		fmt.Fprintf(w, "| fault | struck: seeds with loss | spared: seeds with loss |\n|---|---|---|\n")
		for _, f := range sc.LossByFault {
			fmt.Fprintf(w, "| %s | %s | %s |\n", mdEscape(f.Kind), seedsWithLoss(f.With), seedsWithLoss(f.Without))
		}
		fmt.Fprintln(w)
	}

	if sc.Duplicates.N > 0 {
		fmt.Fprintf(w, "### Duplicates\n\nDuplicate deliveries per run: mean %s, median %s, max %s; as a share of deliveries: mean %s, max %s.\n\n",
			num(sc.Duplicates.Mean), num(sc.Duplicates.Median), num(sc.Duplicates.Max), meanCI(sc.DupRatioMean), pct(sc.DupRatio.Max))
	}

	fmt.Fprintf(w, "### Latency (ms)\n\n")
	switch sc.Clock {
	case runs.ClockTrue:
		fmt.Fprintf(w, "Measured on the simulator's true time.\n\n")
	case runs.ClockClient:
		fmt.Fprintf(w, "Measured on the clients' own clocks: an end-to-end latency spans the producer's and the consumer's clocks and includes their offset (it can be negative).\n\n")
	case "mixed":
		fmt.Fprintf(w, "Some runs were measured on the simulator's true time, others on the clients' clocks: the pooled figures mix the two.\n\n")
	}
	fmt.Fprintf(w, "| latency | samples | seeds | mean | p50 | p95 | p99 | max | worst seed's p99 (checker, client clocks) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range []struct {
		name string
		l    reliability.Latency
	}{{"send (invoke to ack)", sc.Send}, {"end-to-end (send to first delivery)", sc.E2E}} {
		p := row.l.Pooled
		fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", row.name, p.N, row.l.Seeds,
			num(p.Mean), num(p.Median), num(p.P95), num(p.P99), num(p.Max), num(row.l.P99OfSeeds.Max))
	}
	fmt.Fprintln(w)

	a := sc.Availability
	fmt.Fprintf(w, "### Availability (share of sends acknowledged)\n\n")
	fmt.Fprintf(w, "Over a run: mean %s, min %s. Worst window of a run: median %s, min %s. Longest outage: median %s ms, max %s ms.",
		pct(a.Overall.Mean), pct(a.Overall.Min), pct(a.WorstWindow.Median), pct(a.WorstWindow.Min),
		num(a.LongestOutageMs.Median), num(a.LongestOutageMs.Max))
	if len(a.OverTime) > 0 {
		worst := a.OverTime[0]
		for _, p := range a.OverTime[1:] {
			if p.Worst < worst.Worst {
				worst = p
			}
		}
		fmt.Fprintf(w, " Over time (%s windows since each run's first send, %d windows): the lowest single-seed window is %s at +%ss (pooled over seeds there: %s).",
			num(float64(a.WindowNs)/1e9)+"s", len(a.OverTime), pct(worst.Worst), num(worst.OffsetS), pct(worst.Pooled))
	}
	fmt.Fprintf(w, "\n\n")

	if len(plots) > 0 {
		fmt.Fprintf(w, "### Plots\n\n")
		for _, p := range plots {
			fmt.Fprintf(w, "![%s](%s)\n\n", mdEscape(p.Title), p.Path)
		}
	}

	if len(sc.Notes) > 0 {
		fmt.Fprintf(w, "### Notes\n\n")
		for _, n := range sc.Notes[:min(len(sc.Notes), maxTableRows)] {
			fmt.Fprintf(w, "- %s\n", mdEscape(n))
		}
		if more := len(sc.Notes) - maxTableRows; more > 0 {
			fmt.Fprintf(w, "- and %d more; report.json lists every note.\n", more)
		}
		fmt.Fprintln(w)
	}

	if len(sc.Metrics) > 0 {
		fmt.Fprintf(w, "<details><summary>Every metric over seeds (%d)</summary>\n\n", len(sc.Metrics))
		fmt.Fprintf(w, "| checker | metric | runs | mean | median | p95 | p99 | min | max |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, m := range sc.Metrics {
			s := m.Summary
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s | %s | %s |\n", mdEscape(m.Checker), mdEscape(m.Name), s.N,
				num(s.Mean), num(s.Median), num(s.P95), num(s.P99), num(s.Min), num(s.Max))
		}
		fmt.Fprintf(w, "\n</details>\n\n")
	}
}

// partialWarning explains a loss rate over some of a scenario's runs.
const partialWarning = "Loss figures from only some of the runs: the others have no checker metrics (a sweep keeps verdict.json " +
	"for failing seeds alone; a run that errored has none), so these rates may lean towards failures. " +
	"Run each seed with --out for figures over every seed."

// partialLoss says whether a scenario's loss figures cover only some of
// its runs.
func partialLoss(sc reliability.Scenario) bool {
	n := sc.Loss.SeedsWithLoss.N
	return n > 0 && n < sc.Runs
}

// confLabel renders a confidence level as "95%".
func confLabel(c float64) string { return num(c*100) + "%" }

// seedsWithLoss renders "2 / 20 = 10.0% [2.79%, 30.1%]".
func seedsWithLoss(iv stats.Interval) string {
	if iv.N == 0 {
		return noData
	}
	k := int(iv.Estimate*float64(iv.N) + 0.5)
	return fmt.Sprintf("%d / %d = %s [%s, %s]", k, iv.N, pct(iv.Estimate), pct(iv.Lo), pct(iv.Hi))
}

// meanCI renders a rate's mean and interval as percentages.
func meanCI(iv stats.Interval) string {
	if iv.N == 0 {
		return noData
	}
	if !iv.Defined() {
		return pct(iv.Estimate) + " (one seed: no interval)"
	}
	return fmt.Sprintf("%s [%s, %s]", pct(iv.Estimate), pct(iv.Lo), pct(iv.Hi))
}

func meanMin(s stats.Summary) string {
	if s.N == 0 {
		return noData
	}
	return pct(s.Mean) + " / " + pct(s.Min)
}

// p99Cell is the pooled p99, or else the worst seed's own p99 marked †.
func p99Cell(l reliability.Latency) (string, bool) {
	if l.Pooled.N > 0 {
		return num(l.Pooled.P99), false
	}
	if l.P99OfSeeds.N > 0 {
		return num(l.P99OfSeeds.Max) + " †", true
	}
	return noData, false
}

// mdEscape keeps a name from breaking a table row or starting markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`)
	return r.Replace(s)
}

func quoteAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = "`" + x + "`"
	}
	return out
}

// JSON writes the report as indented JSON; figures no run measured are
// null.
func JSON(w io.Writer, rep reliability.Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("report JSON: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
