package procrun

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"rocketsim/jepsen/history"
)

// PrintReport writes a run's findings one per line, as the simulator's CLI
// does, then its verdict.
func PrintReport(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "faults: %d planned\n", len(rep.Faults))
	for _, f := range rep.Faults {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "real: %v, %d events\n", rep.Elapsed.Round(100_000_000), len(rep.History))
	fmt.Fprintf(w, "%s (%s clients): %s\n", rep.Workload, rep.Clients, rep.Counts)
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	for _, j := range rep.Judgements {
		fmt.Fprintf(w, "check: %s\n", j)
	}
	fmt.Fprintf(w, "checkers: %s", rep.Check.Verdict)
	if len(rep.Check.Failed) > 0 {
		fmt.Fprintf(w, " (%v)", rep.Check.Failed)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "seed: %d\n", rep.Seed)
	if rep.Dir != "" {
		fmt.Fprintf(w, "dir: %s (data dirs, broker.conf files, process logs)\n", rep.Dir)
	}
	fmt.Fprintf(w, "verdict: %s\n", verdictWord(rep.Pass))
}

func verdictWord(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

// WriteOut writes verdict.json and history.jsonl into dir.
func WriteOut(dir string, rep *Report, replay string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	verdict := struct {
		*Report
		Verdict string `json:"verdict"`
		Replay  string `json:"replay"`
	}{rep, verdictWord(rep.Pass), replay}
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
