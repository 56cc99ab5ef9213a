package check

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"rocketsim/jepsen/history"
)

// Expectations are what a scenario demands of a run, checker by checker. A
// nil field takes the default shown; a checker that is not required still
// runs and reports its measurements, but cannot fail the run.
type Expectations struct {
	// Linearizable requires every queue to be linearizable (default true).
	Linearizable *bool `yaml:"linearizable" json:"linearizable,omitempty"`
	// Delivery requires the delivery rules (default true); a producer-only
	// workload, with no consumers to judge, turns it off.
	Delivery *bool `yaml:"delivery" json:"delivery,omitempty"`
	// Lost is the most acknowledged messages a group may lose (default: the
	// delivery options' max_lost, itself 0 by default; -1: report only, for modes where loss is documented, such as
	// ASYNC_FLUSH under power loss).
	Lost *int64 `yaml:"lost" json:"lost,omitempty"`
	// Unexpected bounds deliveries of never-sent, failed or rolled-back
	// messages (default 0).
	Unexpected *int64 `yaml:"unexpected" json:"unexpected,omitempty"`
	// MaxDupRatio bounds duplicates / deliveries (default: report only).
	MaxDupRatio *float64 `yaml:"max_dup_ratio" json:"max_dup_ratio,omitempty"`
	// Ordering requires FIFO per queue and per-key order for orderly groups
	// (default true).
	Ordering      *bool    `yaml:"ordering" json:"ordering,omitempty"`
	FIFOGroups    []string `yaml:"fifo_groups" json:"fifo_groups,omitempty"`
	OrderlyGroups []string `yaml:"orderly_groups" json:"orderly_groups,omitempty"`
	// EarlyDelay bounds delayed messages delivered early (default 0).
	EarlyDelay *int64 `yaml:"early_delay" json:"early_delay,omitempty"`
	// Retry requires the retry/DLQ rules (default true).
	Retry *bool `yaml:"retry" json:"retry,omitempty"`
	// Transactions requires the transaction rules (default true).
	Transactions *bool `yaml:"transactions" json:"transactions,omitempty"`
	// MinAvailability and MinWindowAvailability bound the share of
	// acknowledged sends (default: report only).
	MinAvailability       float64 `yaml:"min_availability" json:"min_availability,omitempty"`
	MinWindowAvailability float64 `yaml:"min_window_availability" json:"min_window_availability,omitempty"`
}

// Config is how to judge one history: the expectations, and the facts of the
// deployment the checkers need (clock-error bound, delay levels, retry
// limits...). ClockError and Settle apply to every checker whose own option
// is zero.
type Config struct {
	Expect Expectations `yaml:"expect" json:"expect,omitempty"`
	// ClockError bounds how far any two clients' clocks may disagree.
	ClockError time.Duration `yaml:"clock_error" json:"clock_error,omitempty"`
	// Settle is how long before the history's end a message may still be in
	// flight without counting as lost.
	Settle time.Duration `yaml:"settle" json:"settle,omitempty"`
	// OutDir receives porcupine's visualisations of failing queues ("" for
	// none).
	OutDir string `yaml:"-" json:"-"`

	Linearizable LinearizableOptions `yaml:"linearizable" json:"linearizable,omitempty"`
	Delivery     DeliveryOptions     `yaml:"delivery" json:"delivery,omitempty"`
	Ordering     OrderingOptions     `yaml:"ordering" json:"ordering,omitempty"`
	Retry        RetryOptions        `yaml:"retry" json:"retry,omitempty"`
	Delay        DelayOptions        `yaml:"delay" json:"delay,omitempty"`
	Txn          TxnOptions          `yaml:"txn" json:"txn,omitempty"`
	Stats        StatsOptions        `yaml:"stats" json:"stats,omitempty"`
}

// Checked is one checker's result in a report.
type Checked struct {
	Result
	// Required says whether this result can fail the run.
	Required bool `json:"required"`
}

// Report is the combined verdict over one history.
type Report struct {
	Verdict Verdict `json:"verdict"`
	Events  int     `json:"events"`
	// Failed names the required checkers that did not pass.
	Failed   []string  `json:"failed,omitempty"`
	Checkers []Checked `json:"checkers"`
	// Availability is the send availability per window, for plots.
	Availability []Window `json:"availability,omitempty"`
}

func orTrue(b *bool) bool { return b == nil || *b }

