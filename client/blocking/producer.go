package blocking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"rocketsim/client"
	"rocketsim/client/producer"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// ErrNotStarted is returned by calls before Start or after Shutdown.
var ErrNotStarted = errors.New("client not started")

// Producer is a blocking producer.
type Producer struct {
	opts producer.Options
	log  *slog.Logger

	mu      sync.Mutex
	rt      *realrt.Runtime
	core    *producer.Producer
	started bool
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
func (p *Producer) Shutdown() {
	p.mu.Lock()
	rt := p.rt
	p.rt, p.started = nil, false
	p.mu.Unlock()
	if rt != nil {
		rt.Stop()
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
	rt.Post(func() {
		start(p.core, func(r *producer.SendResult, err error) { ch <- sendResult{r, err} })
	})
	select {
	case r := <-ch:
		return r.res, r.err
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

// SendAsync sends msg and returns at once; cb runs later on a goroutine of
// its own with the result.
func (p *Producer) SendAsync(msg *client.Message, cb func(*producer.SendResult, error)) error {
	rt, err := p.runtime()
	if err != nil {
		return err
	}
	rt.Post(func() {
		p.core.Send(msg, func(r *producer.SendResult, err error) { go cb(r, err) })
	})
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
