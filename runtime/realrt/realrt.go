// Package realrt runs a node on the operating system: it is the real
// implementation of runtime.Runtime used by the name server and broker
// binaries and by the blocking client facade.
//
// One loop goroutine per Runtime runs every callback (timers, frames,
// connection events, fsync completions, Post) one at a time, in the order
// they were queued. Everything slow or blocking happens at the edges:
//
//   - per connection, a reader goroutine splits the byte stream into frames
//     and a writer goroutine batches queued frames into vectored writes;
//   - per listener, an accept goroutine; per Dial, a dialing goroutine;
//   - per Runtime, one flusher goroutine that group-commits SyncAsync
//     requests (one fsync per file covers every request queued before it);
//   - per Runtime, one writer goroutine that makes WriteAsync's writes;
//   - timers are a heap on the loop driven by a single time.Timer.
//
// Lifecycle: New, then Start(newNode) builds the node on the loop. Kill ends
// it like a process crash (no node Stop, nothing queued flushed). Stop calls
// the node's Stop on the loop, then closes listeners, connections and files
// and waits for every goroutine the Runtime started. After the node's Stop
// returns no further callback runs: connections still open are closed
// without OnClose, pending timers and SyncAsync callbacks are dropped, and
// Post becomes a no-op. That is what a process exit looks like to the node.
//
// Failpoints: ApplyFault injects the node-local faults of the shared
// vocabulary (disk full, slow or failing fsync, clock offset, drift and
// jumps) into the real process, with the simulator's semantics, and
// ServeControl exposes it as a line protocol for the multi-process runner.
package realrt

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"rocketsim/runtime"
)

// Defaults for Options fields left zero.
const (
	// SendQueueMaxDefault bounds the bytes queued (or being written) on one
	// connection; beyond it Send returns runtime.ErrSendQueueFull. Four
	// maximal frames fit, so a burst of large messages still flows.
	SendQueueMaxDefault = 64 << 20
	// RecvQueueMaxDefault bounds the bytes of received frames on one
	// connection that wait for the loop. Past it the reader stops reading,
	// so TCP flow control pushes back on the peer instead of memory growing.
	RecvQueueMaxDefault = 64 << 20
	// DialTimeoutDefault bounds a Dial; after it OnClose gets ErrTimeout.
	DialTimeoutDefault = 3 * time.Second
)

// closeLinger bounds how long a locally closed connection (or one closed by
// Stop) keeps trying to write its queued frames before the socket is closed.
const closeLinger = time.Second

// Options configure a Runtime. The zero value is usable.
type Options struct {
	// DataDir is the root of the node's FS: relative names are joined to it;
	// absolute names are used as they are. Empty means the working directory.
	DataDir string
	// MaxFrameSize bounds one received frame including its 4-byte length
	// prefix (Netty's LengthFieldBasedFrameDecoder counts it too). Zero means
	// runtime.MaxFrameSizeDefault.
	MaxFrameSize int
	// Logger is the base logger; nil means slog.Default(). The runtime adds
	// the attribute node=name.
	Logger *slog.Logger
	// SendQueueMax bounds each connection's send queue in bytes; zero means
	// SendQueueMaxDefault.
	SendQueueMax int
	// RecvQueueMax bounds each connection's undelivered received bytes; zero
	// means RecvQueueMaxDefault.
	RecvQueueMax int
	// DialTimeout bounds each Dial; zero means DialTimeoutDefault.
	DialTimeout time.Duration
	// Seed seeds Rand when non-zero (tests); zero draws a seed from
	// crypto/rand.
	Seed uint64
}

// Stats are counters for tests and metrics. They are safe to read from any
// goroutine.
type Stats struct {
	// Fsyncs counts fsyncs issued by the group-commit flusher.
	Fsyncs uint64
	// FsyncTime is the time those fsyncs spent in the system call: with
	// Fsyncs, the disk's share of a group-commit round.
	FsyncTime time.Duration
	// SyncAsyncRequests counts File.SyncAsync calls.
	SyncAsyncRequests uint64
}

