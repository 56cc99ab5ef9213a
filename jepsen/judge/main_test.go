package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJudge(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "checks.yaml")
	os.WriteFile(cfg, []byte("expect:\n  early_delay: -1\nclock_error: 10ms\nretry:\n  retry_delays: [1s, 2s]\n"), 0o644)
	var out, errb bytes.Buffer
	code := run([]string{"-config", cfg, "-out", dir, "../check/testdata/lin_good.jsonl"}, &out, &errb)
	if code != exitPass || !strings.HasSuffix(out.String(), "verdict: pass\n") {
		t.Fatalf("code %d\n%s%s", code, out.String(), errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "verdict.json")); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if code := run([]string{"../check/testdata/del_lost.jsonl"}, &out, &errb); code != exitFail {
		t.Fatalf("lost history: code %d\n%s", code, out.String())
	}

	os.WriteFile(cfg, []byte("expect:\n  lots: 0\n"), 0o644)
	errb.Reset()
	if code := run([]string{"-config", cfg, "../check/testdata/del_lost.jsonl"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "lots") {
		t.Fatalf("unknown key: code %d %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"../check/testdata/nonexistent.jsonl"}, &out, &errb); code != exitUsage {
		t.Fatalf("missing file: code %d", code)
	}
}

// The documented example config is valid.
func TestExampleConfig(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-config", "example.yaml", "../check/testdata/del_good.jsonl"}, &out, &errb)
	if code == exitUsage {
		t.Fatalf("example.yaml rejected: %s", errb.String())
	}
}
