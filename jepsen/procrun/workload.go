package procrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rocketsim/client"
	"rocketsim/client/blocking"
	"rocketsim/client/consumer"
	"rocketsim/client/litepull"
	"rocketsim/client/producer"
	"rocketsim/faults"
	"rocketsim/jepsen/history"
)

// Load is what the clients do: the simulator's mq workload with core
// clients and normal messages, driven by real goroutines.
type Load struct {
	Topic string
	// Group is the regular consumer group; VerifyGroup the fresh group
	// that reads every queue once the producers stopped.
	Group, VerifyGroup string
	// Interval is each send slot's gap between sends; Window the sends in
	// flight per producer (one goroutine and one history process each).
	Interval time.Duration
	Window   int
	// Timeout bounds one send (the client's retries included).
	Timeout time.Duration
	// Body is the message body size in bytes (at least the key's length).
	Body int
}

// recorder is the run's history: real clients record from many
// goroutines, in the order the lock admits them, with wall-clock times.
type recorder struct{ h history.Synced }

// sendFunc sends one message with key and body and classifies the
// outcome for the history: the completion type and what to add to it.
// The type noCompletion means the client crashed with the send in flight.
type sendFunc func(ctx context.Context, key string, body []byte) (history.Type, func(*history.Op))

// noCompletion is the "type" of a send a client crash interrupted: like
// the simulator's crashed process, the runner records no completion, so
// the invoke stays open (its outcome unknown) and its slot is retired.
const noCompletion history.Type = ""

// producerClient is one incarnation of a producer node's client.
type producerClient struct {
	send     sendFunc
	shutdown func()
	// kill crashes it (no unregister, sends in flight end unknown); nil
	// when the client cannot be crashed (the official one).
	kill func()
	// now is the client's clock, which stamps its history events;
	// applyFault moves it (a clock fault). Both nil for the official
	// client, which runs on the runner's clock.
	now        func() time.Time
	applyFault func(faults.Fault) error
	// inc numbers the node's incarnations from 0.
	inc int
	// paused: a pause fault holds this incarnation's loop. The send loops
	// start no send meanwhile, as a stopped process's would not; a send
	// already in flight waits for the resume.
	paused atomic.Bool
}

// clock is cl's clock, or the runner's.
func (cl *producerClient) clock() time.Time {
	if cl.now == nil {
		return time.Now()
	}
	return cl.now()
}

// producerRun is one producer node: its client, one incarnation after
// another, and its send loops, which outlive crashes.
type producerRun struct {
	name string
	// start builds a new incarnation with the node's configuration.
	start func() (*producerClient, error)
	acks  sync.Map // key -> struct{}: acknowledged sends, to know when the drain is done

	life sync.Mutex
	cur  *producerClient // nil while crashed or after shutdown
	incs int             // incarnations started
}

// newProducerRun starts the first incarnation of node name.
func newProducerRun(name string, start func() (*producerClient, error)) (*producerRun, error) {
	pr := &producerRun{name: name, start: start}
	if err := pr.restart(); err != nil {
		return nil, err
	}
	return pr, nil
}

// current is the running incarnation, or nil while the node is down.
func (pr *producerRun) current() *producerClient {
	pr.life.Lock()
	defer pr.life.Unlock()
	return pr.cur
}

// canCrash reports whether the node's client can be killed.
func (pr *producerRun) canCrash() bool {
	cl := pr.current()
	return cl == nil || cl.kill != nil
}

// down reports whether the node is crashed.
func (pr *producerRun) down() bool { return pr.current() == nil }

// crash kills the running incarnation, if any: its sends in flight stay
// open in the history, as a crashed process's do in the simulator.
func (pr *producerRun) crash() error {
	pr.life.Lock()
	defer pr.life.Unlock()
	cl := pr.cur
	if cl == nil {
		return nil
	}
	if cl.kill == nil {
		return fmt.Errorf("crash producer %s: its client cannot be killed: %w", pr.name, ErrUnsupported)
	}
	pr.cur = nil
	cl.kill()
	return nil
}

