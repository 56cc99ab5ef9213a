package blocking

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rocketsim/client/producer"
)

func TestAsyncListOrderAndRace(t *testing.T) {
	var l asyncList
	calls := make([]*asyncSend, 5)
	for i := range calls {
		calls[i] = &asyncSend{}
		l.push(calls[i])
	}
	// The core answers 0, 2 and 4; then the producer ends.
	for _, i := range []int{2, 0, 4} {
		if !l.remove(calls[i]) {
			t.Fatalf("call %d: first remove said not linked", i)
		}
		if l.remove(calls[i]) {
			t.Fatalf("call %d removed twice", i)
		}
	}
	left := l.takeAll()
	if len(left) != 2 || left[0] != calls[1] || left[1] != calls[3] {
		t.Fatalf("left %v, want calls 1 and 3 in send order", left)
	}
	// An answer after the end finds its call gone: no second callback.
	if l.remove(calls[3]) || l.head != nil || l.tail != nil {
		t.Fatal("a call taken at the end could still be removed, or the list is not empty")
	}
	l.push(calls[0])
	if got := l.takeAll(); len(got) != 1 || got[0] != calls[0] {
		t.Fatalf("reuse after takeAll: %v", got)
	}
}

func TestCallbackRunnerKeepsOrderAndNeverBlocksTheCaller(t *testing.T) {
	var r callbackRunner
	release := make(chan struct{})
	var mu sync.Mutex
	var got []int
	const n = 1000
	done := make(chan struct{})
	r.run(func(*producer.SendResult, error) { <-release }, nil, nil) // the first callback blocks
	start := time.Now()
	for i := range n {
		r.run(func(_ *producer.SendResult, err error) {
			mu.Lock()
			got = append(got, i)
			if len(got) == n {
				close(done)
			}
			mu.Unlock()
		}, nil, errors.New("x"))
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("run blocked behind a blocked callback")
	}
	close(release)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("callbacks did not all run")
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("callback %d ran at position %d", v, i)
		}
	}
	// The runner's goroutine ends when nothing is due, and a later
	// callback starts a new one.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		running := r.running
		r.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("runner still running with nothing due")
		}
		time.Sleep(time.Millisecond)
	}
	again := make(chan struct{})
	r.run(func(*producer.SendResult, error) { close(again) }, nil, nil)
	select {
	case <-again:
	case <-time.After(10 * time.Second):
		t.Fatal("a callback after an idle spell did not run")
	}
}

// BenchmarkAsyncHandoff is the facade's own cost per SendAsync: track the
// call, untrack it on the answer, hand the callback off the loop. "list"
// is SendAsync's way; "map+go" the way it replaced (a map under a mutex
// and a goroutine per callback).
func BenchmarkAsyncHandoff(b *testing.B) {
	var calls atomic.Int64
	cb := func(*producer.SendResult, error) { calls.Add(1) }
	wait := func(n int64) {
		for calls.Load() < n {
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.Run("list", func(b *testing.B) {
		calls.Store(0)
		var mu sync.Mutex
		var l asyncList
		var r callbackRunner
		for i := 0; i < b.N; i++ {
			a := &asyncSend{cb: cb}
			mu.Lock()
			l.push(a)
			mu.Unlock()
			mu.Lock()
			mine := l.remove(a)
			mu.Unlock()
			if mine {
				r.run(a.cb, nil, nil)
			}
		}
		wait(int64(b.N))
	})
	b.Run("map+go", func(b *testing.B) {
		calls.Store(0)
		var mu sync.Mutex
		m := map[uint64]func(*producer.SendResult, error){}
		var next uint64
		for i := 0; i < b.N; i++ {
			mu.Lock()
			next++
			id := next
			m[id] = cb
			mu.Unlock()
			mu.Lock()
			f := m[id]
			delete(m, id)
			mu.Unlock()
			if f != nil {
				go f(nil, nil)
			}
		}
		wait(int64(b.N))
	})
}
