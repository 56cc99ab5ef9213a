package blocking

import (
	"context"
	"fmt"
	"sync"
	"time"

	"rocketsim/client"
	"rocketsim/client/litepull"
	"rocketsim/faults"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// PollWaitMax bounds how long one Poll call waits inside the core; a longer
// context deadline just polls again.
const PollWaitMax = 5 * time.Second

// LitePullConsumer is a blocking lite pull consumer.
type LitePullConsumer struct {
	opts litepull.Options

	mu   sync.Mutex
	rt   *realrt.Runtime
	core *litepull.Consumer
	// setup runs on the loop before Start (Subscribe/Assign).
	setup []func(*litepull.Consumer) error
	// stash holds messages a Poll abandoned by its context got after all;
	// the next Poll returns them first, so none is committed unseen.
	stash []*client.MessageExt
}

// NewLitePullConsumer returns a consumer; Subscribe or Assign, then Start.
func NewLitePullConsumer(opts litepull.Options) *LitePullConsumer {
	if opts.ClientIP == "" {
		opts.ClientIP = localIPv4()
	}
	if opts.PID == 0 {
		opts.PID = pid()
	}
	return &LitePullConsumer{opts: opts}
}

// Subscribe takes a share of topic's queues by rebalancing.
func (c *LitePullConsumer) Subscribe(topic, expr string) {
	c.setup = append(c.setup, func(l *litepull.Consumer) error { return l.Subscribe(topic, expr) })
}

// Assign reads exactly queues of topic.
func (c *LitePullConsumer) Assign(topic string, queues []client.Queue) {
	c.setup = append(c.setup, func(l *litepull.Consumer) error { return l.Assign(topic, queues) })
}

type liteNode struct{ l *litepull.Consumer }

func (n liteNode) Stop() { n.l.Shutdown(nil) }

// Start runs the core on a real runtime.
func (c *LitePullConsumer) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	rt := realrt.New("litepull-"+c.opts.Group, realrt.Options{})
	err := rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		l, err := litepull.New(r, c.opts)
		if err != nil {
			return nil, err
		}
		for _, f := range c.setup {
			if err := f(l); err != nil {
				return nil, err
			}
		}
		if err := l.Start(); err != nil {
			return nil, err
		}
		c.core = l
		return liteNode{l}, nil
	})
	if err != nil {
		return fmt.Errorf("start lite pull consumer %s: %w", c.opts.Group, err)
	}
	c.rt = rt
	return nil
}

func (c *LitePullConsumer) runtime() (*realrt.Runtime, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rt == nil {
		return nil, ErrNotStarted
	}
	return c.rt, nil
}

// Poll returns up to max messages, waiting until one arrives or ctx ends
// (then it returns an empty slice and ctx's error).
func (c *LitePullConsumer) Poll(ctx context.Context, max int) ([]*client.MessageExt, error) {
	rt, err := c.runtime()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.stash) > 0 {
		n := min(max, len(c.stash))
		out := c.stash[:n]
		c.stash = c.stash[n:]
		c.mu.Unlock()
		return out, nil
	}
	c.mu.Unlock()
	for {
		wait := PollWaitMax
		if dl, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(dl))
		}
		if wait <= 0 {
			// The deadline passed; ctx's own timer may not have fired yet.
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return nil, context.DeadlineExceeded
		}
		ch := make(chan []*client.MessageExt, 1)
		errc := make(chan error, 1)
		if !rt.TryPost(func() {
			if err := c.core.Poll(max, wait, func(ms []*client.MessageExt) { ch <- ms }); err != nil {
				errc <- err
			}
		}) {
			return nil, fmt.Errorf("poll: %w", ErrStopped)
		}
		select {
		case ms := <-ch:
			if len(ms) > 0 {
				return ms, nil
			}
		case err := <-errc:
			return nil, err
		case <-rt.Done():
			return nil, fmt.Errorf("poll: %w", ErrStopped)
		case <-ctx.Done():
			// The core's poll ends by itself within wait; keep what it
			// returns for the next Poll.
			go func() {
				select {
				case ms := <-ch:
					c.mu.Lock()
					c.stash = append(c.stash, ms...)
					c.mu.Unlock()
				case <-errc:
				case <-rt.Done():
				}
			}()
			return nil, ctx.Err()
		}
	}
}

// Commit marks everything polled so far consumed.
func (c *LitePullConsumer) Commit() error {
	rt, err := c.runtime()
	if err != nil {
		return err
	}
	done := make(chan struct{})
	if !rt.TryPost(func() { c.core.Commit(); close(done) }) {
		return fmt.Errorf("commit: %w", ErrStopped)
	}
	select {
	case <-done:
		return nil
	case <-rt.Done():
		select {
		case <-done:
			return nil
		default:
			return fmt.Errorf("commit: %w", ErrStopped)
		}
	}
}

// Seek moves an owned queue to offset.
func (c *LitePullConsumer) Seek(q client.Queue, offset int64) error {
	rt, err := c.runtime()
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	if !rt.TryPost(func() { errc <- c.core.Seek(q, offset) }) {
		return fmt.Errorf("seek: %w", ErrStopped)
	}
	select {
	case err := <-errc:
		return err
	case <-rt.Done():
		select {
		case err := <-errc:
			return err
		default:
			return fmt.Errorf("seek: %w", ErrStopped)
		}
	}
}

// Shutdown commits offsets and stops.
func (c *LitePullConsumer) Shutdown() {
	c.mu.Lock()
	rt := c.rt
	c.rt = nil
	c.mu.Unlock()
	if rt == nil {
		return
	}
	done := make(chan struct{})
	rt.Post(func() { c.core.Shutdown(func() { close(done) }) })
	select {
	case <-done:
	case <-time.After(ShutdownWait):
	}
	rt.Stop()
}

// Kill ends the consumer as a process crash would: nothing is committed
// and calls in flight return ErrStopped. A new LitePullConsumer of the same
// group resumes from the offsets the broker last stored.
func (c *LitePullConsumer) Kill() {
	c.mu.Lock()
	rt := c.rt
	c.rt = nil
	c.mu.Unlock()
	if rt != nil {
		rt.Kill()
	}
}

// ApplyFault injects a clock fault (clock-offset, clock-drift, clock-jump)
// into the consumer's runtime, as Producer.ApplyFault does.
func (c *LitePullConsumer) ApplyFault(f faults.Fault) error {
	rt, err := c.runtime()
	if err != nil {
		return err
	}
	f.Nodes, f.Pick = []string{rt.Name()}, 0
	return rt.ApplyFault(f)
}

// Now is the consumer's clock: the machine's, moved by clock faults.
func (c *LitePullConsumer) Now() time.Time {
	rt, err := c.runtime()
	if err != nil {
		return time.Now().Round(0)
	}
	return rt.Now()
}
