package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"rocketsim/reports/reliability"
	"rocketsim/reports/runs"
)

func TestNum(t *testing.T) {
	cases := map[float64]string{
		0: "0", 7: "7", -3: "-3", 12345: "12345", 12.345: "12.3", 1.2345: "1.23",
		0.012345: "0.0123", 0.5: "0.500", 123.456: "123", math.NaN(): "—", math.Inf(1): "—",
	}
	for f, want := range cases {
		if got := num(f); got != want {
			t.Errorf("num(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestPct(t *testing.T) {
	cases := map[float64]string{
		0: "0%", 1: "100%", 0.5: "50.0%", 0.02796: "2.80%", 0.000123: "0.0123%", 0.9996: "99.96%", 0.995: "99.5%", 0.999999: "99.9999%", 0.99: "99.0%", math.NaN(): "—",
	}
	for f, want := range cases {
		if got := pct(f); got != want {
			t.Errorf("pct(%v) = %q, want %q", f, got, want)
		}
	}
	if confLabel(0.95) != "95%" {
		t.Errorf("confLabel(0.95) = %q", confLabel(0.95))
	}
}

func sampleReport() reliability.Report {
	m := func(acked, lost, dups, avail float64) map[string]map[string]float64 {
		return map[string]map[string]float64{
			"delivery": {"acknowledged": acked, "lost": lost, "duplicates": dups, "dup-ratio": dups / acked},
			"stats":    {"availability": avail, "availability-worst-window": avail - 0.5, "send-latency-ms-p99": 12},
		}
	}
	return reliability.Build([]runs.Run{
		{Scenario: "sync|flush", Seed: 1, Verdict: runs.Pass, Metrics: m(100, 0, 1, 1)},
		{Scenario: "sync|flush", Seed: 2, Verdict: runs.Pass, Metrics: m(100, 0, 3, 0.9)},
		{Scenario: "async", Seed: 1, Verdict: runs.Fail, Metrics: m(200, 10, 0, 0.8), Faults: []string{"1.000s {kind: power-loss, nodes: [b]}", "2.000s {kind: power-loss, nodes: [b]}", "3.000s {kind: restart, nodes: [b]}"}},
		{Scenario: "async", Seed: 2, Verdict: runs.Pass, Metrics: m(100, 0, 0, 0.8), Faults: []string{"1.000s {kind: restart, nodes: [b]}"}},
		{Scenario: "async", Seed: 3, Verdict: runs.Unknown, Note: "simulator error: boom"},
	})
}

func TestMarkdownRows(t *testing.T) {
	var buf bytes.Buffer
	if err := Markdown(&buf, sampleReport(), Options{Inputs: []string{"out/a"}, Plots: map[string][]Image{"async": {{Title: "async: loss", Path: "plots/async-loss.png"}}}}); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"# Reliability report\n",
		"5 runs of 2 scenarios, read from `out/a`.",
		// async: 1 of 2 seeds with metrics lost data; lost/acked 0.05 and 0 -> mean 2.50%.
		"| async | 3 | 1 | 1 | 1 | 1 / 2 = 50.0% [",
		"| 2.50% [0%, ",
		// no pooled latency: the worst seed's p99 with a dagger and its footnote.
		"| 12 † |",
		"† no history was read",
		// the pipe in the name is escaped so the row keeps its columns.
		"| sync\\|flush | 2 | 2 | 0 | 0 | 0 / 2 = 0% [0%, 65.8%] | 0% [0%, 0%] | 2.00% [0%, 14.7%] | — |",
		// duplicates 1 and 3 of 100: mean 2, ratio mean 2% with t(1) = 12.706.
		"Duplicate deliveries per run: mean 2, median 1, max 3; as a share of deliveries: mean 2.00% [0%, 14.7%], max 3.00%.",
		"| 95.0% / 90.0% | 40.0% |",
		"## async\n",
		"Seeds 1..3: 3 runs, 1 pass, 1 fail, 1 unknown. Checker metrics from 2 runs, histories from 0.",
		"| 1 | 10 | 200 | 5.00% |",
		"Faults per run, mean over the 2 runs that list them: power-loss 1 (max 2), restart 1 (max 1).",
		// power-loss struck seed 1 (lossy), spared seed 2 (clean); restart struck both.
		"| power-loss | 1 / 1 = 100% [20.7%, 100%] | 0 / 1 = 0% [0%, 79.3%] |",
		"![async: loss](plots/async-loss.png)",
		"- seed 3: simulator error: boom",
		"No seed lost an acknowledged message. That is not a proof of zero: with 95% confidence, fewer than 65.8% of seeds would. 73 clean seeds would bring that bound under 5.00%.",
		"| delivery | lost | 2 | 5 | 0 | 10 | 10 | 0 | 10 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q\n%s", want, md)
		}
	}
	if strings.Contains(md, "| restart |") {
		t.Error("restart struck every run but has a row in the loss-by-fault table")
	}
	// Scenarios in name order: async before sync|flush.
	if strings.Index(md, "## async") > strings.Index(md, "## sync") {
		t.Error("scenario sections not in name order")
	}
	// Every table row of the summary has the header's column count.
	var header int
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| scenario |") {
			header = columns(line)
		}
		if header > 0 && (strings.HasPrefix(line, "| async") || strings.HasPrefix(line, "| sync")) {
			if n := columns(line); n != header {
				t.Errorf("row has %d columns, header %d: %s", n, header, line)
			}
		}
	}
	if header != 13 {
		t.Errorf("summary header has %d columns, want 13", header)
	}
}