// Runtime is the operating-system runtime.Runtime of one node. Its methods
// other than Post, Start, Stop and Stats must be called on its loop, like
// every runtime.Runtime.
type Runtime struct {
	name  string
	opts  Options
	log   *slog.Logger
	rng   *rand.Rand
	start time.Time // carries the monotonic reading Monotonic is measured on
	fs    *fsys

	// Failpoints (ApplyFault); safe from any goroutine.
	clock     atomic.Pointer[clockModel]
	clockMu   sync.Mutex // serialises clock changes
	diskFault diskFaults
	pauseMu   sync.Mutex
	resume    chan struct{} // closed by Resume; nil unless paused (pause.go)

	q       *queue
	wg      sync.WaitGroup // every goroutine the Runtime started
	ctx     context.Context
	cancel  context.CancelFunc
	flusher *flusher
	writer  *writer

	lifeMu   sync.Mutex // guards started and stopped
	started  bool
	stopped  bool
	stopOnce sync.Once
	done     chan struct{} // closed when the loop has exited for good
	// killed is set by Kill: the loop runs no further event and tears the
	// node down abruptly (kill) instead of calling its Stop.
	killed   atomic.Bool
	doneOnce sync.Once

	// Loop-owned state.
	node      runtime.Node
	exiting   bool // set by shutdown; the loop returns after the current event
	nextID    uint64
	conns     map[uint64]*conn
	listeners map[*listener]struct{}
	files     map[*file]struct{}
	timers    timerHeap
	timerSeq  uint64
	alarm     *time.Timer
	alarmAt   time.Duration
	alarmSet  bool

	syncRequests atomic.Uint64

	// testHookFsync and testHookFsynced, when set before Start, run on the
	// flusher goroutine before and after each fsync. Tests use them to hold
	// the flusher while requests pile up and to witness fsyncs.
	testHookFsync   func()
	testHookFsynced func()
	// testHookWrite, when set before Start, runs on the writer goroutine
	// before each WriteAsync's write.
	testHookWrite func()
}

var _ runtime.Runtime = (*Runtime)(nil)

