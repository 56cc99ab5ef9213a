package procrun

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"rocketsim/jepsen/history"
	"rocketsim/jepsen/official"
)

// The runner drives either this project's client or the official Go
// client (github.com/apache/rocketmq-client-go/v2), so the brokers are
// judged against the client the world uses too.
const (
	ClientsOurs     = "ours"
	ClientsOfficial = "official"
)

// officialRetries is the official producer's retryTimesWhenSendFailed.
const officialRetries = 2

// quietOfficial turns the official client's global logger down to fatal
// errors (it logs every connection a crash resets as an error): the
// runner's output is its report. verbose keeps its errors.
func quietOfficial(verbose bool) {
	if verbose {
		rlog.SetLogLevel("error")
		return
	}
	rlog.SetLogLevel("fatal")
}

// startOfficialProducer starts producer node name as an official client.
// Its instance name is the node's, so each producer keeps its own name
// server address (its own proxied route).
func startOfficialProducer(name, namesrv string, l Load) (*producerRun, error) {
	return newProducerRun(name, func() (*producerClient, error) { return newOfficialProducer(name, namesrv, l) })
}

// newOfficialProducer starts one official producer; it cannot be killed.
func newOfficialProducer(name, namesrv string, l Load) (*producerClient, error) {
	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{namesrv})),
		producer.WithGroupName("procrun-"+name),
		producer.WithInstanceName(name),
		producer.WithRetry(officialRetries),
		producer.WithSendMsgTimeout(l.Timeout),
	)
	if err != nil {
		return nil, fmt.Errorf("official producer %s: %w", name, err)
	}
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("official producer %s: %w", name, err)
	}
	topic := l.Topic
	send := func(ctx context.Context, key string, b []byte) (history.Type, func(*history.Op)) {
		msg := primitive.NewMessage(topic, b)
		msg.WithKeys([]string{key})
		res, err := p.SendSync(ctx, msg)
		return official.SendCompletion(res, err)
	}
	return &producerClient{send: send, shutdown: func() { _ = p.Shutdown() }}, nil
}

// startOfficialConsumer starts a clustering official push consumer of
// group from the first offset. It consumes orderly: one queue's messages
// reach the listener one batch at a time, in order, so the receives are
// recorded in the order the client hands them over (its concurrent mode
// runs batches on goroutines of their own, and the ordering checker would
// judge the scheduler).
func startOfficialConsumer(name, group, namesrv string, l Load, rec *recorder) (*consumerRun, error) {
	return newConsumerRun(name, group, func(cr *consumerRun) (*consumerClient, error) {
		return newOfficialConsumer(cr, namesrv, l, rec)
	})
}

// newOfficialConsumer starts one official push consumer; it cannot be
// killed.
func newOfficialConsumer(cr *consumerRun, namesrv string, l Load, rec *recorder) (*consumerClient, error) {
	name, group := cr.name, cr.group
	c, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{namesrv})),
		consumer.WithGroupName(group),
		consumer.WithInstance(name),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumerOrder(true),
		consumer.WithRebalanceLockInterval(rebalanceInterval),
	)
	if err != nil {
		return nil, fmt.Errorf("official consumer %s: %w", name, err)
	}
	err = c.Subscribe(l.Topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			op := official.Receive(name, group, m, "", time.Now())
			rec.h.Add(op)
			cr.received(op.Key)
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return nil, fmt.Errorf("official consumer %s: subscribe: %w", name, err)
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("official consumer %s: %w", name, err)
	}
	return &consumerClient{shutdown: func() { _ = c.Shutdown() }}, nil
}
