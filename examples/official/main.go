// Command official sends and consumes messages through our name server and
// broker with the official Go client, github.com/apache/rocketmq-client-go/v2,
// unchanged: the README's walk-through.
//
//	go run ./examples/official -n 127.0.0.1:9876 -topic Demo -count 10
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

func main() {
	nameServers := flag.String("n", "127.0.0.1:9876", "name server addresses, ';'-separated")
	broker := flag.String("b", "127.0.0.1:10911", "broker address, for creating the topic")
	topic := flag.String("topic", "Demo", "topic")
	count := flag.Int("count", 10, "messages to send and receive")
	wait := flag.Duration("wait", 60*time.Second, "how long to wait for the messages to come back")
	flag.Parse()
	rlog.SetLogLevel("error")
	if err := run(strings.Split(*nameServers, ";"), *broker, *topic, *count, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "official:", err)
		os.Exit(1)
	}
}

func run(ns []string, broker, topic string, count int, wait time.Duration) error {
	ctx := context.Background()
	resolver := primitive.NewPassthroughResolver(ns)

	// Create the topic through the official admin API.
	adm, err := admin.NewAdmin(admin.WithResolver(resolver))
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(broker)); err != nil {
		return fmt.Errorf("create topic %s on %s: %w", topic, broker, err)
	}
	_ = adm.Close()

	p, err := producer.NewDefaultProducer(producer.WithNsResolver(resolver), producer.WithRetry(2))
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	if err := p.Start(); err != nil {
		return fmt.Errorf("start producer: %w", err)
	}
	defer func() { _ = p.Shutdown() }()
	sent := map[string]bool{}
	for i := 0; i < count; i++ {
		msg := primitive.NewMessage(topic, []byte(fmt.Sprintf("hello %d", i)))
		msg.WithTag("demo").WithKeys([]string{fmt.Sprintf("key-%d", i)})
		res, err := p.SendSync(ctx, msg)
		if err != nil {
			return fmt.Errorf("send %d: %w", i, err)
		}
		fmt.Printf("sent %s to %s queue %d offset %d\n", res.MsgID, res.MessageQueue.BrokerName, res.MessageQueue.QueueId, res.QueueOffset)
		sent[fmt.Sprintf("hello %d", i)] = true
	}

	var mu sync.Mutex
	got := map[string]bool{}
	done := make(chan struct{})
	c, err := consumer.NewPushConsumer(consumer.WithNsResolver(resolver),
		consumer.WithGroupName("demo-consumers"), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	err = c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "demo"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				fmt.Printf("received %s %q (queue %d offset %d)\n", m.MsgId, m.Body, m.Queue.QueueId, m.QueueOffset)
				if sent[string(m.Body)] && !got[string(m.Body)] {
					got[string(m.Body)] = true
					if len(got) == len(sent) {
						close(done)
					}
				}
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("start consumer: %w", err)
	}
	defer func() { _ = c.Shutdown() }()
	select {
	case <-done:
		fmt.Printf("all %d messages received\n", count)
		return nil
	case <-time.After(wait):
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("received %d of %d messages within %v", len(got), count, wait)
	}
}