// Run judges a history under cfg: every checker runs, the required ones
// decide. The overall verdict is fail if any required checker failed, else
// unknown if any was unknown, else pass.
func Run(ops []history.Op, cfg Config) Report {
	e := cfg.Expect
	dur := func(own, all time.Duration) time.Duration {
		if own != 0 {
			return own
		}
		return all
	}

	lin := cfg.Linearizable
	lin.ClockError = dur(lin.ClockError, cfg.ClockError)
	if lin.VisualizeDir == "" {
		lin.VisualizeDir = cfg.OutDir
	}
	del := cfg.Delivery
	del.Settle = dur(del.Settle, cfg.Settle)
	del.ClockError = dur(del.ClockError, cfg.ClockError)
	if e.Lost != nil {
		del.MaxLost = *e.Lost
	}
	if e.Unexpected != nil {
		del.MaxUnexpected = *e.Unexpected
	}
	if e.MaxDupRatio != nil {
		del.MaxDupRatio = e.MaxDupRatio
	}
	ord := cfg.Ordering
	if e.FIFOGroups != nil {
		ord.FIFOGroups = e.FIFOGroups
	}
	if e.OrderlyGroups != nil {
		ord.OrderlyGroups = e.OrderlyGroups
	}
	ret := cfg.Retry
	ret.ClockError = dur(ret.ClockError, cfg.ClockError)
	ret.Settle = dur(ret.Settle, cfg.Settle)
	if ret.OrderlyGroups == nil {
		ret.OrderlyGroups = ord.OrderlyGroups
	}
	if ret.BroadcastGroups == nil {
		ret.BroadcastGroups = del.BroadcastGroups
	}
	dly := cfg.Delay
	dly.ClockError = dur(dly.ClockError, cfg.ClockError)
	if e.EarlyDelay != nil {
		dly.MaxEarly = *e.EarlyDelay
	}
	if dly.Levels == nil {
		dly.Levels = del.DelayLevels
	}
	txn := cfg.Txn
	txn.ClockError = dur(txn.ClockError, cfg.ClockError)
	txn.Settle = dur(txn.Settle, cfg.Settle)
	sts := cfg.Stats
	sts.MinAvailability = max(sts.MinAvailability, e.MinAvailability)
	sts.MinWindowAvailability = max(sts.MinWindowAvailability, e.MinWindowAvailability)

	rep := Report{Events: len(ops)}
	add := func(r Result, required bool) {
		rep.Checkers = append(rep.Checkers, Checked{Result: r, Required: required})
	}
	add(WellFormed(ops), true)
	add(Linearizable(ops, lin), orTrue(e.Linearizable))
	add(Delivery(ops, del), orTrue(e.Delivery))
	add(Ordering(ops, ord), orTrue(e.Ordering))
	add(Retry(ops, ret), orTrue(e.Retry))
	add(Delay(ops, dly), true)
	add(Transactions(ops, txn), orTrue(e.Transactions))
	add(Stats(ops, sts), true)
	rep.Availability, _ = Availability(ops, sts.Window) // a pairing error is already in the results

	rep.Verdict = Pass
	for _, c := range rep.Checkers {
		if !c.Required {
			continue
		}
		switch c.Verdict {
		case Fail:
			rep.Verdict = Fail
			rep.Failed = append(rep.Failed, c.Name)
		case Unknown:
			if rep.Verdict == Pass {
				rep.Verdict = Unknown
			}
			rep.Failed = append(rep.Failed, c.Name)
		}
	}
	return rep
}

// RunFile reads a history file and judges it.
func RunFile(path string, cfg Config) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("check: %w", err)
	}
	defer f.Close()
	ops, err := history.Read(f, path)
	if err != nil {
		return Report{}, fmt.Errorf("check: %w", err)
	}
	return Run(ops, cfg), nil
}

// WriteJSON writes the report as indented JSON. Map keys come out sorted, so
// one history always gives the same bytes.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("check: write report: %w", err)
	}
	return nil
}

// VerdictFile is the report's file name in a run's output folder.
const VerdictFile = "verdict.json"

// WriteVerdict writes dir/verdict.json, creating dir.
func (r Report) WriteVerdict(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, VerdictFile))
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if err := r.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	return nil
}

// Summary is one line per checker for a terminal, e.g.
// "delivery      fail    deliveries=9 lost=3 ... [lost: 3 > allowed 0]".
// It leaves the overall verdict line to the caller (the simulator's CLI
// prints seed, trace hash and verdict last).
func (r Report) Summary() string {
	var sb strings.Builder
	for _, c := range r.Checkers {
		req := ""
		if !c.Required {
			req = " (report only)"
		}
		fmt.Fprintf(&sb, "%-13s %-7s%s", c.Name, c.Verdict, req)
		for _, k := range sortedKeys(c.Counts) {
			if c.Counts[k] != 0 {
				fmt.Fprintf(&sb, " %s=%d", k, c.Counts[k])
			}
		}
		for _, k := range sortedKeys(c.Figures) {
			fmt.Fprintf(&sb, " %s=%.4g", k, c.Figures[k])
		}
		if len(c.Reasons) > 0 {
			fmt.Fprintf(&sb, " [%s]", strings.Join(c.Reasons, "; "))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// Explain lists up to max anomalies of each checker that did not pass, one
// per line with the history indices to look at, for a terminal.
func (r Report) Explain(max int) string {
	var sb strings.Builder
	for _, c := range r.Checkers {
		if c.Verdict == Pass {
			continue
		}
		for i, a := range c.Anomalies {
			if i == max {
				fmt.Fprintf(&sb, "%s: ... %d more listed in verdict.json\n", c.Name, len(c.Anomalies)-max)
				break
			}
			fmt.Fprintf(&sb, "%s: %s: %s", c.Name, a.Kind, a.Explanation)
			if len(a.Ops) > 0 {
				fmt.Fprintf(&sb, " (events %v)", a.Ops)
			}
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}
