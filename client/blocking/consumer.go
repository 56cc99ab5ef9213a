package blocking

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"rocketsim/client"
	"rocketsim/client/consumer"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

const (
	// ConsumeGoroutinesDefault bounds the handlers running at once, as
	// Java's consumeThreadMin/Max (20) bound its consume thread pool.
	ConsumeGoroutinesDefault = 20
	// ShutdownWait bounds how long Shutdown waits for offsets to be
	// committed and locks released.
	ShutdownWait = 5 * time.Second
)

// Handler consumes a batch. A panic counts as consumer.RetryLater.
type Handler func(ctx context.Context, msgs []*client.MessageExt) consumer.Result

// ConsumerOptions are the core's options plus the facade's.
type ConsumerOptions struct {
	consumer.Options
	// ConsumeGoroutines bounds concurrent handler calls.
	ConsumeGoroutines int
	// DataDir holds broadcasting consumers' offsets (default
	// ~/.rocketmq_offsets, as Java); clustering consumers write no files.
	DataDir string
	Log     *slog.Logger
}

type subscription struct {
	topic, expr, typ string
	h                Handler
}

// PushConsumer is a blocking push consumer.
type PushConsumer struct {
	opts ConsumerOptions
	subs []subscription
	sem  chan struct{}
	ctx  context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	rt      *realrt.Runtime
	core    *consumer.Consumer
	started bool
}

// NewPushConsumer returns a consumer; Subscribe, then Start.
func NewPushConsumer(opts ConsumerOptions) *PushConsumer {
	if opts.ClientIP == "" {
		opts.ClientIP = localIPv4()
	}
	if opts.PID == 0 {
		opts.PID = pid()
	}
	if opts.ConsumeGoroutines <= 0 {
		opts.ConsumeGoroutines = ConsumeGoroutinesDefault
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.DataDir == "" && opts.Model == consumer.Broadcasting {
		if home, err := os.UserHomeDir(); err == nil {
			opts.DataDir = filepath.Join(home, ".rocketmq_offsets")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &PushConsumer{opts: opts, sem: make(chan struct{}, opts.ConsumeGoroutines), ctx: ctx, stop: cancel}
}

// Subscribe consumes topic's messages matching a TAG expression with h.
func (c *PushConsumer) Subscribe(topic, expr string, h Handler) error {
	return c.SubscribeType(topic, expr, "TAG", h)
}

// SubscribeType subscribes with an expression type (TAG or SQL92).
func (c *PushConsumer) SubscribeType(topic, expr, typ string, h Handler) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return consumer.ErrRunning
	}
	c.subs = append(c.subs, subscription{topic, expr, typ, h})
	return nil
}

type consumerNode struct{ c *consumer.Consumer }

func (n consumerNode) Stop() { n.c.Shutdown(nil) }

// Start runs the core on a real runtime.
func (c *PushConsumer) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return nil
	}
	if c.opts.DataDir != "" {
		if err := os.MkdirAll(c.opts.DataDir, 0o755); err != nil {
			return fmt.Errorf("consumer data dir: %w", err)
		}
	}
	rt := realrt.New("consumer-"+c.opts.Group, realrt.Options{Logger: c.opts.Log, DataDir: c.opts.DataDir})
	err := rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		core, err := consumer.New(r, c.opts.Options)
		if err != nil {
			return nil, err
		}
		for _, s := range c.subs {
			if err := core.SubscribeType(s.topic, s.expr, s.typ, c.bridge(r, s.h)); err != nil {
				return nil, err
			}
		}
		if err := core.Start(); err != nil {
			return nil, err
		}
		c.core = core
		return consumerNode{core}, nil
	})
	if err != nil {
		return fmt.Errorf("start consumer %s: %w", c.opts.Group, err)
	}
	c.rt, c.started = rt, true
	return nil
}

// bridge runs h on a goroutine (at most ConsumeGoroutines at once) and
// posts its verdict back to the loop. The loop never blocks on it.
func (c *PushConsumer) bridge(rt runtime.Runtime, h Handler) consumer.Handler {
	return func(msgs []*client.MessageExt, done func(consumer.Result)) {
		go func() {
			c.sem <- struct{}{}
			r := c.call(h, msgs)
			<-c.sem
			rt.Post(func() { done(r) })
		}()
	}
}

func (c *PushConsumer) call(h Handler, msgs []*client.MessageExt) (r consumer.Result) {
	defer func() {
		if p := recover(); p != nil {
			c.opts.Log.Error("consumer handler panicked", slog.Any("panic", p))
			r = consumer.RetryLater
		}
	}()
	return h(c.ctx, msgs)
}

// Shutdown commits offsets, releases queue locks and stops.
func (c *PushConsumer) Shutdown() {
	c.mu.Lock()
	rt, core := c.rt, c.core
	c.rt, c.started = nil, false
	c.mu.Unlock()
	if rt == nil {
		return
	}
	done := make(chan struct{})
	rt.Post(func() { core.Shutdown(func() { close(done) }) })
	select {
	case <-done:
	case <-time.After(ShutdownWait):
	}
	c.stop()
	rt.Stop()
}

// Kill ends the consumer as a process crash would: no offset commit, no
// unregister, no lock release; the handlers' context is cancelled and
// their verdicts are dropped. The broker keeps the offsets last committed
// (by the periodic persist), so a new PushConsumer of the same group is
// redelivered what this one consumed since.
func (c *PushConsumer) Kill() {
	c.mu.Lock()
	rt := c.rt
	c.rt, c.started = nil, false
	c.mu.Unlock()
	if rt == nil {
		return
	}
	rt.Kill()
	c.stop()
}
