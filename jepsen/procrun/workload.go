package procrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"rocketsim/client"
	"rocketsim/client/blocking"
	"rocketsim/client/consumer"
	"rocketsim/client/litepull"
	"rocketsim/client/producer"
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
type sendFunc func(ctx context.Context, key string, body []byte) (history.Type, func(*history.Op))

// producerRun is one producer node's client and its send loops.
type producerRun struct {
	name     string
	sendMsg  sendFunc
	shutdown func()
	acks     sync.Map // key -> struct{}: acknowledged sends, to know when the drain is done
}

// consumerRun is one consumer node (or the verifier).
type consumerRun struct {
	name, group string
	shutdown    func()
	mu          sync.Mutex
	got         map[string]int // key -> deliveries
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
// against namesrv.
func startProducer(name, namesrv string, l Load, log *slog.Logger) (*producerRun, error) {
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
	// the client refused before sending.
	send := func(ctx context.Context, key string, b []byte) (history.Type, func(*history.Op)) {
		r, err := p.Send(ctx, client.NewMessage(topic, b).WithKeys(key))
		switch {
		case errors.Is(err, producer.ErrBadMessage):
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
	return &producerRun{name: name, sendMsg: send, shutdown: p.Shutdown}, nil
}

// run sends until stop is closed: Window goroutines, each its own history
// process, each one send at a time.
func (pr *producerRun) run(stop <-chan struct{}, rec *recorder, l Load, session string, wg *sync.WaitGroup) {
	for slot := range l.Window {
		wg.Add(1)
		go func() {
			defer wg.Done()
			process := fmt.Sprintf("%s/%d", pr.name, slot)
			tick := time.NewTicker(l.Interval)
			defer tick.Stop()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				key := fmt.Sprintf("%s-%s-%d-%06d", session, pr.name, slot, seq)
				pr.send(rec, process, key, l)
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

// send sends one message and records it.
func (pr *producerRun) send(rec *recorder, process, key string, l Load) {
	b := body(key, l.Body)
	inv := rec.h.Invoke(history.Op{
		Process: process, F: history.FSend, Time: time.Now().UnixNano(),
		Topic: l.Topic, Key: key, BodyDigest: history.Digest(b),
	})
	// The client's own send timeout bounds the send; the context is a
	// backstop for a client that never answers.
	ctx, cancel := context.WithTimeout(context.Background(), 2*l.Timeout+time.Second)
	t, update := pr.sendMsg(ctx, key, b)
	cancel()
	rec.h.Complete(inv, t, time.Now().UnixNano(), update)
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
	cr := &consumerRun{name: name, group: group, got: map[string]int{}}
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
	cr.shutdown = func() {
		cancel()
		<-done
		c.Shutdown()
	}
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
					Process: name, Type: history.OK, F: history.FReceive, Time: time.Now().UnixNano(),
					Group: group, Topic: l.Topic, Queue: &history.Queue{Broker: m.BrokerName, ID: m.QueueID},
					Offset: history.Int64(m.QueueOffset), Key: key, MsgID: m.OffsetMsgID,
					BodyDigest: history.Digest(m.Body), Tags: m.Tag(), Reconsume: int(m.ReconsumeTimes),
				})
				cr.received(key)
			}
		}
	}()
	return cr, nil
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
