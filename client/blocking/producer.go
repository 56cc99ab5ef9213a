package blocking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"rocketsim/client"
	"rocketsim/client/producer"
	"rocketsim/faults"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// ErrNotStarted is returned by calls before Start or after Shutdown.
var ErrNotStarted = errors.New("client not started")

// ErrStopped is returned by a call still in flight when its client was
// killed (or shut down without answering it): the outcome is unknown, a
// send may or may not have reached the broker.
var ErrStopped = errors.New("client stopped with the call in flight: outcome unknown")

// Producer is a blocking producer.
type Producer struct {
	opts producer.Options
	log  *slog.Logger

	mu      sync.Mutex
	rt      *realrt.Runtime
	core    *producer.Producer
	started bool

	// amu guards async, the SendAsync calls not yet answered, so that a
	// Kill, after which the core never answers, can fail them. A list,
	// not a map: a send links and unlinks itself without hashing, and
	// the list is already in send order.
	amu   sync.Mutex
	async asyncList
	// callbacks runs SendAsync callbacks off the loop.
	callbacks callbackRunner
}

// NewProducer returns a producer; nothing connects until Start. Unset
// ClientIP and PID are taken from the machine.
func NewProducer(opts producer.Options, log *slog.Logger) *Producer {
	if opts.ClientIP == "" {
		opts.ClientIP = localIPv4()
	}
	if opts.PID == 0 {
		opts.PID = pid()
	}
	if log == nil {
		log = slog.Default()
	}
	return &Producer{opts: opts, log: log}
}

type producerNode struct{ p *producer.Producer }

func (n producerNode) Stop() { n.p.Shutdown() }

// Start runs the core on a real runtime.
func (p *Producer) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return nil
	}
	rt := realrt.New("producer-"+p.opts.Group, realrt.Options{Logger: p.log})
	err := rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		core, err := producer.New(r, p.opts)
		if err != nil {
			return nil, err
		}
		core.Start()
		p.core = core
		return producerNode{core}, nil
	})
	if err != nil {
		return fmt.Errorf("start producer %s: %w", p.opts.Group, err)
	}
	p.rt, p.started = rt, true
	return nil
}

// Shutdown stops the producer; sends in flight fail.
func (p *Producer) Shutdown() { p.end(false) }

// Kill ends the producer as a process crash would: the core is not shut
// down, nothing queued is written, and every send in flight (Send,
// SendAsync, ...) returns ErrStopped: its outcome is unknown. A restart is
// a new Producer with the same options.
func (p *Producer) Kill() { p.end(true) }

func (p *Producer) end(kill bool) {
	p.mu.Lock()
	rt := p.rt
	p.rt, p.started = nil, false
	p.mu.Unlock()
	if rt == nil {
		return
	}
	if kill {
		rt.Kill()
	} else {
		rt.Stop()
	}
	// The loop is gone: no core callback can run any more. Fail what is
	// left, in send order.
	p.amu.Lock()
	left := p.async.takeAll()
	p.amu.Unlock()
	for _, a := range left {
		p.callbacks.run(a.cb, nil, fmt.Errorf("send: %w", ErrStopped))
	}
}

func (p *Producer) runtime() (*realrt.Runtime, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return nil, ErrNotStarted
	}
	return p.rt, nil
}

type sendResult struct {
	res *producer.SendResult
	err error
}

// wait posts start to the loop and waits for its result or ctx.
func (p *Producer) wait(ctx context.Context, start func(core *producer.Producer, done func(*producer.SendResult, error))) (*producer.SendResult, error) {
	rt, err := p.runtime()
	if err != nil {
		return nil, err
	}
	ch := make(chan sendResult, 1)
	if !rt.TryPost(func() {
		start(p.core, func(r *producer.SendResult, err error) { ch <- sendResult{r, err} })
	}) {
		return nil, fmt.Errorf("send: %w", ErrStopped)
	}
	select {
	case r := <-ch:
		return r.res, r.err
	case <-rt.Done():
		// Stopped or killed: an answer given before the end wins.
		select {
		case r := <-ch:
			return r.res, r.err
		default:
			return nil, fmt.Errorf("send: %w", ErrStopped)
		}
	case <-ctx.Done():
		// The send may still complete: its outcome is unknown to the caller.
		return nil, fmt.Errorf("send: %w", ctx.Err())
	}
}

