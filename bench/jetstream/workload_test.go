package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// memSide is a side kept in memory, with faults: it can lose an acked
// message, invent one, or deliver one twice, so the tests can show the
// delivery checks catch each.
type memSide struct {
	mu    sync.Mutex
	dests map[string][][]byte
	sends int
	// loseAt drops the loseAt-th send (1-based) yet acks it; 0: never.
	loseAt int
	// invent adds a message nobody sent to every drain.
	invent bool
	// duplicate delivers the first message twice.
	duplicate bool
}

func newMemSide() *memSide { return &memSide{dests: map[string][][]byte{}} }

func (m *memSide) Name() string       { return "mem" }
func (m *memSide) Durability() string { return "memory" }

func (m *memSide) NewDestination(_ context.Context, try int) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := fmt.Sprintf("d%d", try)
	m.dests[d] = nil
	return d, nil
}

func (m *memSide) store(dest string, body []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sends++
	if m.sends == m.loseAt {
		return
	}
	m.dests[dest] = append(m.dests[dest], body)
}

func (m *memSide) Publish(_ context.Context, dest string, body []byte) error {
	m.store(dest, body)
	return nil
}

func (m *memSide) PublishAsync(dest string, body []byte, done func(error)) error {
	m.store(dest, body)
	go done(nil)
	return nil
}

func (m *memSide) Drain(ctx context.Context, dest string, want int, got func([]byte)) error {
	m.mu.Lock()
	msgs := append([][]byte(nil), m.dests[dest]...)
	m.mu.Unlock()
	if m.invent {
		msgs = append([][]byte{newBody(16, 1<<50)}, msgs...)
	}
	if m.duplicate && len(msgs) > 0 {
		msgs = append([][]byte{msgs[0]}, msgs...)
	}
	n := 0
	for _, b := range msgs {
		if n == want {
			break
		}
		got(b)
		n++
	}
	if n < want {
		return fmt.Errorf("drain %s: %d of %d: %w", dest, n, want, context.DeadlineExceeded)
	}
	return nil
}

func (m *memSide) Close() {}

func testLimits() limits {
	return limits{count: 40, duration: time.Minute, size: 64, verify: true, timeout: 10 * time.Second}
}

func TestHealthySideHasEveryCasePass(t *testing.T) {
	for _, c := range defaultCases(4, 30) {
		r, err := run(context.Background(), newMemSide(), meter{}, c, testLimits(), 1)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := 40
		if c.kind == consume {
			want = 30
		}
		if r.msgs != want || r.errs != 0 {
			t.Errorf("%s: %d msgs, %d errors; want %d, 0", c.name, r.msgs, r.errs, want)
		}
	}
}

func TestLostAckedMessageIsCaught(t *testing.T) {
	for _, c := range []benchCase{
		{name: "sync", kind: publishSync, publishers: 3},
		{name: "async", kind: publishAsync, window: 4},
	} {
		s := newMemSide()
		s.loseAt = 7
		_, err := run(context.Background(), s, meter{}, c, testLimits(), 1)
		if !errors.Is(err, errLost) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: a side that lost an acked message passed: %v", c.name, err)
		}
	}
}

func TestInventedMessageIsCaught(t *testing.T) {
	s := newMemSide()
	s.invent = true
	_, err := run(context.Background(), s, meter{}, benchCase{kind: publishSync, publishers: 2}, testLimits(), 1)
	if !errors.Is(err, errLost) {
		t.Errorf("a side that delivered a message never sent passed: %v", err)
	}
}

func TestConsumeCatchesDuplicatesAndLoss(t *testing.T) {
	c := benchCase{kind: consume, preload: 30}
	s := newMemSide()
	s.duplicate = true
	if _, err := run(context.Background(), s, meter{}, c, testLimits(), 1); !errors.Is(err, errLost) {
		t.Errorf("a duplicate delivery passed the consume case: %v", err)
	}
	s = newMemSide()
	s.loseAt = 3
	if _, err := run(context.Background(), s, meter{}, c, testLimits(), 1); err == nil {
		t.Error("a lost preloaded message passed the consume case")
	}
}

func TestQuantileAndRate(t *testing.T) {
	r := result{msgs: 100, elapsed: 2 * time.Second}
	for i := 1; i <= 100; i++ {
		r.lats = append(r.lats, time.Duration(i)*time.Millisecond)
	}
	if got := r.rate(); got != 50 {
		t.Errorf("rate %v, want 50", got)
	}
	if got := r.quantile(0.5); got != 50*time.Millisecond {
		t.Errorf("p50 %v, want 50ms", got)
	}
	if got := r.quantile(0.99); got != 99*time.Millisecond {
		t.Errorf("p99 %v, want 99ms", got)
	}
	if got := (result{}).quantile(0.5); got != 0 {
		t.Errorf("p50 of nothing %v, want 0", got)
	}
}

func TestProcessCPU(t *testing.T) {
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after < before || after-before > 5*time.Second {
		t.Errorf("CPU went from %v to %v over a 50 ms spin (%d turns)", before, after, x)
	}
	if _, err := processCPU(-1); err == nil {
		t.Error("CPU of pid -1 read without error")
	}
}
