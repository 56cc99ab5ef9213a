package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// kind is what a case measures.
type kind int

const (
	// publishSync: P goroutines, each sending one message and waiting for
	// its ack before the next.
	publishSync kind = iota
	// publishAsync: one goroutine keeping window sends in flight.
	publishAsync
	// consume: preload messages untimed, then time a new consumer reading
	// them all.
	consume
)

// benchCase is one row of the table.
type benchCase struct {
	name    string
	kind    kind
	durable bool
	// publishers is P for publishSync; window the sends in flight for
	// publishAsync; preload the messages a consume case reads.
	publishers int
	window     int
	preload    int
}

// limits end a timed phase: whichever comes first of count messages (0:
// no count) and duration.
type limits struct {
	count    int
	duration time.Duration
	size     int
	// verify drains each publish try's destination afterwards and checks
	// that every acked message is there and nothing else.
	verify bool
	// timeout bounds a whole try, drain and verification included.
	timeout time.Duration
}

// result is one try of one case on one side.
type result struct {
	msgs    int // acked (publish) or received (consume)
	errs    int
	elapsed time.Duration
	lats    []time.Duration // sorted; empty for consume
	// firstErr is the first failed publish's error, for the report.
	firstErr error
	// cpu is the CPU the server and the clients used in the timed phase.
	cpu cpuSample
}

// cpuPerMsg is CPU time per message; 0 when not measured.
func (r result) cpuPerMsg(d time.Duration) time.Duration {
	if r.msgs == 0 {
		return 0
	}
	return d / time.Duration(r.msgs)
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.msgs) / r.elapsed.Seconds()
}

// quantile is the q-quantile of the sorted latencies by nearest rank (the
// smallest latency at least q of them do not exceed); 0 when none.
func (r result) quantile(q float64) time.Duration {
	n := len(r.lats)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(n))) - 1
	return r.lats[min(max(i, 0), n-1)]
}

// ledger remembers which ids were acked and which were sent, to check a
// drain against.
type ledger struct {
	mu    sync.Mutex
	sent  map[uint64]bool
	acked map[uint64]bool
}

func newLedger() *ledger {
	return &ledger{sent: map[uint64]bool{}, acked: map[uint64]bool{}}
}

func (l *ledger) send(id uint64) {
	l.mu.Lock()
	l.sent[id] = true
	l.mu.Unlock()
}

func (l *ledger) ack(id uint64) {
	l.mu.Lock()
	l.acked[id] = true
	l.mu.Unlock()
}

// errLost is a verification failure: a side lost or invented messages.
var errLost = errors.New("delivery check failed")

// check drains dest and compares what it holds with the ledger: every
// acked id must be there, and nothing that was never sent. A send that
// failed may or may not be there (its outcome is unknown).
func (l *ledger) check(ctx context.Context, s side, dest string) error {
	seen := map[uint64]bool{}
	var bad []uint64
	l.mu.Lock()
	want := len(l.acked)
	l.mu.Unlock()
	err := s.Drain(ctx, dest, want, func(b []byte) {
		id, ok := bodyID(b)
		l.mu.Lock()
		if !ok || !l.sent[id] {
			bad = append(bad, id)
		}
		l.mu.Unlock()
		seen[id] = true
	})
	if err != nil {
		return fmt.Errorf("%s: verify %s: %w", s.Name(), dest, err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %s holds %d messages never sent (first id %d): %w", s.Name(), dest, len(bad), bad[0], errLost)
	}
	missing := 0
	for id := range l.acked {
		if !seen[id] {
			missing++
		}
	}
	if missing > 0 {
		return fmt.Errorf("%s: %s lacks %d of %d acked messages: %w", s.Name(), dest, missing, want, errLost)
	}
	return nil
}

// run runs one try of c on s against a fresh destination.
func run(ctx context.Context, s side, m meter, c benchCase, lim limits, try int) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, lim.timeout)
	defer cancel()
	dest, err := s.NewDestination(ctx, try)
	if err != nil {
		return result{}, err
	}
	var led *ledger
	if lim.verify {
		led = newLedger()
	}
	var r result
	switch c.kind {
	case publishSync:
		before := m.read()
		r = runPublishSync(ctx, s, dest, c.publishers, lim, led)
		r.cpu = m.since(before)
	case publishAsync:
		before := m.read()
		r, err = runPublishAsync(ctx, s, dest, c.window, lim, led)
		r.cpu = m.since(before)
	case consume:
		r, err = runConsume(ctx, s, m, dest, c, lim)
	}
	if err != nil {
		return r, err
	}
	if led != nil {
		if err := led.check(ctx, s, dest); err != nil {
			return r, err
		}
	}
	return r, nil
}

