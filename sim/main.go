// Command sim runs one scenario in the deterministic simulator and judges it:
//
//	go run ./sim FILE [--seed N] [--trace FILE] [--out DIR] [-v] [--bench]
//	go run ./sim FILE --seeds N|A..B [--jobs J] [--out DIR]   a sweep on every core
//	go run ./sim FILE --seed N --shrink [--out DIR]           the smallest failing variant
//
// Flags may come before or after FILE. A single run's output ends with exactly three lines that scripts read:
//
//	seed: N
//	trace-hash: <hex>
//	verdict: PASS|FAIL
//
// Exit status: 0 on PASS, 1 on FAIL, 2 on a usage or scenario-file error.
// A failing run prints the command that replays it just before those lines.
// Everything on stdout is a function of the scenario and the seed, so two
// runs can be diffed; wall-clock figures (-v, --bench) go to stderr.
package main

import (
	"bufio"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"rocketsim/sim/scenario"
)

// Exit codes.
const (
	exitPass  = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain is main with its outputs and exit code explicit, for tests.
func realMain(args []string, stdout, stderr io.Writer) int {
	c, err := parseArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "sim:", err)
		}
		return exitUsage
	}
	s, err := scenario.Load(c.file)
	if err != nil {
		fmt.Fprintln(stderr, "sim:", err)
		return exitUsage
	}
	if c.seeds != "" {
		return sweep(s, c.file, c.first, c.last, c.jobs, c.out, stdout, stderr)
	}
	seed := c.seed
	switch {
	case c.seedSet:
	case s.Seed != nil:
		seed = *s.Seed
	default:
		seed = randomSeed()
	}

	if c.shrink {
		return shrinkMain(s, c.file, seed, c.out, stdout, stderr)
	}

	var opts runOptions
	var closers []func() error
	defer func() {
		for _, f := range closers {
			f()
		}
	}()
	if c.verbose {
		opts.log = stderr
	}
	var traces []io.Writer
	if c.trace != "" {
		f, err := os.Create(c.trace)
		if err != nil {
			fmt.Fprintln(stderr, "sim: --trace:", err)
			return exitUsage
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		closers = append(closers, bw.Flush, f.Close)
		traces = append(traces, bw)
	}
	if c.out != "" {
		if err := os.MkdirAll(c.out, 0o755); err != nil {
			fmt.Fprintln(stderr, "sim: --out:", err)
			return exitUsage
		}
		f, err := os.Create(filepath.Join(c.out, "trace.txt"))
		if err != nil {
			fmt.Fprintln(stderr, "sim: --out:", err)
			return exitUsage
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		closers = append(closers, bw.Flush, f.Close)
		traces = append(traces, bw)
	}
	if len(traces) > 0 {
		opts.trace = io.MultiWriter(traces...)
	}

	fmt.Fprintf(stdout, "scenario: %s (%s)\n", s.Name, c.file)
	start := time.Now()
	rep, err := run(s, seed, opts)
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintf(stderr, "sim: %s: %v\n", c.file, err)
		return exitUsage
	}
	printReport(stdout, rep)
	if c.verbose || c.bench {
		fmt.Fprintf(stderr, "wall: %v for %v simulated: %.0f events/s, %.1f simulated s per wall s\n",
			wall.Round(time.Millisecond), rep.Simulated, float64(rep.Events)/wall.Seconds(), rep.Simulated.Seconds()/wall.Seconds())
	}
	if c.out != "" {
		if err := writeOut(c.out, rep, replayCommand(c.file, seed)); err != nil {
			fmt.Fprintln(stderr, "sim: --out:", err)
		}
	}
	if !rep.Pass {
		fmt.Fprintf(stdout, "replay: %s\n", replayCommand(c.file, seed))
	}
	verdict := "PASS"
	if !rep.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(stdout, "seed: %d\ntrace-hash: %s\nverdict: %s\n", seed, rep.TraceHash, verdict)
	if !rep.Pass {
		return exitFail
	}
	return exitPass
}

// shrinkMain runs --shrink and prints the smallest failing scenario.
func shrinkMain(s *scenario.Scenario, file string, seed uint64, outDir string, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "scenario: %s (%s)\n", s.Name, file)
	best, err := shrinkScenario(s, seed, runOptions{}, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "sim: %s: %v\n", file, err)
		return exitUsage
	}
	if best == nil {
		rep, _ := run(s, seed, runOptions{})
		fmt.Fprintln(stdout, "shrink: the run passes; nothing to shrink")
		fmt.Fprintf(stdout, "seed: %d\ntrace-hash: %s\nverdict: PASS\n", seed, rep.TraceHash)
		return exitPass
	}
	var path string
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			fmt.Fprintln(stderr, "sim: --out:", err)
			return exitUsage
		}
		path = filepath.Join(outDir, "shrunk.yaml")
		err = os.WriteFile(path, best.src, 0o644)
	} else {
		var f *os.File
		f, err = os.CreateTemp("", fmt.Sprintf("%s-seed%d-shrunk-*.yaml", s.Name, seed))
		if err == nil {
			path = f.Name()
			_, err = f.Write(best.src)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "sim: writing the shrunk scenario:", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "shrink: %d faults -> %d, %d nodes -> %d, duration %v -> %v, in %d runs\n",
		len(s.Faults), len(best.s.Faults), len(s.Topology.Nodes), len(best.s.Topology.Nodes), s.Duration, best.s.Duration, best.runs)
	fmt.Fprintf(stdout, "--- %s\n%s---\n", path, best.src)
	printReport(stdout, best.rep)
	fmt.Fprintf(stdout, "replay: %s\n", replayCommand(path, seed))
	fmt.Fprintf(stdout, "seed: %d\ntrace-hash: %s\nverdict: FAIL\n", seed, best.rep.TraceHash)
	return exitFail
}

// randomSeed picks a seed when none is given. Only this main package may
// touch real randomness; the seed is printed, so the run still replays.
func randomSeed() uint64 {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		return uint64(time.Now().UnixNano())
	}
	return binary.BigEndian.Uint64(b[:]) >> 1 // keep it readable as int64 too
}

func replayCommand(file string, seed uint64) string {
	return fmt.Sprintf("go run ./sim %s --seed %d", file, seed)
}
