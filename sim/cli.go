package main

import (
	"flag"
	"fmt"
	"io"
	goruntime "runtime"
	"strconv"
	"strings"
)

// cliFlags are the parsed command line.
type cliFlags struct {
	file    string
	seed    uint64
	seedSet bool
	trace   string
	out     string
	verbose bool
	bench   bool
	// seeds, when set, asks for a sweep over [first, last].
	seeds       string
	first, last uint64
	jobs        int
	shrink      bool
}

// parseArgs parses flags that may come before or after the scenario file.
// The standard flag package stops at the first positional argument, so the
// arguments are first reordered: flags (with their values) first, then the
// positionals.
func parseArgs(args []string, stderr io.Writer) (cliFlags, error) {
	var c cliFlags
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.String("seed", "", "`N`: the root seed (default: the scenario's, else random)")
	fs.StringVar(&c.trace, "trace", "", "write every delivered event to `FILE`")
	fs.StringVar(&c.out, "out", "", "write verdict.json, history.jsonl and trace.txt into `DIR`")
	fs.BoolVar(&c.verbose, "v", false, "write the nodes' logs and wall-clock figures to stderr")
	fs.BoolVar(&c.bench, "bench", false, "report events per wall second and simulated seconds per wall second on stderr")
	fs.StringVar(&c.seeds, "seeds", "", "sweep seeds `N` (1..N) or A..B, on every core")
	fs.IntVar(&c.jobs, "jobs", goruntime.GOMAXPROCS(0), "parallel runs in a sweep")
	fs.BoolVar(&c.shrink, "shrink", false, "for a failing seed, remove faults, nodes and time while it still fails, and write the smallest failing scenario")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./sim FILE [--seed N | --seeds N|A..B [--jobs J]] [--shrink] [--trace FILE] [--out DIR] [-v] [--bench]")
		fs.PrintDefaults()
	}

	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // fs.Parse reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fs.Parse(flags); err != nil {
		return c, err
	}
	if len(pos) != 1 {
		fs.Usage()
		return c, fmt.Errorf("want exactly one scenario file, got %d arguments", len(pos))
	}
	c.file = pos[0]
	if *seed != "" {
		n, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return c, fmt.Errorf("--seed %q: want a non-negative integer", *seed)
		}
		c.seed, c.seedSet = n, true
	}
	if c.shrink && (c.seeds != "" || c.trace != "") {
		return c, fmt.Errorf("--shrink works on one seed: it does not combine with --seeds or --trace")
	}
	if c.seeds != "" {
		if c.seedSet || c.trace != "" {
			return c, fmt.Errorf("--seeds runs many seeds: it does not combine with --seed or --trace (replay one seed for its trace)")
		}
		first, last, err := parseSeeds(c.seeds)
		if err != nil {
			return c, err
		}
		c.first, c.last = first, last
		if c.jobs < 1 {
			return c, fmt.Errorf("--jobs %d: want at least 1", c.jobs)
		}
	}
	return c, nil
}
