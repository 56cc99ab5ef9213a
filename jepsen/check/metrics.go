package check

import (
	"sort"
	"strings"
)

// countNames lists, per checker, the counts it always reports (zero when
// nothing happened), so that a bound such as "max-lost: 0" is judged even in
// a run where nothing was lost. Per-group counts ("lost:G") come on top.
var countNames = map[string][]string{
	"history": {"events", "operations", "bad_pairing", "no_identity", "no_group", "no_txn_id",
		"acks_without_offset", "receives_without_offset", "open_at_end", "clock_steps_back"},
	"linearizable": {"queues", "queues_ok", "queues_illegal", "queues_unknown", "writes", "writes_inferred", "writes_unobserved", "reads",
		"nonlinearizable", "offset_reused", "wrong_value", "phantom", "failed_send_visible"},
	"delivery": {"acknowledged", "unknown_sent", "delivered", "deliveries", "lost", "pending", "before_start", "duplicates", "duplicate",
		"unexpected", "unexpected_never_sent", "unexpected_failed_send", "unexpected_rolled_back", "unexpected_filtered", "corrupted", "dead_lettered"},
	"ordering": {"fifo_reorder", "redeliveries", "key_reorder", "key_gap", "keys", "queues"},
	"retry": {"retried_messages", "local_retries", "dead_lettered", "consumed_and_dead_lettered", "premature_dlq",
		"too_many_attempts", "early_retry", "retry_lost", "dlq_missing"},
	"delay": {"delayed_sent", "delayed_delivered", "early_delivery"},
	"transactions": {"transactions", "committed", "rolled_back", "undecided", "checks",
		"committed_lost", "committed_duplicate", "delivered_before_commit", "rolled_back_delivered",
		"undecided_delivered", "conflicting_decision", "check_missing", "check_late", "too_many_checks", "failed_half_delivered"},
	"stats": {"sends", "sends_ok", "sends_fail", "sends_info", "windows"},
}

// figureNames lists, per checker, the real-valued figures it reports when
// it has data for them (a percentile of nothing is not reported, so a bound
// on it fails rather than passing on silence).
var figureNames = map[string][]string{
	"delivery":     {"dup_ratio", "groups"},
	"retry":        pct("retry_wait_beyond_delay_ms"),
	"delay":        pct("lateness_ms"),
	"transactions": pct("first_check_ms"),
	"stats":        append(append([]string{"availability", "availability_worst_window", "longest_outage_ms"}, pct("send_latency_ms")...), pct("e2e_latency_ms")...),
}

func pct(name string) []string {
	return []string{name + "_p50", name + "_p90", name + "_p99", name + "_max"}
}

// MetricNames lists every checker's metric names, sorted, in the
// kebab-case that scenario files use ("early-delivery", "e2e-latency-ms-p99").
func MetricNames() map[string][]string {
	out := map[string][]string{}
	for _, c := range sortedKeys(countNames) {
		var names []string
		for _, n := range countNames[c] {
			names = append(names, kebab(n))
		}
		for _, n := range figureNames[c] {
			names = append(names, kebab(n))
		}
		sort.Strings(names)
		out[c] = names
	}
	return out
}

// Metrics returns the report's counts and figures by checker and metric, in
// kebab-case, the shape scenario expectations ("max-lost: 0") are judged
// against. Per-group counts keep their group: "lost:G".
func (r Report) Metrics() map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, c := range r.Checkers {
		m := map[string]float64{}
		for k, v := range c.Counts {
			m[kebab(k)] = float64(v)
		}
		for k, v := range c.Figures {
			m[kebab(k)] = v
		}
		out[c.Name] = m
	}
	return out
}

func kebab(s string) string {
	name, group, found := strings.Cut(s, ":")
	name = strings.ReplaceAll(name, "_", "-")
	if found {
		return name + ":" + group
	}
	return name
}
