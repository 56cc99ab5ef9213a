package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as a server child (startChild
// re-executes the running binary).
func TestMain(m *testing.M) {
	if code, ok := serveChild(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestEveryCaseDeliversEverything runs every case with tiny counts against
// both servers and requires that each side acked every send, and that a
// drain afterwards finds every acked message and nothing else.
func TestEveryCaseDeliversEverything(t *testing.T) {
	o := options{
		limits: limits{count: 60, duration: time.Minute, size: 1024, verify: true, timeout: time.Minute},
		tries:  1, queues: 4, pullMax: 16, window: 8, preload: 50,
		dir: t.TempDir(),
	}
	o.cases = defaultCases(o.window, o.preload)
	var log strings.Builder
	o.progress = &log
	rows, err := bench(context.Background(), o)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	if len(rows) != len(o.cases) {
		t.Fatalf("%d rows for %d cases", len(rows), len(o.cases))
	}
	for _, r := range rows {
		want := o.count
		if r.c.kind == consume {
			want = r.c.preload
		}
		for _, res := range []struct {
			side string
			r    result
		}{{"ours", r.ours}, {"JetStream", r.js}} {
			if res.r.msgs != want || res.r.errs != 0 {
				t.Errorf("%s on %s: %d messages, %d errors; want %d, 0", r.c.name, res.side, res.r.msgs, res.r.errs, want)
			}
			if r.c.kind != consume && len(res.r.lats) != want {
				t.Errorf("%s on %s: %d latencies for %d messages", r.c.name, res.side, len(res.r.lats), want)
			}
		}
	}
	var table strings.Builder
	printTable(&table, rows, o)
	if !strings.Contains(table.String(), "publish sync P=64 sync-durability") {
		t.Errorf("table lacks a row:\n%s", table.String())
	}
	t.Logf("\n%s", table.String())
}

func TestBodyCarriesID(t *testing.T) {
	for _, size := range []int{0, 8, 9, 1024, bodyFillMax + 100} {
		b := newBody(size, 0xabcdef12345)
		if len(b) != max(size, bodyIDSize) {
			t.Errorf("size %d: body of %d bytes", size, len(b))
		}
		if id, ok := bodyID(b); !ok || id != 0xabcdef12345 {
			t.Errorf("size %d: id %x, %v", size, id, ok)
		}
		if size > bodyIDSize && b[len(b)-1] == 0 {
			t.Errorf("size %d: body not filled to its end", size)
		}
	}
	if _, ok := bodyID([]byte{1, 2, 3}); ok {
		t.Error("a 3-byte body has an id")
	}
}

// TestAsyncCoreDeliversEverything runs the async cases with our sends going
// to the producer core directly (-async-core).
func TestAsyncCoreDeliversEverything(t *testing.T) {
	o := options{
		limits: limits{count: 50, duration: time.Minute, size: 512, verify: true, timeout: time.Minute},
		tries:  1, queues: 2, pullMax: 16, window: 8, preload: 10,
		dir: t.TempDir(), asyncCore: true, only: "ours",
	}
	for _, c := range defaultCases(o.window, o.preload) {
		if c.kind == publishAsync {
			o.cases = append(o.cases, c)
		}
	}
	rows, err := bench(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want the 2 async cases", len(rows))
	}
	for _, r := range rows {
		if r.ours.msgs != 50 || r.ours.errs != 0 || len(r.ours.lats) != 50 {
			t.Errorf("%s: %d msgs, %d errors, %d latencies; want 50, 0, 50", r.c.name, r.ours.msgs, r.ours.errs, len(r.ours.lats))
		}
		if r.js.msgs != 0 {
			t.Errorf("%s: JetStream ran %d msgs under -only ours", r.c.name, r.js.msgs)
		}
	}
}
