package main

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUnknownRoleFailsToStartWithItsLog(t *testing.T) {
	_, err := startChild("no-such-role", t.TempDir(), false, "")
	if err == nil {
		t.Fatal("a child with an unknown role started")
	}
	if !strings.Contains(err.Error(), `unknown role "no-such-role"`) {
		t.Errorf("error does not quote the child's log: %v", err)
	}
}

func TestFreePortPairIsFree(t *testing.T) {
	p, err := freePortPair()
	if err != nil {
		t.Fatal(err)
	}
	for _, port := range []int{p, p + 1} {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("port %d of the pair is taken: %v", port, err)
		}
		l.Close()
	}
}

func TestTableShowsRatiosAndMissingSides(t *testing.T) {
	lats := func(ds ...time.Duration) []time.Duration { return ds }
	rows := []row{
		{c: benchCase{name: "fast", kind: publishSync}, oursDurab: "A", jsDurab: "B",
			ours:      result{msgs: 300, elapsed: time.Second, lats: lats(500*time.Microsecond, 2*time.Millisecond)},
			js:        result{msgs: 100, elapsed: time.Second, lats: lats(time.Millisecond)},
			oursTries: []float64{300, 250}, jsTries: []float64{100, 90}},
		{c: benchCase{name: "alone", kind: consume},
			ours: result{msgs: 10, elapsed: time.Second}},
	}
	var b strings.Builder
	printTable(&b, rows, options{tries: 2, limits: limits{size: 1024, duration: time.Second}, queues: 8, pullMax: 32})
	out := b.String()
	for _, want := range []string{"| fast ", " 3.00 ", "500µs", "2.00ms", "1.00ms", "300 250 | 100 90", "async-durability: ours A, JetStream B."} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	alone := out[strings.Index(out, "| alone"):]
	alone = alone[:strings.IndexByte(alone, '\n')]
	if !strings.Contains(alone, " - ") {
		t.Errorf("a row without JetStream shows a ratio: %s", alone)
	}
}