// idOf makes a body id unique across publishers of one try.
func idOf(publisher int, seq uint64) uint64 { return uint64(publisher)<<40 | seq }

// runPublishSync times P publishers, each waiting for an ack per send.
func runPublishSync(ctx context.Context, s side, dest string, p int, lim limits, led *ledger) result {
	var (
		claimed atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		r       result
	)
	start := time.Now()
	deadline := start.Add(lim.duration)
	for w := range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lats := make([]time.Duration, 0, 1024)
			var errs int
			var firstErr error
			for seq := uint64(1); ; seq++ {
				if lim.count > 0 && claimed.Add(1) > int64(lim.count) {
					break
				}
				t0 := time.Now()
				if t0.After(deadline) || ctx.Err() != nil {
					break
				}
				id := idOf(w, seq)
				if led != nil {
					led.send(id)
				}
				if err := s.Publish(ctx, dest, newBody(lim.size, id)); err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				lats = append(lats, time.Since(t0))
				if led != nil {
					led.ack(id)
				}
			}
			mu.Lock()
			r.lats = append(r.lats, lats...)
			r.errs += errs
			if r.firstErr == nil {
				r.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.msgs = len(r.lats)
	slices.Sort(r.lats)
	return r
}

// runPublishAsync times one publisher keeping window sends in flight.
func runPublishAsync(ctx context.Context, s side, dest string, window int, lim limits, led *ledger) (result, error) {
	var (
		slots = make(chan struct{}, window)
		wg    sync.WaitGroup
		mu    sync.Mutex
		r     result
	)
	start := time.Now()
	deadline := start.Add(lim.duration)
	for seq := uint64(1); ; seq++ {
		if lim.count > 0 && seq > uint64(lim.count) {
			break
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return r, fmt.Errorf("%s: async publish: %w", s.Name(), ctx.Err())
		}
		t0 := time.Now()
		if t0.After(deadline) {
			<-slots
			break
		}
		id := idOf(0, seq)
		if led != nil {
			led.send(id)
		}
		wg.Add(1)
		err := s.PublishAsync(dest, newBody(lim.size, id), func(err error) {
			lat := time.Since(t0)
			mu.Lock()
			if err != nil {
				r.errs++
				if r.firstErr == nil {
					r.firstErr = err
				}
			} else {
				r.lats = append(r.lats, lat)
				if led != nil {
					led.ack(id)
				}
			}
			mu.Unlock()
			<-slots
			wg.Done()
		})
		if err != nil {
			wg.Done()
			<-slots
			mu.Lock()
			r.errs++
			if r.firstErr == nil {
				r.firstErr = err
			}
			mu.Unlock()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return r, fmt.Errorf("%s: async publish: acks still missing: %w", s.Name(), ctx.Err())
	}
	r.elapsed = time.Since(start)
	r.msgs = len(r.lats)
	slices.Sort(r.lats)
	return r, nil
}

// preloadWindow is the sends in flight while a consume case preloads.
const preloadWindow = 256

// runConsume preloads c.preload messages (untimed, checked), then times a
// new consumer reading them all from the start.
func runConsume(ctx context.Context, s side, m meter, dest string, c benchCase, lim limits) (result, error) {
	n := c.preload
	if lim.count > 0 {
		n = min(n, lim.count)
	}
	pre, err := runPublishAsync(ctx, s, dest, preloadWindow, limits{count: n, duration: lim.timeout, size: lim.size}, nil)
	if err != nil {
		return result{}, fmt.Errorf("preload: %w", err)
	}
	if pre.errs > 0 || pre.msgs != n {
		return result{}, fmt.Errorf("%s: preload: %d of %d acked, %d failed (first: %v)", s.Name(), pre.msgs, n, pre.errs, pre.firstErr)
	}
	seen := make(map[uint64]bool, n)
	var bad int
	before := m.read()
	start := time.Now()
	err = s.Drain(ctx, dest, n, func(b []byte) {
		id, ok := bodyID(b)
		if !ok || seen[id] {
			bad++
		}
		seen[id] = true
	})
	r := result{elapsed: time.Since(start), msgs: len(seen), cpu: m.since(before)}
	if err != nil {
		return r, err
	}
	if bad > 0 || len(seen) != n {
		return r, fmt.Errorf("%s: consume read %d distinct of %d preloaded, %d duplicate or malformed: %w", s.Name(), len(seen), n, bad, errLost)
	}
	return r, nil
}
