package blocking_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	official "github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	officialproducer "github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/blocking"
	"rocketsim/client/consumer"
)

// Our producer's messages, compressed ones included, reach the official
// push consumer with the same ids, bodies, tags and keys.
func TestOfficialConsumerReadsOurProducer(t *testing.T) {
	rlog.SetLogLevel("error")
	nsAddr := startCluster(t)
	p := startProducer(t, nsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	big := bytes.Repeat([]byte("0123456789"), 1000)
	want := map[string]*client.Message{}
	for i := 0; i < 30; i++ {
		body := []byte("ours-" + strconv.Itoa(i))
		if i == 7 {
			body = big
		}
		m := client.NewMessage("Compat1", body).WithTag("t" + strconv.Itoa(i%3)).WithKeys("k" + strconv.Itoa(i))
		r, err := p.Send(ctx, m)
		require.NoError(t, err)
		want[r.MsgID] = m
	}
	batch := []*client.Message{
		client.NewMessage("Compat1", []byte("batch-0")).WithTag("b"),
		client.NewMessage("Compat1", []byte("batch-1")).WithTag("b").WithKeys("bk"),
	}
	br, err := p.SendBatch(ctx, batch)
	require.NoError(t, err)
	for i, id := range splitIDs(br.MsgID) {
		want[id] = batch[i]
	}

	var mu sync.Mutex
	got := map[string]*primitive.MessageExt{}
	pc, err := official.NewPushConsumer(
		official.WithNsResolver(primitive.NewPassthroughResolver([]string{nsAddr})),
		official.WithGroupName("official-cg"),
		official.WithConsumerModel(official.Clustering),
		official.WithConsumeFromWhere(official.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe("Compat1", official.MessageSelector{Type: official.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (official.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				got[m.MsgId] = m
			}
			return official.ConsumeSuccess, nil
		}))
	require.NoError(t, pc.Start())
	defer pc.Shutdown()
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == len(want)
	}, 40*time.Second, 50*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for id, m := range want {
		g := got[id]
		require.NotNil(t, g, "message %s", id)
		require.Equal(t, m.Body, g.Body)
		require.Equal(t, m.Tag(), g.GetTags())
		require.Equal(t, m.Property(client.PropertyKeys), g.GetKeys())
	}
}

// The official producer's messages reach our push consumer with the same
// ids and bodies.
func TestOurConsumerReadsOfficialProducer(t *testing.T) {
	rlog.SetLogLevel("error")
	nsAddr := startCluster(t)
	op, err := officialproducer.NewDefaultProducer(
		officialproducer.WithNsResolver(primitive.NewPassthroughResolver([]string{nsAddr})),
		officialproducer.WithGroupName("official-pg"),
	)
	require.NoError(t, err)
	require.NoError(t, op.Start())
	defer op.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := map[string]string{}
	for i := 0; i < 30; i++ {
		body := "theirs-" + strconv.Itoa(i)
		if i == 3 { // over 4 KiB: the official producer compresses it
			body = strings.Repeat("large ", 2000)
		}
		m := primitive.NewMessage("Compat2", []byte(body))
		m.WithTag("x")
		r, err := op.SendSync(ctx, m)
		require.NoError(t, err)
		want[r.MsgID] = body
	}
	batch := []*primitive.Message{primitive.NewMessage("Compat2", []byte("tb-0")), primitive.NewMessage("Compat2", []byte("tb-1"))}
	for _, m := range batch {
		m.WithTag("x")
	}
	if _, err := op.SendSync(ctx, batch...); err != nil {
		t.Fatalf("official batch: %v", err)
	}
	wantBodies := 32

	c := blocking.NewPushConsumer(blocking.ConsumerOptions{Options: consumer.Options{
		Group: "ours-cg", NameServers: []string{nsAddr}, ConsumeFrom: consumer.ConsumeFromFirstOffset}})
	var mu sync.Mutex
	got := map[string]string{}
	require.NoError(t, c.Subscribe("Compat2", "x", func(_ context.Context, msgs []*client.MessageExt) consumer.Result {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			got[m.MsgID] = string(m.Body)
		}
		return consumer.Success
	}))
	require.NoError(t, c.Start())
	defer c.Shutdown()
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == wantBodies
	}, 30*time.Second, 50*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for id, body := range want {
		require.Equal(t, body, got[id], "message %s", id)
	}
	bodies := map[string]bool{}
	for _, b := range got {
		bodies[b] = true
	}
	require.True(t, bodies["tb-0"] && bodies["tb-1"], "the official batch arrives")
}
