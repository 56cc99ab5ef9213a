// Command jetstream compares our broker's end-to-end throughput with NATS
// JetStream's on this machine, in one run:
//
//	cd bench/jetstream && go run . [-dur 3s] [-n 0] [-tries 3] [-cases REGEXP]
//	    [-profile DIR] [-cpuprofile FILE] [-verify]
//
// It starts, as child processes of its own binary, our name server and one
// broker (realrt, loopback TCP, the same node constructors the ./namesrv
// and ./broker mains use) and an embedded nats-server with JetStream on
// file storage, each with a temporary data directory; then runs every case
// against both, alternating, and prints a table of msgs/s, the ratio
// ours/JetStream, and p50/p99 publish latency.
//
// Durability is matched: "async-durability" cases run our ASYNC_FLUSH
// against JetStream's default (an fsync every 2 minutes, none per
// message); "sync-durability" cases run our SYNC_FLUSH (acked after fsync,
// group commit) against JetStream's sync_interval: always (SyncAlways). The
// two settings run on separate server pairs, started in turn.
//
// This is a module of its own (rocketsim/bench/jetstream) so that
// nats-server stays out of the main module's dependencies.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func main() {
	if code, ok := serveChild(); ok {
		os.Exit(code)
	}
	os.Exit(runMain(os.Args[1:]))
}

func runMain(args []string) int {
	fs := flag.NewFlagSet("jetstream", flag.ContinueOnError)
	var o options
	fs.DurationVar(&o.duration, "dur", 3*time.Second, "how long each try of a publish case lasts")
	fs.IntVar(&o.count, "n", 0, "end each try after this many messages (0: only -dur ends it); also caps -preload")
	fs.IntVar(&o.size, "size", 1024, "message body size in bytes")
	fs.IntVar(&o.tries, "tries", 3, "tries per case and side; the best counts")
	fs.IntVar(&o.queues, "queues", 8, "queues of our topics (the admin tools' default)")
	fs.IntVar(&o.pullMax, "pull", 256, "messages per consumer poll (ours) and buffered pull (JetStream PullMaxMessages)")
	fs.IntVar(&o.window, "window", 256, "sends in flight in the async publish cases")
	fs.IntVar(&o.preload, "preload", 200000, "messages the consume case preloads and drains")
	fs.BoolVar(&o.verify, "verify", false, "after each publish try, drain it and check every acked message is there")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound on one try, preload and verification included")
	match := fs.String("cases", "", "run only the cases whose name matches this regexp")
	fs.StringVar(&o.profileDir, "profile", "", "directory for each server child's CPU profile (go tool pprof -top BINARY FILE)")
	fs.StringVar(&o.dir, "dir", "", "parent of the servers' data directories (default: a new temporary directory, removed afterwards)")
	fs.BoolVar(&o.asyncCore, "async-core", false, "our async publishes go to the event-driven producer core directly, not through client/blocking's SendAsync (shows the facade's cost)")
	fs.StringVar(&o.only, "only", "", "run one side alone, ours or jetstream (for profiling; the table's other columns stay empty)")
	quiet := fs.Bool("q", false, "no per-try progress lines on stderr")
	cpuProfile := fs.String("cpuprofile", "", "write this process's CPU profile (the clients of both sides) to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.cases = defaultCases(o.window, o.preload)
	if *match != "" {
		re, err := regexp.Compile(*match)
		if err != nil {
			fmt.Fprintln(os.Stderr, "jetstream: -cases:", err)
			return 2
		}
		var keep []benchCase
		for _, c := range o.cases {
			if re.MatchString(c.name) {
				keep = append(keep, c)
			}
		}
		o.cases = keep
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "jsbench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "jetstream:", err)
			return 1
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "jetstream:", err)
			return 1
		}
	}
	if !*quiet {
		o.progress = os.Stderr
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "jetstream:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "jetstream:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	// Ctrl-C ends the run cleanly: the try in progress fails on the
	// cancelled context, the children are stopped through their stdin
	// (they ignore the signal themselves), and the data directory goes.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.loadStart = loadAverage()
	rows, err := bench(ctx, o)
	o.loadEnd = loadAverage()
	if len(rows) > 0 {
		printTable(os.Stdout, rows, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jetstream:", err)
		return 1
	}
	return 0
}

// loadAverage is the first three fields of /proc/loadavg, or "" where
// there is none: other work on the machine shows in the results.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