// restart crashes the running incarnation, if any, and starts a new one
// with the same configuration, as the simulator's restart does.
func (pr *producerRun) restart() error {
	if err := pr.crash(); err != nil {
		return err
	}
	pr.life.Lock()
	defer pr.life.Unlock()
	cl, err := pr.start()
	if err != nil {
		return err
	}
	cl.inc = pr.incs
	pr.incs++
	pr.cur = cl
	return nil
}

// applyFault gives the running incarnation a clock fault (a down node
// gets it at its next start, from the nemesis), a pause or a resume.
func (pr *producerRun) applyFault(f faults.Fault) error {
	cl := pr.current()
	switch {
	case cl == nil, cl.applyFault == nil && f.Kind == faults.Resume:
		return nil // down, or never paused (the heal resumes every client)
	case cl.applyFault == nil:
		return fmt.Errorf("fault %s on producer %s: its client runs on the runner's clock: %w", f.Kind, pr.name, ErrUnsupported)
	}
	if err := cl.applyFault(f); err != nil {
		return err
	}
	switch f.Kind {
	case faults.Pause:
		cl.paused.Store(true)
	case faults.Resume:
		cl.paused.Store(false)
	}
	return nil
}

// shutdown stops the running incarnation gracefully.
func (pr *producerRun) shutdown() {
	pr.life.Lock()
	cl := pr.cur
	pr.cur = nil
	pr.life.Unlock()
	if cl != nil {
		cl.shutdown()
	}
}

// consumerClient is one incarnation of a consumer node's client.
type consumerClient struct {
	shutdown   func()
	kill       func()                   // nil: cannot be crashed (the official client)
	applyFault func(faults.Fault) error // nil: runs on the runner's clock (the official client)
}

// consumerRun is one consumer node (or the verifier): its client, one
// incarnation after another, and what every incarnation received.
type consumerRun struct {
	name, group string
	start       func() (*consumerClient, error)
	mu          sync.Mutex
	got         map[string]int // key -> deliveries

	life sync.Mutex
	cur  *consumerClient // nil while crashed or after shutdown
}

// newConsumerRun starts the first incarnation; start is given cr so that
// its client records into it.
func newConsumerRun(name, group string, start func(cr *consumerRun) (*consumerClient, error)) (*consumerRun, error) {
	cr := &consumerRun{name: name, group: group, got: map[string]int{}}
	cr.start = func() (*consumerClient, error) { return start(cr) }
	if err := cr.restart(); err != nil {
		return nil, err
	}
	return cr, nil
}

// down reports whether the node is crashed.
func (cr *consumerRun) down() bool {
	cr.life.Lock()
	defer cr.life.Unlock()
	return cr.cur == nil
}

// crash kills the running incarnation: nothing committed, nothing
// unregistered; the group's next owner of its queues starts from the
// offsets the brokers have.
func (cr *consumerRun) crash() error {
	cr.life.Lock()
	defer cr.life.Unlock()
	cl := cr.cur
	if cl == nil {
		return nil
	}
	if cl.kill == nil {
		return fmt.Errorf("crash consumer %s: its client cannot be killed: %w", cr.name, ErrUnsupported)
	}
	cr.cur = nil
	cl.kill()
	return nil
}

// restart crashes the running incarnation, if any, and starts a new one.
func (cr *consumerRun) restart() error {
	if err := cr.crash(); err != nil {
		return err
	}
	cr.life.Lock()
	defer cr.life.Unlock()
	cl, err := cr.start()
	if err != nil {
		return err
	}
	cr.cur = cl
	return nil
}

// applyFault gives the running incarnation a clock fault; a down node
// gets it at its next start, from the nemesis.
func (cr *consumerRun) applyFault(f faults.Fault) error {
	cr.life.Lock()
	defer cr.life.Unlock()
	switch {
	case cr.cur == nil, cr.cur.applyFault == nil && f.Kind == faults.Resume:
		return nil // down, or never paused (the heal resumes every client)
	case cr.cur.applyFault == nil:
		return fmt.Errorf("fault %s on consumer %s: its client runs on the runner's clock: %w", f.Kind, cr.name, ErrUnsupported)
	}
	return cr.cur.applyFault(f)
}

