// Package jepsen is the home of histories and checkers: what clients
// observed, and the judges of it. Checkers read histories only, never broker
// internals, so they can judge any RocketMQ-protocol cluster, Apache's own
// included.
//
//   - jepsen/history: the one history format (JSON lines of invoke/ok/fail/
//     info events), a deterministic Recorder for simulated clients, Synced
//     for real ones, pairing of invokes with completions, Merge for
//     per-process histories, and the recording guide.
//   - jepsen/check: WellFormed (the recording contract), then one checker
//     per invariant (Linearizable per queue with porcupine, Delivery,
//     Ordering, Retry, Delay, Transactions, Stats); Run combines them under
//     a scenario's Expectations into one verdict, Report.WriteVerdict writes
//     verdict.json and Report.Metrics feeds scenario bounds ("max-lost: 0").
//   - jepsen/judge: the command that judges a history file
//     (go run ./jepsen/judge -config checks.yaml -out DIR history.jsonl).
//   - jepsen/official: recording helpers for the official Go client.
//   - jepsen/synth: a seeded model broker that writes histories, with a
//     switch per bug, to show each checker catches the bug it exists for.
//
// A checker that has never failed proves nothing: every anomaly kind has a
// hand-made history in jepsen/check/testdata whose header says what each
// checker must conclude, and every synth fault fails exactly its checkers.
package jepsen
