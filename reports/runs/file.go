package runs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// MaxRunLineBytes bounds one line of a runs file: a run with its history's
// samples is a few hundred bytes per thousand messages, so this allows
// runs of a few million messages while a file that is not JSON lines (one
// huge line) fails fast instead of exhausting memory.
const MaxRunLineBytes = 256 << 20

// A runs file is JSON lines, one Run per line, in the shape of Run's JSON
// tags: {"scenario":..., "seed":..., "verdict":"pass|fail|unknown",
// "metrics":{checker:{metric:value}}, "samples":{...}}. Blank lines and
// lines starting with # are skipped. The multi-process runner, or anything
// else that judges histories, can write one to be reported on together with
// simulator runs.

// ReadFile reads a runs file.
func ReadFile(path string) ([]Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading runs: %w", err)
	}
	defer f.Close()
	rs, err := Read(f, path)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("%s: no runs in the file", path)
	}
	return rs, nil
}

// Read reads runs as JSON lines; name labels errors with its line numbers.
func Read(r io.Reader, name string) ([]Run, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxRunLineBytes)
	var out []Run
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields() // a misspelt field must not silently drop data
		var run Run
		if err := dec.Decode(&run); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s:%d: more than one JSON value on the line", name, line)
		}
		if err := run.validate(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		run.Source = fmt.Sprintf("%s:%d", name, line)
		out = append(out, run)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: after line %d: %w", name, line, err)
	}
	return out, nil
}

func (r *Run) validate() error {
	if r.Scenario == "" {
		return fmt.Errorf("run has no \"scenario\"")
	}
	switch r.Verdict {
	case Pass, Fail, Unknown:
	default:
		return fmt.Errorf("scenario %s seed %d: verdict %q: want pass, fail or unknown", r.Scenario, r.Seed, r.Verdict)
	}
	if s := r.Samples; s != nil {
		if len(s.Windows) > 0 && s.WindowNs <= 0 {
			return fmt.Errorf("scenario %s seed %d: availability windows without \"window_ns\"", r.Scenario, r.Seed)
		}
		if s.Clock != ClockTrue && s.Clock != ClockClient {
			return fmt.Errorf("scenario %s seed %d: samples \"clock\" %q: want %q or %q", r.Scenario, r.Seed, s.Clock, ClockTrue, ClockClient)
		}
	}
	return nil
}

// Write writes runs as JSON lines, in the given order. Map keys come out
// sorted (encoding/json), so the same runs always give the same bytes.
func Write(w io.Writer, rs []Run) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			return fmt.Errorf("writing run %s seed %d: %w", rs[i].Scenario, rs[i].Seed, err)
		}
	}
	return bw.Flush()
}
