package blocking_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/blocking"
	"rocketsim/client/consumer"
	"rocketsim/client/litepull"
	"rocketsim/client/producer"
	"rocketsim/faults"
)

// TestKilledConsumerIsRedeliveredWhatItDidNotCommit consumes every message
// with a consumer whose periodic persist never runs, kills it, and starts a
// new consumer of the same group: the broker still has the old committed
// offsets, so the new one receives the messages again. A consumer shut down
// gracefully instead commits, and its successor receives nothing.
func TestKilledConsumerIsRedeliveredWhatItDidNotCommit(t *testing.T) {
	nsAddr := startCluster(t)
	p := startProducer(t, nsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 20
	sent := map[string]bool{}
	for i := range n {
		r, err := p.Send(ctx, client.NewMessage("K", []byte("m"+strconv.Itoa(i))))
		require.NoError(t, err)
		sent[r.MsgID] = true
	}

	// run starts a consumer of group and returns it with a counter of the
	// distinct sent messages it received.
	run := func(group string) (*blocking.PushConsumer, func() int) {
		c := blocking.NewPushConsumer(blocking.ConsumerOptions{Options: consumer.Options{
			Group: group, NameServers: []string{nsAddr}, ConsumeFrom: consumer.ConsumeFromFirstOffset,
			// Only a pull's commitOffset or Shutdown can commit; the pull
			// that follows the last batch waits at the broker with the
			// offsets from before it was consumed.
			PersistInterval: time.Hour,
		}})
		var mu sync.Mutex
		got := map[string]bool{}
		require.NoError(t, c.Subscribe("K", "*", func(_ context.Context, msgs []*client.MessageExt) consumer.Result {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				if sent[m.MsgID] {
					got[m.MsgID] = true
				}
			}
			return consumer.Success
		}))
		require.NoError(t, c.Start())
		return c, func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	}

	first, count := run("killed")
	require.Eventually(t, func() bool { return count() == n }, 20*time.Second, 20*time.Millisecond)
	first.Kill()
	first.Kill() // idempotent
	first.Shutdown()

	second, count2 := run("killed")
	defer second.Shutdown()
	require.Eventually(t, func() bool { return count2() == n }, 20*time.Second, 20*time.Millisecond,
		"the new consumer must be redelivered what the killed one consumed but never committed")

	graceful, count3 := run("graceful")
	require.Eventually(t, func() bool { return count3() == n }, 20*time.Second, 20*time.Millisecond)
	graceful.Shutdown()
	after, count4 := run("graceful")
	defer after.Shutdown()
	time.Sleep(2 * time.Second) // a rebalance and a round of pulls
	require.Zero(t, count4(), "Shutdown commits: its successor must get nothing again")
}

// TestKilledProducersPendingSendsFail points a producer at a name server
// that accepts and never answers, so its sends wait for a route; Kill must
// end every one of them with ErrStopped before their own timeouts.
func TestKilledProducersPendingSendsFail(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var conns []net.Conn
	var connsMu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
		}
	}()
	defer func() {
		connsMu.Lock()
		defer connsMu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()

	p := blocking.NewProducer(producer.Options{Group: "pk", NameServers: []string{ln.Addr().String()},
		SendTimeout: time.Minute}, nil)
	require.NoError(t, p.Start())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	syncErr := make(chan error, 1)
	go func() {
		_, err := p.Send(ctx, client.NewMessage("K", []byte("lost")))
		syncErr <- err
	}()
	asyncErr := make(chan error, 1)
	require.NoError(t, p.SendAsync(client.NewMessage("K", []byte("lost too")), func(_ *producer.SendResult, err error) {
		asyncErr <- err
	}))
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-syncErr:
		t.Fatalf("Send ended before Kill: %v", err)
	default:
	}
	start := time.Now()
	p.Kill()
	for _, ch := range []chan error{syncErr, asyncErr} {
		select {
		case err := <-ch:
			require.True(t, errors.Is(err, blocking.ErrStopped), "got %v, want ErrStopped", err)
		case <-time.After(5 * time.Second):
			t.Fatal("a pending send did not end after Kill")
		}
	}
	require.Less(t, time.Since(start), 5*time.Second)
	_, err = p.Send(ctx, client.NewMessage("K", []byte("after")))
	require.ErrorIs(t, err, blocking.ErrNotStarted)
}

// A clock fault applied to a producer moves its clock and the born
// timestamps it stamps; a killed producer takes no more faults.
func TestProducerClockFault(t *testing.T) {
	nsAddr := startCluster(t)
	p := blocking.NewProducer(producer.Options{Group: "pclock", NameServers: []string{nsAddr}}, nil)
	require.NoError(t, p.Start())
	const offset = time.Hour
	require.NoError(t, p.ApplyFault(faults.Fault{Kind: faults.ClockOffset, Offset: offset, Nodes: []string{"producer-1"}}))
	require.InDelta(t, float64(offset), float64(time.Until(p.Now())), float64(time.Minute))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.Send(ctx, client.NewMessage("Clock", []byte("skewed")))
	require.NoError(t, err)
	l := blocking.NewLitePullConsumer(litepull.Options{Options: consumer.Options{
		Group: "clock-reader", NameServers: []string{nsAddr}, ConsumeFrom: consumer.ConsumeFromFirstOffset}})
	l.Subscribe("Clock", "*")
	require.NoError(t, l.Start())
	defer l.Shutdown()
	msgs, err := l.Poll(ctx, 1)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	born := time.UnixMilli(msgs[0].BornTimestamp)
	require.InDelta(t, float64(offset), float64(time.Until(born)), float64(time.Minute), "born %v", born)

	p.Kill()
	require.ErrorIs(t, p.ApplyFault(faults.Fault{Kind: faults.ClockJump, By: time.Second}), blocking.ErrNotStarted)
}
