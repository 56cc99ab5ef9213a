// Command judge checks a history file with every checker and writes a
// verdict, so that any run (the simulator's, the multi-process runner's, or a
// history recorded against Apache's own broker) is judged the same way.
//
//	go run ./jepsen/judge [-config checks.yaml] [-out DIR] history.jsonl
//
// The config is check.Config in YAML (expect:, clock_error:, settle:,
// delivery:, retry:, ...; example.yaml shows every key); unknown keys are
// errors. The exit code says what
// was found: 0 pass, 1 fail, 2 unknown, 3 the history or config is unusable.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"

	"rocketsim/jepsen/check"
)

// maxExplained bounds the anomalies printed per checker; verdict.json
// holds the rest.
const maxExplained = 5

// Exit codes.
const (
	exitPass    = 0
	exitFail    = 1
	exitUnknown = 2
	exitUsage   = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("judge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "checker config (YAML, check.Config)")
	out := fs.String("out", "", "folder for verdict.json and porcupine visualisations")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: judge [-config FILE] [-out DIR] HISTORY.jsonl")
		return exitUsage
	}
	var cfg check.Config
	if *configPath != "" {
		b, err := os.ReadFile(*configPath)
		if err != nil {
			fmt.Fprintf(stderr, "judge: %v\n", err)
			return exitUsage
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && err != io.EOF {
			fmt.Fprintf(stderr, "judge: %s: %v\n", *configPath, err)
			return exitUsage
		}
	}
	cfg.OutDir = *out
	rep, err := check.RunFile(fs.Arg(0), cfg)
	if err != nil {
		fmt.Fprintf(stderr, "judge: %v\n", err)
		return exitUsage
	}
	if *out != "" {
		if err := rep.WriteVerdict(*out); err != nil {
			fmt.Fprintf(stderr, "judge: %v\n", err)
			return exitUsage
		}
	}
	fmt.Fprint(stdout, rep.Summary())
	fmt.Fprint(stdout, rep.Explain(maxExplained))
	fmt.Fprintf(stdout, "verdict: %s\n", rep.Verdict)
	switch rep.Verdict {
	case check.Pass:
		return exitPass
	case check.Fail:
		return exitFail
	}
	return exitUnknown
}
