// Package litepull is RocketMQ's lite pull consumer as an event-driven core:
// the application polls for messages instead of registering a handler.
// It is the push consumer core (rebalancing or a fixed assignment, long
// polling, flow control, offsets) with a bounded buffer in place of the
// handler: a polled message counts as consumed once it is committed, by
// Commit or, with AutoCommit, by the next Poll.
package litepull

import (
	"fmt"
	"slices"
	"time"

	"rocketsim/client"
	"rocketsim/client/consumer"
	"rocketsim/runtime"
)

// Options configure a lite pull consumer: the push consumer's, plus polling.
type Options struct {
	consumer.Options
	// AutoCommit commits what the previous Poll returned at each Poll.
	AutoCommit bool
}

type held struct {
	msg  *client.MessageExt
	done func(consumer.Result)
}

// Consumer is the lite pull consumer. All methods run on the loop.
type Consumer struct {
	rt   runtime.Runtime
	opts Options
	core *consumer.Consumer
	// buffer holds pulled messages not yet polled; the core's per-queue
	// flow control bounds it (PullThresholdForQueue per owned queue).
	buffer []held
	// polled are messages returned and not yet committed.
	polled []held
	waiter *poll
}

type poll struct {
	max   int
	timer runtime.Timer
	done  func([]*client.MessageExt)
}

// New builds a lite pull consumer on rt.
func New(rt runtime.Runtime, opts Options) (*Consumer, error) {
	core, err := consumer.New(rt, opts.Options)
	if err != nil {
		return nil, err
	}
	return &Consumer{rt: rt, opts: opts, core: core}, nil
}

// Core is the underlying push consumer (owned queues, stats).
func (c *Consumer) Core() *consumer.Consumer { return c.core }

func (c *Consumer) handle(msgs []*client.MessageExt, done func(consumer.Result)) {
	// One done per batch: the batch is committed when its last message
	// is.
	for i, m := range msgs {
		h := held{msg: m}
		if i == len(msgs)-1 {
			h.done = done
		}
		c.buffer = append(c.buffer, h)
	}
	c.serve()
}

// Subscribe takes a share of topic's queues through rebalancing.
func (c *Consumer) Subscribe(topic, expr string) error {
	return c.core.Subscribe(topic, expr, c.handle)
}

// Assign reads exactly queues of topic.
func (c *Consumer) Assign(topic string, queues []client.Queue) error {
	return c.core.Assign(topic, "*", queues, c.handle)
}

// Start starts the core.
func (c *Consumer) Start() error { return c.core.Start() }

// Seek moves an owned queue to offset; buffered messages of it are dropped.
func (c *Consumer) Seek(q client.Queue, offset int64) error {
	c.buffer = slices.DeleteFunc(c.buffer, func(h held) bool { return h.msg.Queue() == q })
	return c.core.Seek(q, offset)
}

// Poll returns up to max buffered messages, waiting at most timeout for
// the first; done gets an empty slice on timeout. With AutoCommit it first
// commits what the previous Poll returned. A Poll supersedes one still
// waiting, which gets an empty slice at once (the core serves one poller).
func (c *Consumer) Poll(max int, timeout time.Duration, done func([]*client.MessageExt)) error {
	if max <= 0 {
		return fmt.Errorf("poll: max %d must be positive", max)
	}
	if old := c.waiter; old != nil {
		c.waiter = nil
		old.timer.Stop()
		old.done(nil)
	}
	if c.opts.AutoCommit {
		c.Commit()
	}
	p := &poll{max: max, done: done}
	c.waiter = p
	p.timer = c.rt.AfterFunc(timeout, func() {
		if c.waiter == p {
			c.waiter = nil
			done(nil)
		}
	})
	c.serve()
	return nil
}

func (c *Consumer) serve() {
	p := c.waiter
	if p == nil || len(c.buffer) == 0 {
		return
	}
	c.waiter = nil
	p.timer.Stop()
	n := min(p.max, len(c.buffer))
	out := make([]*client.MessageExt, n)
	for i, h := range c.buffer[:n] {
		out[i] = h.msg
	}
	c.polled = append(c.polled, c.buffer[:n]...)
	c.buffer = slices.Clone(c.buffer[n:])
	p.done(out)
}

// Commit marks everything polled so far consumed; the core commits the
// offsets to the brokers on its next persist.
func (c *Consumer) Commit() {
	polled := c.polled
	c.polled = nil
	for _, h := range polled {
		if h.done != nil {
			h.done(consumer.Success)
		}
	}
}

// Shutdown stops the core after committing nothing further: polled but
// uncommitted messages will be delivered again.
func (c *Consumer) Shutdown(done func()) { c.core.Shutdown(done) }
