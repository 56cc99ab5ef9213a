package check

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"rocketsim/jepsen/history"
)

// ddCase is one judgement a testdata history asks for, written in its
// header comments:
//
//	# check: delivery
//	# options: {max_dup_ratio: 0}     (YAML, the checker's options)
//	# want: fail duplicate 2,3        (verdict, then an anomaly kind and the ops it names)
type ddCase struct {
	line    int
	checker string
	options string
	want    string
}

func readCases(t *testing.T, path string) []ddCase {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []ddCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		key, val, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), ": ")
		if !strings.HasPrefix(sc.Text(), "# ") || !ok {
			continue
		}
		switch key {
		case "check":
			cases = append(cases, ddCase{line: n, checker: val})
		case "options":
			cases[len(cases)-1].options = val
		case "want":
			cases[len(cases)-1].want = val
		}
	}
	return cases
}

func decodeOptions[T any](t *testing.T, text string) T {
	var opt T
	if text == "" {
		return opt
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&opt); err != nil {
		t.Fatalf("options %q: %v", text, err)
	}
	return opt
}

func runChecker(t *testing.T, name, options string, ops []history.Op) Result {
	switch name {
	case "linearizable":
		return Linearizable(ops, decodeOptions[LinearizableOptions](t, options))
	case "delivery":
		return Delivery(ops, decodeOptions[DeliveryOptions](t, options))
	case "ordering":
		return Ordering(ops, decodeOptions[OrderingOptions](t, options))
	case "retry":
		return Retry(ops, decodeOptions[RetryOptions](t, options))
	case "delay":
		return Delay(ops, decodeOptions[DelayOptions](t, options))
	case "transactions":
		return Transactions(ops, decodeOptions[TxnOptions](t, options))
	case "stats":
		return Stats(ops, decodeOptions[StatsOptions](t, options))
	case "history":
		return WellFormed(ops)
	}
	t.Fatalf("unknown checker %q", name)
	return Result{}
}

// TestTestdata runs every hand-made history in testdata against the
// judgements its header asks for: each anomaly kind has a history that
// shows it, and good histories pass.
func TestTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	kinds := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		cases := readCases(t, path)
		if len(cases) == 0 {
			t.Errorf("%s: no '# check:' header says what it shows", name)
			continue
		}
		ops := load(t, name)
		for _, c := range cases {
			t.Run(name+":"+strconv.Itoa(c.line), func(t *testing.T) {
				f := strings.Fields(c.want)
				if len(f) == 0 {
					t.Fatalf("no '# want:' for the check at line %d", c.line)
				}
				r := runChecker(t, c.checker, c.options, ops)
				wantVerdict(t, r, Verdict(f[0]))
				if len(f) > 1 {
					var idx []int64
					if len(f) > 2 {
						for _, s := range strings.Split(f[2], ",") {
							n, err := strconv.ParseInt(s, 10, 64)
							if err != nil {
								t.Fatalf("want %q: %v", c.want, err)
							}
							idx = append(idx, n)
						}
					}
					wantAnomaly(t, r, f[1], idx...)
					kinds[c.checker+"."+f[1]] = true
				}
			})
		}
	}
	// Every anomaly kind that fails a checker has a hand-made history.
	for _, kind := range []string{
		"history.no_group", "history.no_identity", "history.no_txn_id",
		"linearizable.nonlinearizable", "linearizable.offset_reused", "linearizable.wrong_value", "linearizable.phantom", "linearizable.failed_send_visible",
		"delivery.lost", "delivery.duplicate", "delivery.unexpected_never_sent", "delivery.unexpected_failed_send", "delivery.unexpected_rolled_back", "delivery.unexpected_filtered", "delivery.corrupted",
		"ordering.fifo_reorder", "ordering.key_reorder", "ordering.key_gap",
		"retry.consumed_and_dead_lettered", "retry.premature_dlq", "retry.too_many_attempts", "retry.early_retry", "retry.retry_lost", "retry.dlq_missing",
		"delay.early_delivery",
		"transactions.committed_lost", "transactions.committed_duplicate", "transactions.delivered_before_commit", "transactions.rolled_back_delivered",
		"transactions.undecided_delivered", "transactions.conflicting_decision", "transactions.check_missing", "transactions.check_late",
		"transactions.too_many_checks", "transactions.failed_half_delivered",
	} {
		if !kinds[kind] {
			t.Errorf("no testdata history shows %s", kind)
		}
	}
}