// shutdown stops the running incarnation gracefully.
func (cr *consumerRun) shutdown() {
	cr.life.Lock()
	cl := cr.cur
	cr.cur = nil
	cr.life.Unlock()
	if cl != nil {
		cl.shutdown()
	}
}

// received notes a delivery of key, for the drain.
func (cr *consumerRun) received(key string) {
	cr.mu.Lock()
	cr.got[key]++
	cr.mu.Unlock()
}

// quietLog drops client chatter: the runner's output is its report.
func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startProducer starts producer node name, this project's client,
// against namesrv; a restart builds the same client again.
func startProducer(name, namesrv string, l Load, log *slog.Logger) (*producerRun, error) {
	return newProducerRun(name, func() (*producerClient, error) { return newOurProducer(name, namesrv, l, log) })
}

// newOurProducer starts one incarnation of producer node name.
func newOurProducer(name, namesrv string, l Load, log *slog.Logger) (*producerClient, error) {
	p := blocking.NewProducer(producer.Options{
		Group: "procrun-" + name, NameServers: []string{namesrv}, InstanceName: name,
		SendTimeout: l.Timeout,
	}, log)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("producer %s: %w", name, err)
	}
	topic := l.Topic
	// Every error is unknown (info): the client retries on another broker,
	// so an attempt that timed out may have been stored, except a message
	// the client refused before sending, or one sent after the client was
	// already down.
	send := func(ctx context.Context, key string, b []byte) (history.Type, func(*history.Op)) {
		r, err := p.Send(ctx, client.NewMessage(topic, b).WithKeys(key))
		switch {
		case errors.Is(err, blocking.ErrStopped):
			return noCompletion, nil
		case errors.Is(err, producer.ErrBadMessage), errors.Is(err, blocking.ErrNotStarted):
			return history.Fail, func(o *history.Op) { o.Error = err.Error() }
		case err != nil:
			return history.Info, func(o *history.Op) { o.Error = err.Error() }
		case r.Status != producer.SendOK:
			return history.Info, func(o *history.Op) {
				o.Queue = &history.Queue{Broker: r.Queue.BrokerName, ID: r.Queue.QueueID}
				o.Error = r.Status.String()
			}
		}
		return history.OK, func(o *history.Op) {
			o.Queue = &history.Queue{Broker: r.Queue.BrokerName, ID: r.Queue.QueueID}
			o.Offset = history.Int64(r.QueueOffset)
			o.MsgID = r.OffsetMsgID
		}
	}
	return &producerClient{send: send, shutdown: p.Shutdown, kill: p.Kill, now: p.Now, applyFault: p.ApplyFault}, nil
}

// run sends until stop is closed: Window goroutines, each one send at a
// time. Each goroutine is history process "node/N" with N = incarnation *
// Window + slot: a crash leaves its sends in flight open, so, as in the
// simulator, a new incarnation never reuses their processes. While the
// node is down its slots send nothing.
func (pr *producerRun) run(stop <-chan struct{}, rec *recorder, l Load, session string, wg *sync.WaitGroup) {
	for slot := range l.Window {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(l.Interval)
			defer tick.Stop()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				cl := pr.current()
				if cl == nil || cl.paused.Load() {
					continue
				}
				process := fmt.Sprintf("%s/%d", pr.name, cl.inc*l.Window+slot)
				key := fmt.Sprintf("%s-%s-%d-%06d", session, pr.name, slot, seq)
				pr.send(cl, rec, process, key, l)
			}
		}()
	}
}

// body is the message body for key: the key, padded to size.
func body(key string, size int) []byte {
	if size <= len(key) {
		return []byte(key)
	}
	return []byte(key + "-" + strings.Repeat("x", size-len(key)-1))
}

