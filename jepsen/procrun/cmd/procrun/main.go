// Command procrun runs scenarios against the real name server and broker
// binaries as OS processes, under the scenario's faults (signals, a TCP
// proxy on every link, the brokers' failpoint control sockets), and judges
// what this project's clients observed with the simulator's checkers:
//
//	go run ./jepsen/procrun/cmd/procrun [--seed N] [--out DIR] [--dir DIR] [-v] [--plain] [--clients ours|official] FILE...
//	go run ./jepsen/procrun/cmd/procrun scenarios/proc-*.yaml
//
// It builds the shipped ./namesrv and ./broker first and runs them with
// their failpoint control sockets (-control, on loopback); --plain runs
// them without, so no process opens a fault injector and scenarios with
// disk or clock faults are refused.
// --clients official drives the load with the official Go client instead
// of this project's (the verifier group that reads every queue at the end
// is always ours). Times in the scenario are real time. --out writes
// verdict.json and history.jsonl (judge it again with go run ./jepsen/judge).
// --dir keeps the processes' data dirs, configurations and logs there (by
// default a temporary directory, removed after a passing run without
// problems). Several files run one after the other; then --out and --dir
// get a subdirectory per scenario name. The exit code is 0 when every run passed, 1 when one
// failed, 2 when a run could not happen.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
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
	clients := fs.String("clients", "ours", "whose client drives the load: ours or official (github.com/apache/rocketmq-client-go/v2)")
	plain := fs.Bool("plain", false, "run ./namesrv and ./broker without -control: no failpoint control sockets, so disk and clock faults are refused")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: procrun [--seed N] [--out DIR] [--dir DIR] [-v] [--client-logs] [--plain] [--clients ours|official] FILE...")
		return 2
	}
	var log, clientLog *slog.Logger
	if *verbose {
		log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	if *clientLogs {
		clientLog = slog.New(slog.NewTextHandler(stderr, nil))
	} else {
		// Some client parts log to the default logger: the report is the
		// output.
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}

	// Load and check every file first: a mistake in the last one should
	// not wait for the first one's run.
	var scenarios []*scenario.Scenario
	for _, file := range fs.Args() {
		s, err := scenario.Load(file)
		if err == nil {
			err = procrun.Check(s, procrun.Controls{Namesrv: !*plain, Broker: !*plain})
		}
		if err != nil {
			fmt.Fprintln(stderr, "procrun:", err)
			return 2
		}
		scenarios = append(scenarios, s)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	many := len(scenarios) > 1
	code := 0
	for i, s := range scenarios {
		file := fs.Arg(i)
		opts := procrun.Options{Seed: *seed, Dir: *dir, Plain: *plain, Clients: *clients, Log: log, ClientLog: clientLog}
		outDir := *out
		if many && opts.Dir != "" {
			opts.Dir = filepath.Join(opts.Dir, s.Name)
		}
		if many && outDir != "" {
			outDir = filepath.Join(outDir, s.Name)
		}
		fmt.Fprintf(stdout, "scenario: %s (%s)\n", s.Name, file)
		rep, err := procrun.Run(ctx, s, opts)
		if err != nil {
			fmt.Fprintf(stderr, "procrun: %s: %v\n", file, err)
			return 2
		}
		replay := fmt.Sprintf("go run ./jepsen/procrun/cmd/procrun --seed %d %s", rep.Seed, file)
		if outDir != "" {
			if err := procrun.WriteOut(outDir, rep, replay); err != nil {
				fmt.Fprintln(stderr, "procrun: --out:", err)
			}
		}
		if !rep.Pass {
			fmt.Fprintf(stdout, "replay: %s (real processes: the fault schedule replays, the interleaving does not)\n", replay)
			code = 1
		}
		procrun.PrintReport(stdout, rep)
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "procrun: interrupted")
			return 2
		}
	}
	return code
}