// columns counts a table row's cells, not counting escaped pipes.
func columns(row string) int {
	return strings.Count(strings.ReplaceAll(row, `\|`, ""), "|") - 1
}

func TestJSONRoundTrips(t *testing.T) {
	rep := sampleReport()
	var a, b bytes.Buffer
	if err := JSON(&a, rep); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&b, rep); err != nil || a.String() != b.String() {
		t.Fatal("two renderings differ")
	}
	var back reliability.Report
	if err := json.Unmarshal(a.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Scenarios) != 2 || back.Scenarios[0].Loss.SeedsWithLoss.N != 2 || !math.IsNaN(back.Scenarios[0].LatenessMaxMs.Max) {
		t.Errorf("round trip lost data: %+v", back.Scenarios[0])
	}
	if !strings.Contains(a.String(), `"lateness_max_ms": {`) || !strings.Contains(a.String(), `"max": null`) {
		t.Error("unmeasured figures are not null in the JSON")
	}
}

// TestLongSweepsStayReadable: a section lists at most maxTableRows lossy
// seeds, worst first, and as many notes, and says how many it left out.
func TestLongSweepsStayReadable(t *testing.T) {
	var rs []runs.Run
	for seed := uint64(1); seed <= 60; seed++ {
		rs = append(rs, runs.Run{Scenario: "s", Seed: seed, Verdict: runs.Fail, Note: fmt.Sprintf("failed delivery.lost = %d (limit 0)", seed),
			Metrics: map[string]map[string]float64{"delivery": {"acknowledged": 1000, "lost": float64(seed)}}})
	}
	var buf bytes.Buffer
	if err := Markdown(&buf, reliability.Build(rs), Options{}); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	rows := len(regexp.MustCompile(`(?m)^\| \d+ \| \d+ \| 1000 \| [0-9.]+% \|$`).FindAllString(md, -1))
	if rows != maxTableRows {
		t.Errorf("%d loss rows, want %d", rows, maxTableRows)
	}
	if !strings.Contains(md, "| seed | lost | acknowledged | lost / acked |\n|---:|---:|---:|---:|\n| 60 | 60 | 1000 | 6.00% |") {
		t.Error("the worst seed (60) is not the first row")
	}
	if !strings.Contains(md, "10 more seeds lost messages") || !strings.Contains(md, "- and 10 more; report.json lists every note.") {
		t.Errorf("no word of the rows left out:\n%s", md)
	}
	if strings.Contains(md, "| 10 | 10 | 1000 |") {
		t.Error("a seed beyond the bound is listed")
	}
}