// Send sends msg and waits for the broker's answer (retries included, at
// most SendTimeout). The message must not be touched until Send returns.
func (p *Producer) Send(ctx context.Context, msg *client.Message) (*producer.SendResult, error) {
	return p.wait(ctx, func(core *producer.Producer, done func(*producer.SendResult, error)) { core.Send(msg, done) })
}

// SendSelect sends msg to the queue sel picks (producer.Hash{} for ordered
// messages by sharding key).
func (p *Producer) SendSelect(ctx context.Context, msg *client.Message, sel producer.Selector) (*producer.SendResult, error) {
	return p.wait(ctx, func(core *producer.Producer, done func(*producer.SendResult, error)) { core.SendSelect(msg, sel, done) })
}

// SendBatch sends msgs (one topic) as one batch.
func (p *Producer) SendBatch(ctx context.Context, msgs []*client.Message) (*producer.SendResult, error) {
	return p.wait(ctx, func(core *producer.Producer, done func(*producer.SendResult, error)) { core.SendBatch(msgs, done) })
}

// SendAsync sends msg and returns at once; cb runs later, off the
// producer's loop, with the result. Callbacks run one at a time, in the
// order the answers came, on a goroutine the producer starts when one is
// due and ends when none is (as the Java client's callback executor, with
// one thread): a callback that blocks delays the callbacks after it, never
// the producer, and must not wait for a later callback.
func (p *Producer) SendAsync(msg *client.Message, cb func(*producer.SendResult, error)) error {
	rt, err := p.runtime()
	if err != nil {
		return err
	}
	a := &asyncSend{cb: cb}
	p.amu.Lock()
	p.async.push(a)
	p.amu.Unlock()
	// The core's answer and end race for a: whoever unlinks it calls cb.
	if !rt.TryPost(func() {
		p.core.Send(msg, func(r *producer.SendResult, err error) {
			p.amu.Lock()
			mine := p.async.remove(a)
			p.amu.Unlock()
			if mine {
				p.callbacks.run(cb, r, err)
			}
		})
	}) {
		p.amu.Lock()
		p.async.remove(a)
		p.amu.Unlock()
		return fmt.Errorf("send: %w", ErrStopped)
	}
	return nil
}

// SendOneway sends msg without waiting for the broker; the error covers
// only what went wrong before the message left.
func (p *Producer) SendOneway(ctx context.Context, msg *client.Message) error {
	_, err := p.wait(ctx, func(core *producer.Producer, done func(*producer.SendResult, error)) {
		core.SendOneway(msg, func(err error) { done(nil, err) })
	})
	return err
}

// ApplyFault injects a clock fault (clock-offset, clock-drift, clock-jump)
// into the producer's runtime, as realrt.Runtime.ApplyFault does for a
// server process; a new Producer starts with a true clock. Disk faults are
// accepted too but a producer writes no files.
func (p *Producer) ApplyFault(f faults.Fault) error {
	rt, err := p.runtime()
	if err != nil {
		return err
	}
	f.Nodes, f.Pick = []string{rt.Name()}, 0 // the caller names its node, not the runtime
	return rt.ApplyFault(f)
}

// Now is the producer's clock: the machine's, moved by clock faults. It is
// the clock the core stamps messages with.
func (p *Producer) Now() time.Time {
	rt, err := p.runtime()
	if err != nil {
		return time.Now().Round(0)
	}
	return rt.Now()
}
