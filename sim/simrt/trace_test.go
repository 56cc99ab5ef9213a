package simrt

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestTraceWriterMatchesHash(t *testing.T) {
	run := func(trace bool) (*World, string) {
		var buf bytes.Buffer
		w := New(9, Options{})
		if trace {
			w.SetTraceWriter(&buf)
		}
		var p *pinger
		w.AddNode("server", NodeConfig{}, newServer(true, w, nil)).Start()
		w.AddNode("client", NodeConfig{}, newPinger("192.0.2.1:9000", &p)).Start()
		w.At(50*time.Millisecond, func() { w.Node("server").Crash() })
		w.RunFor(100 * time.Millisecond)
		return w, buf.String()
	}
	w1, out := run(true)
	w2, _ := run(false)
	if w1.TraceHash() != w2.TraceHash() {
		t.Fatal("writing the trace changed the trace hash")
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if uint64(len(lines)) != w1.Events() {
		t.Fatalf("%d trace lines for %d events", len(lines), w1.Events())
	}
	for _, want := range []string{" client net connect=", " server net accept=", " server net frame=", " - world crash/server=1", " client net rst="} {
		if !strings.Contains(out, want) {
			t.Fatalf("trace lacks %q:\n%s", want, out[:min(len(out), 2000)])
		}
	}
	if len(w1.TraceHash()) != 16 {
		t.Fatalf("TraceHash %q is not 16 hex digits", w1.TraceHash())
	}
}

func TestTraceHashSeesEventOrder(t *testing.T) {
	run := func(first, second string) string {
		w := New(1, Options{})
		a := w.AddNode("a", NodeConfig{}, newIdle)
		a.Start()
		rt := a.Runtime()
		rt.Post(func() { w.Note(first, 1) })
		rt.Post(func() { w.Note(second, 2) })
		w.RunFor(time.Second)
		return w.TraceHash()
	}
	if run("x", "y") == run("y", "x") {
		t.Fatal("trace hash ignores what events did")
	}
}

func TestLogsCarrySimulatedTimeAndNode(t *testing.T) {
	var buf bytes.Buffer
	w := New(1, Options{LogWriter: &buf, LogLevel: slog.LevelDebug})
	n := w.AddNode("broker-a", NodeConfig{}, newIdle)
	n.Start()
	w.RunFor(1500 * time.Millisecond)
	n.Runtime().Log().With("topic", "T").Info("hello", "k", 3)
	got := buf.String()
	if !strings.Contains(got, "\n1.500000 broker-a level=INFO msg=hello") || !strings.HasPrefix(got, "0.000000 world ") {
		t.Fatalf("log line %q lacks the simulated-time and node prefix", got)
	}
	for _, want := range []string{"k=3", "topic=T"} {
		if !strings.Contains(got, want) {
			t.Fatalf("log line %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "time=") {
		t.Fatalf("log line carries a real timestamp: %q", got)
	}
	quiet := New(1, Options{})
	q := quiet.AddNode("q", NodeConfig{}, newIdle)
	q.Start()
	if q.Runtime().Log().Enabled(context.Background(), slog.LevelError) {
		t.Fatal("a world without a log writer formats logs")
	}
}
