package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"rocketsim/jepsen/history"
)

// printReport writes a run's findings, one per line; every line is a
// function of the scenario and the seed.
func printReport(w io.Writer, rep *report) {
	fmt.Fprintf(w, "faults: %d planned\n", len(rep.Faults))
	for _, f := range rep.Faults {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "simulated: %v, %d events\n", rep.Simulated, rep.Events)
	fmt.Fprintf(w, "%s: %s\n", rep.Workload, rep.Counts)
	if len(rep.Buggified) > 0 {
		fmt.Fprint(w, "buggify:")
		for _, site := range slices.Sorted(maps.Keys(rep.Buggified)) {
			fmt.Fprintf(w, " %s=%d", site, rep.Buggified[site])
		}
		fmt.Fprintln(w)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	for _, j := range rep.Judgements {
		fmt.Fprintf(w, "check: %s\n", j)
	}
}

// writeOut writes the run's artefacts into dir.
func writeOut(dir string, rep *report, replay string) error {
	verdict := struct {
		*report
		Verdict string `json:"verdict"`
		Replay  string `json:"replay"`
	}{rep, map[bool]string{true: "PASS", false: "FAIL"}[rep.Pass], replay}
	b, err := json.MarshalIndent(verdict, "", "  ")
	if err != nil {
		return fmt.Errorf("verdict.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "verdict.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return history.WriteFile(filepath.Join(dir, "history.jsonl"), rep.History)
}

// jsonLine renders v as one line of JSON.
func jsonLine(v any) ([]byte, error) { return json.Marshal(v) }
