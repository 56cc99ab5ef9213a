package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"rocketsim/client"
	"rocketsim/client/admin"
	"rocketsim/client/blocking"
	"rocketsim/client/consumer"
	"rocketsim/client/litepull"
	"rocketsim/client/producer"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// ours drives our broker with the project's own blocking clients: one
// producer shared by every publisher goroutine (as an application shares
// one DefaultMQProducer among its threads) and a lite pull consumer per
// drain.
type ours struct {
	nameServer string
	broker     string
	durable    bool
	queues     int
	pollMax    int
	admin      *blocking.Admin
	prod       *blocking.Producer
	run        string // makes topic and group names unique per process
	// core, when set, takes PublishAsync: the event-driven producer core
	// on a realrt runtime of its own, driven without the blocking facade,
	// to tell the facade's cost from the core's (-async-core).
	core *coreProducer
}

// coreProducer is client/producer's core on its own real runtime.
type coreProducer struct {
	rt   *realrt.Runtime
	core *producer.Producer
}

type coreNode struct{ p *producer.Producer }

func (n coreNode) Stop() { n.p.Shutdown() }

func startCoreProducer(opts producer.Options) (*coreProducer, error) {
	c := &coreProducer{rt: realrt.New("bench-core-producer", realrt.Options{Logger: quietLog})}
	err := c.rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		p, err := producer.New(r, opts)
		if err != nil {
			return nil, err
		}
		p.Start()
		c.core = p
		return coreNode{p}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("core producer: %w", err)
	}
	return c, nil
}

// quietLog drops the clients' logs: a benchmark prints only its table.
var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// newOurs connects to the name server and broker at addr ("ns broker", as
// the child announces them).
func newOurs(addr string, durable bool, queues, pollMax int, run string, asyncCore bool) (*ours, error) {
	ns, broker, ok := strings.Cut(addr, " ")
	if !ok {
		return nil, fmt.Errorf("rocketmq child announced %q, want \"namesrv broker\"", addr)
	}
	a, err := blocking.NewAdmin([]string{ns})
	if err != nil {
		return nil, err
	}
	opts := producer.Options{
		Group:       "bench-producers-" + run,
		NameServers: []string{ns},
	}
	p := blocking.NewProducer(opts, quietLog)
	if err := p.Start(); err != nil {
		a.Close()
		return nil, err
	}
	o := &ours{nameServer: ns, broker: broker, durable: durable, queues: queues, pollMax: pollMax, admin: a, prod: p, run: run}
	if asyncCore {
		opts.Group += "-core"
		opts.ClientIP, opts.PID = "127.0.0.1", os.Getpid()
		if o.core, err = startCoreProducer(opts); err != nil {
			o.Close()
			return nil, err
		}
	}
	return o, nil
}

func (o *ours) Name() string { return "ours" }

func (o *ours) Durability() string {
	if o.durable {
		return "SYNC_FLUSH"
	}
	return "ASYNC_FLUSH"
}

// routeWaitMax bounds how long a new topic may take to reach the name
// server (the broker registers it at once; this covers a slow machine).
const routeWaitMax = 10 * time.Second

func (o *ours) NewDestination(ctx context.Context, try int) (string, error) {
	topic := fmt.Sprintf("Bench_%s_%d", o.run, try)
	err := o.admin.CreateTopic(ctx, o.broker, admin.TopicConfig{Topic: topic, ReadQueueNums: o.queues, WriteQueueNums: o.queues})
	if err != nil {
		return "", fmt.Errorf("create topic %s: %w", topic, err)
	}
	// Wait until the name server routes the topic, so that the timed
	// part does not include the broker's registration.
	deadline := time.Now().Add(routeWaitMax)
	for {
		topics, err := o.admin.Topics(ctx)
		if err == nil && contains(topics, topic) {
			return topic, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("topic %s not on the name server within %v (last error: %v)", topic, routeWaitMax, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (o *ours) Publish(ctx context.Context, dest string, body []byte) error {
	res, err := o.prod.Send(ctx, client.NewMessage(dest, body))
	if err != nil {
		return err
	}
	if res.Status != producer.SendOK {
		return fmt.Errorf("send: status %v", res.Status)
	}
	return nil
}

func (o *ours) PublishAsync(dest string, body []byte, done func(error)) error {
	if o.core != nil {
		// done runs on the core's loop; the workload's callback does not
		// block.
		msg := client.NewMessage(dest, body)
		if !o.core.rt.TryPost(func() {
			o.core.core.Send(msg, func(res *producer.SendResult, err error) {
				if err == nil && res.Status != producer.SendOK {
					err = fmt.Errorf("send: status %v", res.Status)
				}
				done(err)
			})
		}) {
			return fmt.Errorf("send: core producer stopped")
		}
		return nil
	}
	return o.prod.SendAsync(client.NewMessage(dest, body), func(res *producer.SendResult, err error) {
		if err == nil && res.Status != producer.SendOK {
			err = fmt.Errorf("send: status %v", res.Status)
		}
		done(err)
	})
}

func (o *ours) Drain(ctx context.Context, dest string, want int, got func([]byte)) error {
	c := blocking.NewLitePullConsumer(litepull.Options{
		Options: consumer.Options{
			Group:       "bench-drain-" + dest,
			NameServers: []string{o.nameServer},
			ConsumeFrom: consumer.ConsumeFromFirstOffset,
		},
		AutoCommit: true,
	})
	c.Subscribe(dest, "*")
	if err := c.Start(); err != nil {
		return err
	}
	defer c.Shutdown()
	n := 0
	for n < want {
		msgs, err := c.Poll(ctx, o.pollMax)
		if err != nil {
			return fmt.Errorf("poll after %d of %d messages: %w", n, want, err)
		}
		for _, m := range msgs {
			got(m.Body)
		}
		n += len(msgs)
	}
	return nil
}

func (o *ours) Close() {
	if o.core != nil {
		o.core.rt.Stop()
	}
	o.prod.Shutdown()
	o.admin.Close()
}
