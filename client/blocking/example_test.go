package blocking_test

import (
	"context"
	"fmt"
	"time"

	"rocketsim/client"
	"rocketsim/client/blocking"
	"rocketsim/client/consumer"
	"rocketsim/client/producer"
)

// A producer and a push consumer against a name server at 127.0.0.1:9876
// (compiled, not run: it needs a running cluster).
func Example() {
	p := blocking.NewProducer(producer.Options{Group: "my-producers", NameServers: []string{"127.0.0.1:9876"}}, nil)
	if err := p.Start(); err != nil {
		panic(err)
	}
	defer p.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.Send(ctx, client.NewMessage("Orders", []byte("hello")).WithTag("created").WithKeys("order-1"))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.MsgID, res.Queue, res.QueueOffset)

	// Ordered messages: one sharding key, one queue, consumed in order by
	// an orderly consumer.
	_, _ = p.SendSelect(ctx, client.NewMessage("Orders", []byte("paid")).WithShardingKey("order-1"), producer.Hash{})

	c := blocking.NewPushConsumer(blocking.ConsumerOptions{Options: consumer.Options{
		Group: "my-consumers", NameServers: []string{"127.0.0.1:9876"}, ConsumeFrom: consumer.ConsumeFromFirstOffset}})
	_ = c.Subscribe("Orders", "created || paid", func(ctx context.Context, msgs []*client.MessageExt) consumer.Result {
		for _, m := range msgs {
			fmt.Println(m.MsgID, m.Tag(), string(m.Body))
		}
		return consumer.Success // consumer.RetryLater: redelivered later via %RETRY%my-consumers
	})
	if err := c.Start(); err != nil {
		panic(err)
	}
	defer c.Shutdown()
}