// New returns a Runtime for the node called name. Nothing runs until Start.
func New(name string, opts Options) *Runtime {
	if opts.MaxFrameSize <= 0 {
		opts.MaxFrameSize = runtime.MaxFrameSizeDefault
	}
	if opts.SendQueueMax <= 0 {
		opts.SendQueueMax = SendQueueMaxDefault
	}
	if opts.RecvQueueMax <= 0 {
		opts.RecvQueueMax = RecvQueueMaxDefault
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DialTimeoutDefault
	}
	base := opts.Logger
	if base == nil {
		base = slog.Default()
	}
	seed1, seed2 := opts.Seed, opts.Seed^0x9e3779b97f4a7c15
	if opts.Seed == 0 {
		var b [16]byte
		// crypto/rand.Read never returns an error on supported platforms.
		_, _ = crand.Read(b[:])
		seed1, seed2 = binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runtime{
		name:      name,
		opts:      opts,
		log:       base.With(slog.String("node", name)),
		rng:       rand.New(rand.NewPCG(seed1, seed2)),
		start:     time.Now(),
		q:         newQueue(),
		ctx:       ctx,
		cancel:    cancel,
		conns:     make(map[uint64]*conn),
		listeners: make(map[*listener]struct{}),
		files:     make(map[*file]struct{}),
		done:      make(chan struct{}),
	}
	r.fs = &fsys{rt: r, root: opts.DataDir}
	r.clock.Store(noClockFaults)
	// The failpoints draw from their own stream so that injecting a fault
	// does not shift the node's.
	r.diskFault.rng = rand.New(rand.NewPCG(seed2, seed1^0x2545f4914f6cdd1d))
	r.flusher = newFlusher(r)
	r.writer = newWriter(r.flusher)
	return r
}

// Start starts the loop and the flusher and runs newNode on the loop. It
// returns newNode's error, after undoing whatever the failed constructor
// opened (as Stop does). Start may be called once, and not after Stop.
func (r *Runtime) Start(newNode runtime.NewNode) error {
	errc := make(chan error, 1)
	r.lifeMu.Lock()
	switch {
	case r.started:
		r.lifeMu.Unlock()
		return errors.New("realrt: Start called twice")
	case r.stopped:
		r.lifeMu.Unlock()
		return errors.New("realrt: Start after Stop")
	}
	r.started = true
	// Queued before any Stop can queue its shutdown, so the node is built
	// before it is stopped.
	r.q.push(func() {
		n, err := newNode(r)
		if err == nil && n == nil {
			panic("realrt: NewNode returned neither a node nor an error")
		}
		if err == nil {
			// A failed start may return a typed nil: Stop must not call it.
			r.node = n
		}
		errc <- err
	})
	r.wg.Add(3)
	go r.run()
	go r.flusher.run()
	go r.writer.run()
	r.lifeMu.Unlock()

	var err error
	select {
	case err = <-errc:
	case <-r.done:
		// Killed before the constructor ran.
		err = errors.New("killed before the node was built")
	}
	if err != nil {
		r.Stop()
		return fmt.Errorf("realrt: start node %s: %w", r.name, err)
	}
	return nil
}

// Stop shuts the node down gracefully: node.Stop runs on the loop, then the
// runtime closes listeners, connections (flushing their queued frames for at
// most closeLinger) and files, and waits for all its goroutines. It must not
// be called from the loop itself (it would wait for itself). Later calls
// return at once; concurrent calls return when the first is done. Stop
// after Kill returns at once.
func (r *Runtime) Stop() { r.end(false) }

// Kill ends the node the way a crashed process ends: the node's Stop is not
// called, the loop runs no further event (queued events, timers and fsync
// callbacks are dropped; a callback already running finishes), connections
// close at once without writing their queued frames, WriteAsync writes not
// yet made are dropped, files are closed and every goroutine is waited for.
// What the node wrote to its files before stays (a process crash keeps the
// page cache). Like Stop it must not be called from the loop; later calls,
// and Stop after Kill, return at once.
func (r *Runtime) Kill() { r.end(true) }

// end is Stop (kill false) or Kill; whichever comes first decides.
func (r *Runtime) end(kill bool) {
	r.stopOnce.Do(func() {
		r.lifeMu.Lock()
		r.stopped = true
		started := r.started
		r.lifeMu.Unlock()
		switch {
		case started && kill:
			// The loop checks killed between events; closing the queue
			// drops what is queued and wakes a loop waiting for events.
			r.killed.Store(true)
			r.q.close()
			r.resumeLoop()
			<-r.done
		case started:
			done := make(chan struct{})
			if !r.q.push(func() { r.shutdown(); close(done) }) {
				panic("realrt: event queue closed before Stop")
			}
			r.resumeLoop() // a paused node resumes to stop
			<-done
		default:
			r.q.close()
			r.closeDone()
		}
		if started {
			// Its queued syncs go to the flusher: stop it first.
			r.writer.stop(kill)
		}
		r.flusher.stop()
		r.cancel()
		r.wg.Wait()
		// The writer and the flusher have exited, so no write or fsync
		// can race with these closes.
		for f := range r.files {
			if err := f.f.Close(); err != nil {
				r.log.Warn("close file at stop", slog.String("file", f.name), slog.Any("err", err))
			}
		}
		clear(r.files)
	})
}

// shutdown runs on the loop as its last event.
func (r *Runtime) shutdown() {
	if r.node != nil {
		r.node.Stop()
	}
	r.teardown(true)
}

// teardown ends the loop's world: no more events, listeners and
// connections closed (their queued frames written for at most closeLinger
// when linger is set, dropped otherwise), timers dropped. Loop only.
func (r *Runtime) teardown(linger bool) {
	r.exiting = true
	r.q.close()
	for l := range r.listeners {
		_ = l.Close()
	}
	for _, c := range r.conns {
		c.closeQuietly(linger)
	}
	if r.alarm != nil {
		r.alarm.Stop()
	}
	for _, t := range r.timers {
		t.index = -1 // Stop on a dropped timer reports false
	}
	r.timers = nil
}

// run is the loop goroutine.
func (r *Runtime) run() {
	defer r.wg.Done()
	defer r.closeDone()
	for {
		batch := r.q.take()
		for _, fn := range batch {
			if r.killed.Load() {
				r.teardown(false)
				return
			}
			fn()
			if r.exiting {
				return
			}
		}
		if batch == nil { // the queue was closed: only Kill does that under a running loop
			r.teardown(false)
			return
		}
		r.q.recycle(batch)
	}
}

// Name returns the node's name.
func (r *Runtime) Name() string { return r.name }

// Disk returns the node's file system rooted at Options.DataDir.
func (r *Runtime) Disk() runtime.FS { return r.fs }

// Rand returns the node's random source; loop only.
func (r *Runtime) Rand() *rand.Rand { return r.rng }

// Log returns the node's logger.
func (r *Runtime) Log() *slog.Logger { return r.log }

// Post runs fn on the loop. It is safe from any goroutine. A Post made
// before Start runs before the node is built; one made after Stop began is
// dropped.
func (r *Runtime) Post(fn func()) {
	r.q.push(fn)
}

// TryPost is Post that reports whether fn was queued; false means Stop has
// begun and fn will never run. A blocking facade uses it (or Done) so that
// it does not wait forever on a stopped node.
func (r *Runtime) TryPost(fn func()) bool {
	return r.q.push(fn)
}

// Done is closed once the loop has run its last event: after Stop or Kill,
// or when either is called on a Runtime that never started.
func (r *Runtime) Done() <-chan struct{} { return r.done }

func (r *Runtime) closeDone() { r.doneOnce.Do(func() { close(r.done) }) }

// post is Post for the runtime's own goroutines; it reports whether fn was
// queued.
func (r *Runtime) post(fn func()) bool {
	return r.q.push(fn)
}

// Stats returns the runtime's counters.
func (r *Runtime) Stats() Stats {
	return Stats{
		Fsyncs:            r.flusher.fsyncs.Load(),
		FsyncTime:         time.Duration(r.flusher.fsyncNanos.Load()),
		SyncAsyncRequests: r.syncRequests.Load(),
	}
}
