package server_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"
)

// watchedConsumer is an official push consumer whose current queue
// assignment a test can read, so that it waits for a rebalance to settle
// instead of sleeping.
type watchedConsumer struct {
	rocketmqPushConsumer
	// queues returns the ids of topic's queues the consumer holds a process
	// queue for right now (the client drops a queue's process queue when a
	// rebalance takes the queue away), sorted.
	queues func(topic string) []int
}

// startWatchedConsumer starts a clustering push consumer reading from the
// first offset, its handler recording what arrives in r, and returns it
// with a view of its queue assignment.
func startWatchedConsumer(t *testing.T, c *realCluster, group, instance, topic string, sel consumer.MessageSelector,
	r *received, opts ...consumer.Option) watchedConsumer {
	t.Helper()
	all := append([]consumer.Option{
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName(group),
		consumer.WithInstance(instance),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, opts...)
	pc, err := consumer.NewPushConsumer(all...)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, sel, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		r.add(msgs...)
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	return watchedConsumer{
		rocketmqPushConsumer: pc,
		queues: func(topic string) []int {
			var out []int
			for mq := range pc.GetConsumerRunningInfo(false).MQTable {
				if mq.Topic == topic {
					out = append(out, mq.QueueId)
				}
			}
			slices.Sort(out)
			return out
		},
	}
}

// removeBroadcastOffsets removes, when the test ends, the offset files the
// official client keeps for a broadcasting group (under
// $HOME/.rocketmq_client_go/<group>, or the directory its
// rocketmq.client.localOffsetStoreDir variable names), so that runs leave
// nothing behind that a later run could start from.
func removeBroadcastOffsets(t *testing.T, group string) {
	t.Helper()
	dir := os.Getenv("rocketmq.client.localOffsetStoreDir")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return // nothing to clean: the client has nowhere to write either
		}
		dir = filepath.Join(home, ".rocketmq_client_go")
	}
	require.NotEmpty(t, group)
	t.Cleanup(func() { _ = os.RemoveAll(filepath.Join(dir, group)) })
}
