// Command procrun runs a scenario against the real name server and broker
// binaries as OS processes, under the scenario's faults (signals, a TCP
// proxy on every link, the brokers' failpoint control sockets), and judges
// what this project's clients observed with the simulator's checkers:
//
//	go run ./jepsen/procrun/cmd/procrun [--seed N] [--out DIR] [--dir DIR] [-v] scenarios/proc-crash-sync-flush.yaml
//
// It builds ./namesrv and ./jepsen/procrun/fpbroker first (the broker with
// its control socket). Times in the scenario are real time. --out writes
// verdict.json and history.jsonl (judge it again with go run ./jepsen/judge).
// --dir keeps the processes' data dirs, configurations and logs there (by
// default a temporary directory, removed after a passing run). The exit
// code is 0 for PASS, 1 for FAIL, 2 when the run could not happen.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"rocketsim/jepsen/procrun"
	"rocketsim/sim/scenario"
)

func main() { os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr)) }

func realMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("procrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "seed of the fault schedule (0: the scenario's, else drawn)")
	out := fs.String("out", "", "directory for verdict.json and history.jsonl")
	dir := fs.String("dir", "", "directory for the processes' data, configurations and logs")
	verbose := fs.Bool("v", false, "log the runner's progress to stderr")
	clientLogs := fs.Bool("client-logs", false, "log the clients' own messages to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: procrun [--seed N] [--out DIR] [--dir DIR] [-v] FILE")
		return 2
	}
	file := fs.Arg(0)
	s, err := scenario.Load(file)
	if err != nil {
		fmt.Fprintln(stderr, "procrun:", err)
		return 2
	}
	opts := procrun.Options{Seed: *seed, Dir: *dir}
	if *verbose {
		opts.Log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	if *clientLogs {
		opts.ClientLog = slog.New(slog.NewTextHandler(stderr, nil))
	} else {
		// Some client parts log to the default logger: the report is the
		// output.
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "scenario: %s (%s)\n", s.Name, file)
	rep, err := procrun.Run(ctx, s, opts)
	if err != nil {
		fmt.Fprintf(stderr, "procrun: %s: %v\n", file, err)
		return 2
	}
	replay := fmt.Sprintf("go run ./jepsen/procrun/cmd/procrun --seed %d %s", rep.Seed, file)
	if *out != "" {
		if err := procrun.WriteOut(*out, rep, replay); err != nil {
			fmt.Fprintln(stderr, "procrun: --out:", err)
		}
	}
	if !rep.Pass {
		fmt.Fprintf(stdout, "replay: %s (real processes: the schedule replays, the interleaving does not)\n", replay)
	}
	procrun.PrintReport(stdout, rep)
	if !rep.Pass {
		return 1
	}
	return 0
}
