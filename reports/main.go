// Command reports builds a reliability report from simulator runs:
//
//	go run ./reports -in DIR [-in DIR...] [-runs FILE...] -out REPORTDIR
//
// DIR is any tree of the simulator's --out folders: single runs
// (verdict.json, history.jsonl) and sweeps (summary.json, seed-N/). FILE
// is a JSON-lines runs file (see reports/runs). REPORTDIR receives
// report.md, report.json, runs.jsonl (every run read, with its samples, so
// the report can be rebuilt from that one file), overview-loss.png and
// plots/SCENARIO-{latency-cdf,availability,loss}.png.
//
// Exit status: 0 when the report was written, 2 on a usage or input error
// (the message names the file).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"rocketsim/reports/plots"
	"rocketsim/reports/reliability"
	"rocketsim/reports/render"
	"rocketsim/reports/runs"
)

const (
	exitOK    = 0
	exitUsage = 2
)

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

type config struct {
	ins, runFiles multi
	out           string
	title         string
	histories     bool
	window        time.Duration
	noPlots       bool
	clientClocks  bool
}

func parseArgs(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("reports", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&c.ins, "in", "a `DIR` of simulator --out folders (repeatable)")
	fs.Var(&c.runFiles, "runs", "a JSON-lines runs `FILE` (repeatable)")
	fs.StringVar(&c.out, "out", "", "write the report into `REPORTDIR`")
	fs.StringVar(&c.title, "title", "", "the report's heading")
	fs.BoolVar(&c.histories, "histories", true, "read history.jsonl for pooled latencies and availability over time")
	fs.DurationVar(&c.window, "window", time.Second, "availability window width")
	fs.BoolVar(&c.noPlots, "no-plots", false, "skip the PNG plots")
	fs.BoolVar(&c.clientClocks, "client-clocks", false, "measure latencies and windows on the clients' clocks, not the simulator's true time")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./reports -in DIR [-in DIR...] [-runs FILE...] -out REPORTDIR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q (inputs are given with -in or -runs)", fs.Arg(0))
	case len(c.ins) == 0 && len(c.runFiles) == 0:
		fs.Usage()
		return c, errors.New("no input: give -in DIR or -runs FILE")
	case c.out == "":
		return c, errors.New("no -out REPORTDIR")
	case c.window <= 0:
		return c, fmt.Errorf("-window %v: want a positive duration", c.window)
	}
	return c, nil
}

func realMain(args []string, stdout, stderr io.Writer) int {
	c, err := parseArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "reports:", err)
		}
		return exitUsage
	}
	rs, err := readAll(c)
	if err != nil {
		fmt.Fprintln(stderr, "reports:", err)
		return exitUsage
	}
	rep := reliability.Build(rs)
	files, err := build(rep, rs, c)
	if err != nil {
		fmt.Fprintln(stderr, "reports:", err)
		return exitUsage
	}
	if err := writeFiles(c.out, files); err != nil {
		fmt.Fprintln(stderr, "reports:", err)
		return exitUsage
	}
	for _, sc := range rep.Scenarios {
		fmt.Fprintf(stdout, "%s: %d runs, %d pass, %d fail, %d unknown\n", sc.Name, sc.Runs, sc.Pass, sc.Fail, sc.Unknown)
	}
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(c.out, "report.md"))
	return exitOK
}

// readAll reads every input and merges copies of one run.
func readAll(c config) ([]runs.Run, error) {
	opt := runs.Options{Histories: c.histories, SampleOptions: runs.SampleOptions{Window: c.window, ClientClocks: c.clientClocks}}
	var all []runs.Run
	for _, dir := range c.ins {
		rs, err := runs.ReadDir(dir, opt)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	for _, f := range c.runFiles {
		rs, err := runs.ReadFile(f)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	return runs.Dedup(all)
}

// file is one output file, by path relative to the report folder.
type file struct {
	name string
	data []byte
}

// build renders every output in memory, so a failure leaves no half
// report behind.
func build(rep reliability.Report, rs []runs.Run, c config) ([]file, error) {
	var files []file
	images := map[string][]render.Image{}
	var overview []render.Image
	if !c.noPlots {
		f, err := plots.Overview(rep)
		if err != nil {
			return nil, err
		}
		if f != nil {
			// Beside report.md, not in plots/, where a scenario named
			// "overview" could claim the same name.
			name := f.Kind + ".png"
			files = append(files, file{name, f.PNG})
			overview = append(overview, render.Image{Title: f.Title, Path: name})
		}
		used := map[string]string{}
		for _, sc := range rep.Scenarios {
			slug := slugOf(sc.Name)
			if prev, ok := used[slug]; ok {
				return nil, fmt.Errorf("scenarios %q and %q have the same plot file name %q", prev, sc.Name, slug)
			}
			used[slug] = sc.Name
			figs, err := plots.Scenario(sc)
			if err != nil {
				return nil, err
			}
			for _, f := range figs {
				name := "plots/" + slug + "-" + f.Kind + ".png"
				files = append(files, file{name, f.PNG})
				images[sc.Name] = append(images[sc.Name], render.Image{Title: f.Title, Path: name})
			}
		}
	}
	var md, js, jl bytes.Buffer
	if err := render.Markdown(&md, rep, render.Options{Title: c.title, Plots: images, Overview: overview, Inputs: inputs(c)}); err != nil {
		return nil, err
	}
	if err := render.JSON(&js, rep); err != nil {
		return nil, err
	}
	if err := runs.Write(&jl, rs); err != nil {
		return nil, err
	}
	files = append(files, file{"report.md", md.Bytes()}, file{"report.json", js.Bytes()}, file{"runs.jsonl", jl.Bytes()})
	return files, nil
}

func inputs(c config) []string {
	var out []string
	out = append(out, c.ins...)
	return append(out, c.runFiles...)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// slugOf makes a scenario name a file name.
func slugOf(name string) string {
	s := strings.Trim(unsafeChars.ReplaceAllString(name, "_"), "._")
	if s == "" {
		s = "scenario"
	}
	return s
}

func writeFiles(dir string, files []file) error {
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
	}
	return nil
}
