package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/blocking"
	ourconsumer "rocketsim/client/consumer"
	ourproducer "rocketsim/client/producer"
)

// killClient is the client library a kill flow drives: the official
// rocketmq-client-go or ours (client/blocking), so that the same flow and
// judgement cover both.
type killClient interface {
	// send sends body to killTopic synchronously (with the library's
	// retries), with key (KEYS, indexed by the broker) and delay level
	// delay (0 for none), and returns where the broker put it when it
	// answered SEND_OK, or an error otherwise.
	send(ctx context.Context, body []byte, key string, delay int) (placement, error)
	// consume starts a clustering push consumer, instance of group, from
	// the first offset, calling deliver with each message's body and
	// placement; it returns a shutdown that commits offsets (idempotent).
	consume(t *testing.T, group, instance string, deliver func(body string, at placement)) (shutdown func())
}

// Client bounds shared by both libraries.
const (
	killRetries        = 2               // retryTimesWhenSendFailed
	killRequestTimeout = 2 * time.Second // one send request
	// killHeartbeat is our consumer's heartbeat interval: a restarted
	// broker refuses a group's pulls until its next heartbeat.
	killHeartbeat = time.Second
)

// officialClient is github.com/apache/rocketmq-client-go/v2.
type officialClient struct {
	nsAddr string
	p      interface {
		SendSync(ctx context.Context, msg ...*primitive.Message) (*primitive.SendResult, error)
	}
}

func newOfficialClient(t *testing.T, nsAddr string) killClient {
	t.Helper()
	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{nsAddr})),
		producer.WithGroupName("kill-pg"),
		producer.WithRetry(killRetries),
		producer.WithSendMsgTimeout(killRequestTimeout),
	)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	t.Cleanup(func() { _ = p.Shutdown() })
	return &officialClient{nsAddr: nsAddr, p: p}
}

func (c *officialClient) send(ctx context.Context, body []byte, key string, delay int) (placement, error) {
	msg := primitive.NewMessage(killTopic, body)
	msg.WithKeys([]string{key})
	if delay > 0 {
		msg.WithDelayTimeLevel(delay)
	}
	res, err := c.p.SendSync(ctx, msg)
	if err != nil {
		return placement{}, err
	}
	if res.Status != primitive.SendOK {
		return placement{}, fmt.Errorf("send status %v", res.Status)
	}
	return placement{res.OffsetMsgID, res.MessageQueue.QueueId, res.QueueOffset}, nil
}

func (c *officialClient) consume(t *testing.T, group, instance string, deliver func(string, placement)) func() {
	t.Helper()
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName(group),
		consumer.WithInstance(instance),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(killTopic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			deliver(string(m.Body), placement{m.OffsetMsgId, m.Queue.QueueId, m.QueueOffset})
		}
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	return sync.OnceFunc(func() { _ = pc.Shutdown() })
}

// ourClient is rocketsim/client through its blocking facade.
type ourClient struct {
	nsAddr string
	p      *blocking.Producer
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newOurClient(t *testing.T, nsAddr string) killClient {
	t.Helper()
	p := blocking.NewProducer(ourproducer.Options{
		Group: "kill-pg", NameServers: []string{nsAddr},
		SendTimeout: killRequestTimeout, RetryTimes: killRetries,
	}, quietLog())
	require.NoError(t, p.Start())
	t.Cleanup(p.Shutdown)
	return &ourClient{nsAddr: nsAddr, p: p}
}

func (c *ourClient) send(ctx context.Context, body []byte, key string, delay int) (placement, error) {
	msg := client.NewMessage(killTopic, body).WithKeys(key)
	if delay > 0 {
		msg.WithDelayLevel(delay)
	}
	res, err := c.p.Send(ctx, msg)
	if err != nil {
		return placement{}, err
	}
	if res.Status != ourproducer.SendOK {
		return placement{}, fmt.Errorf("send status %v", res.Status)
	}
	return placement{res.OffsetMsgID, res.Queue.QueueID, res.QueueOffset}, nil
}

func (c *ourClient) consume(t *testing.T, group, instance string, deliver func(string, placement)) func() {
	t.Helper()
	pc := blocking.NewPushConsumer(blocking.ConsumerOptions{Options: ourconsumer.Options{
		Group: group, NameServers: []string{c.nsAddr}, InstanceName: instance,
		Model: ourconsumer.Clustering, ConsumeFrom: ourconsumer.ConsumeFromFirstOffset,
		HeartbeatInterval: killHeartbeat,
	}, Log: quietLog()})
	require.NoError(t, pc.Subscribe(killTopic, "*", func(_ context.Context, msgs []*client.MessageExt) ourconsumer.Result {
		for _, m := range msgs {
			deliver(string(m.Body), placement{m.OffsetMsgID, m.QueueID, m.QueueOffset})
		}
		return ourconsumer.Success
	}))
	require.NoError(t, pc.Start())
	return sync.OnceFunc(pc.Shutdown)
}