// send sends one message with cl and records it.
func (pr *producerRun) send(cl *producerClient, rec *recorder, process, key string, l Load) {
	b := body(key, l.Body)
	inv := rec.h.Invoke(history.Op{
		Process: process, F: history.FSend, Time: cl.clock().UnixNano(),
		Topic: l.Topic, Key: key, BodyDigest: history.Digest(b),
	})
	// The client's own send timeout bounds the send; the context is a
	// backstop for a client that never answers.
	ctx, cancel := context.WithTimeout(context.Background(), 2*l.Timeout+time.Second)
	t, update := cl.send(ctx, key, b)
	cancel()
	if t == noCompletion {
		return
	}
	rec.h.Complete(inv, t, cl.clock().UnixNano(), update)
	if t == history.OK {
		pr.acks.Store(key, struct{}{})
	}
}

// pollMax bounds the messages one Poll returns.
const pollMax = 32

// startConsumer starts a clustering consumer of group from the first
// offset and records every message it hands over as a receive. It is the
// lite pull consumer, polled by one goroutine, so receives are recorded in
// the order the client core hands messages over, per queue, as the
// recording guide asks (the push consumer's handlers run on many
// goroutines, whose order is the scheduler's, and the ordering checker
// would judge that). Each Poll commits what the previous one returned.
func startConsumer(name, group, namesrv string, l Load, rec *recorder, log *slog.Logger) (*consumerRun, error) {
	return newConsumerRun(name, group, func(cr *consumerRun) (*consumerClient, error) {
		return newOurConsumer(cr, namesrv, l, rec, log)
	})
}

// newOurConsumer starts one incarnation of consumer cr and its poll loop.
func newOurConsumer(cr *consumerRun, namesrv string, l Load, rec *recorder, log *slog.Logger) (*consumerClient, error) {
	name, group := cr.name, cr.group
	opts := litepull.Options{AutoCommit: true}
	opts.Group, opts.NameServers, opts.InstanceName = group, []string{namesrv}, name
	opts.Model, opts.ConsumeFrom = consumer.Clustering, consumer.ConsumeFromFirstOffset
	opts.RebalanceInterval = rebalanceInterval
	c := blocking.NewLitePullConsumer(opts)
	c.Subscribe(l.Topic, "*")
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("consumer %s: %w", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}) // closed when the poll loop ended
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			msgs, err := c.Poll(ctx, pollMax)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("poll", "consumer", name, "err", err)
					time.Sleep(100 * time.Millisecond)
				}
				continue
			}
			for _, m := range msgs {
				key := m.Property(client.PropertyKeys)
				rec.h.Add(history.Op{
					Process: name, Type: history.OK, F: history.FReceive, Time: c.Now().UnixNano(),
					Group: group, Topic: l.Topic, Queue: &history.Queue{Broker: m.BrokerName, ID: m.QueueID},
					Offset: history.Int64(m.QueueOffset), Key: key, MsgID: m.OffsetMsgID,
					BodyDigest: history.Digest(m.Body), Tags: m.Tag(), Reconsume: int(m.ReconsumeTimes),
				})
				cr.received(key)
			}
		}
	}()
	return &consumerClient{
		shutdown: func() {
			cancel()
			<-done
			c.Shutdown()
		},
		// The crash comes first, so nothing is committed after it; the
		// poll loop then ends on its cancelled context.
		kill: func() {
			c.Kill()
			cancel()
			<-done
		},
		applyFault: c.ApplyFault,
	}, nil
}

// rebalanceInterval is the consumers' rebalance period: shorter than
// RocketMQ's 20 s, so a consumer finds the queues of a restarted broker
// within a short run.
const rebalanceInterval = 2 * time.Second

// missing counts the keys of acked that no consumer of cs received.
func missing(acked []string, cs []*consumerRun) int {
	n := 0
	for _, k := range acked {
		found := false
		for _, c := range cs {
			c.mu.Lock()
			found = c.got[k] > 0
			c.mu.Unlock()
			if found {
				break
			}
		}
		if !found {
			n++
		}
	}
	return n
}
