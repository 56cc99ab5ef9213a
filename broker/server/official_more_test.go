package server_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

	"rocketsim/broker/server"
)

func newProducer(t *testing.T, c *realCluster, opts ...producer.Option) interface {
	SendSync(ctx context.Context, msg ...*primitive.Message) (*primitive.SendResult, error)
	SendAsync(ctx context.Context, f func(ctx context.Context, result *primitive.SendResult, err error), msg ...*primitive.Message) error
	SendOneWay(ctx context.Context, msg ...*primitive.Message) error
	Shutdown() error
} {
	t.Helper()
	all := append([]producer.Option{
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		producer.WithGroupName("pg"),
		producer.WithRetry(2),
	}, opts...)
	p, err := producer.NewDefaultProducer(all...)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// createTopic creates a topic through the official admin API.
func createTopic(t *testing.T, c *realCluster, topic string, queues int) {
	t.Helper()
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})))
	require.NoError(t, err)
	defer adm.Close()
	require.NoError(t, adm.CreateTopic(context.Background(), admin.WithTopicCreate(topic),
		admin.WithBrokerAddrCreate(c.broker.Addr()), admin.WithReadQueueNums(queues), admin.WithWriteQueueNums(queues)))
	waitFor(t, 20*time.Second, func() bool {
		return onBroker(c, func(b *server.Broker) bool { _, ok := b.Topics().Get(topic); return ok }) && c.routed(topic)
	}, "the topic to exist and be routed")
}

func newReceived() *received { return &received{msgs: map[string]*primitive.MessageExt{}} }

// TestOfficialAsyncOnewayBatchAndAdmin: a topic made with the admin API,
// then async, oneway and batch sends; a push consumer receives them all.
func TestOfficialAsyncOnewayBatchAndAdmin(t *testing.T) {
	c := startRealCluster(t, nil)
	createTopic(t, c, "Modes", 2)
	p := newProducer(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	var mu sync.Mutex
	var asyncErrs []error
	for i := 0; i < 10; i++ {
		wg.Add(1)
		require.NoError(t, p.SendAsync(ctx, func(_ context.Context, res *primitive.SendResult, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err == nil && res.Status != primitive.SendOK {
				err = context.Canceled
			}
			if err != nil {
				asyncErrs = append(asyncErrs, err)
			}
		}, primitive.NewMessage("Modes", []byte("async-"+strconv.Itoa(i)))))
	}
	wg.Wait()
	require.Empty(t, asyncErrs)
	for i := 0; i < 5; i++ {
		require.NoError(t, p.SendOneWay(ctx, primitive.NewMessage("Modes", []byte("oneway-"+strconv.Itoa(i)))))
	}
	var batch []*primitive.Message
	for i := 0; i < 8; i++ {
		batch = append(batch, primitive.NewMessage("Modes", []byte("batch-"+strconv.Itoa(i))))
	}
	res, err := p.SendSync(ctx, batch...)
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)

	r := newReceived()
	pc := startPushConsumer(t, c, "modes-g", "m1", "Modes", consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, r)
	defer pc.Shutdown()
	waitFor(t, 30*time.Second, func() bool { d, _ := r.count(); return d == 23 }, "23 messages")
	for _, want := range []string{"async-9", "oneway-4", "batch-0", "batch-7"} {
		require.NotNil(t, r.msgs[want], want)
	}
}

// TestOfficialTagAndSQL92Filters: the broker filters by tag and by SQL92
// over user properties; each consumer receives exactly its messages.
func TestOfficialTagAndSQL92Filters(t *testing.T) {
	c := startRealCluster(t, nil)
	createTopic(t, c, "Filt", 2)
	p := newProducer(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < 20; i++ {
		m := primitive.NewMessage("Filt", []byte("f-"+strconv.Itoa(i)))
		m.WithTag([]string{"tagA", "tagB", "tagC", "tagD"}[i%4])
		m.WithProperty("a", strconv.Itoa(i))
		_, err := p.SendSync(ctx, m)
		require.NoError(t, err)
	}
	tags, sql := newReceived(), newReceived()
	pt := startPushConsumer(t, c, "tag-g", "t1", "Filt", consumer.MessageSelector{Type: consumer.TAG, Expression: "tagA || tagC"}, tags)
	defer pt.Shutdown()
	ps := startPushConsumer(t, c, "sql-g", "s1", "Filt", consumer.MessageSelector{Type: consumer.SQL92, Expression: "a >= 10 AND a < 15"}, sql)
	defer ps.Shutdown()
	waitFor(t, 30*time.Second, func() bool {
		d1, _ := tags.count()
		d2, _ := sql.count()
		return d1 == 10 && d2 == 5
	}, "10 tag matches and 5 SQL92 matches")
	time.Sleep(300 * time.Millisecond)
	d1, _ := tags.count()
	d2, _ := sql.count()
	require.Equal(t, 10, d1)
	require.Equal(t, 5, d2)
	for i := 10; i < 15; i++ {
		require.NotNil(t, sql.msgs["f-"+strconv.Itoa(i)])
	}
	for body, m := range tags.msgs {
		require.Contains(t, []string{"tagA", "tagC"}, m.GetTags(), body)
	}
}

// TestOfficialOrderlyBySharding: messages hashed to queues by sharding key
// are consumed by an orderly consumer (queue locks) in send order per key.
func TestOfficialOrderlyBySharding(t *testing.T) {
	c := startRealCluster(t, nil)
	createTopic(t, c, "Ord", 4)
	p := newProducer(t, c, producer.WithQueueSelector(producer.NewHashQueueSelector()))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const keys, per = 5, 12
	for i := 0; i < per; i++ {
		for k := 0; k < keys; k++ {
			m := primitive.NewMessage("Ord", []byte("k"+strconv.Itoa(k)+"-"+strconv.Itoa(i)))
			m.WithShardingKey("key" + strconv.Itoa(k))
			_, err := p.SendSync(ctx, m)
			require.NoError(t, err)
		}
	}
	var mu sync.Mutex
	seen := map[int][]int{}
	total := 0
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName("ord-g"), consumer.WithInstance("o1"),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumerOrder(true),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe("Ord", consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			var k, i int
			body := string(m.Body)
			for j := 1; j < len(body); j++ {
				if body[j] == '-' {
					k, _ = strconv.Atoi(body[1:j])
					i, _ = strconv.Atoi(body[j+1:])
				}
			}
			seen[k] = append(seen[k], i)
			total++
		}
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	defer pc.Shutdown()
	waitFor(t, 40*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return total >= keys*per }, "every ordered message")
	mu.Lock()
	defer mu.Unlock()
	for k := 0; k < keys; k++ {
		want := make([]int, per)
		for i := range want {
			want[i] = i
		}
		require.Equal(t, want, seen[k], "key %d in send order, each once", k)
	}
	held := onBroker(c, func(b *server.Broker) int64 { return b.Stats().PullsHeld })
	require.Positive(t, held, "the orderly consumer long-polls too")
}

// TestOfficialClusteringSharesAndBroadcastingCopies: two instances of a
// clustering group split the queues and together receive each message
// once; two broadcasting instances each receive every message.
//
// It once timed out at 30 s. The cause was state outside the test: the
// official client keeps broadcasting offsets in a file under $HOME keyed by
// group and client id, and the group name was fixed, so a later run (or
// -count=N) started its broadcasting instances at the previous run's
// offsets (10 per queue) against a fresh, empty broker. The broker answers
// such a pull OFFSET_MOVED, as Java's does; the client then sleeps 10 s,
// drops the queue and takes it up again only at its next periodic
// rebalance (every 20 s): a stall of 10 to 30 s, past the wait on a slow
// machine. Each run now uses a fresh broadcasting group and removes its
// offset files afterwards. The one timing assumption left, a 1 s sleep for
// the clustering instances to rebalance onto their halves (a late rebalance
// would show as duplicates, not as a time-out), is replaced by waiting for
// the clients' own queue assignments to be the split.
func TestOfficialClusteringSharesAndBroadcastingCopies(t *testing.T) {
	c := startRealCluster(t, nil)
	createTopic(t, c, "Share", 4)
	a, b := newReceived(), newReceived()
	pa := startWatchedConsumer(t, c, "share-g", "a", "Share", consumer.MessageSelector{}, a)
	defer pa.Shutdown()
	pb := startWatchedConsumer(t, c, "share-g", "b", "Share", consumer.MessageSelector{}, b)
	defer pb.Shutdown()
	ba, bb := newReceived(), newReceived()
	bcast := "bcast-g-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	removeBroadcastOffsets(t, bcast)
	bca := startWatchedConsumer(t, c, bcast, "ba", "Share", consumer.MessageSelector{}, ba, consumer.WithConsumerModel(consumer.BroadCasting))
	defer bca.Shutdown()
	bcb := startWatchedConsumer(t, c, bcast, "bb", "Share", consumer.MessageSelector{}, bb, consumer.WithConsumerModel(consumer.BroadCasting))
	defer bcb.Shutdown()
	// Both clustering members must be known to the broker and each must
	// hold only its half before sending, so the split is visible: the
	// broker tells them of each other (NOTIFY_CONSUMER_IDS_CHANGED) and
	// they rebalance; without the notification they would within 20 s.
	all := []int{0, 1, 2, 3}
	assignment := func() string {
		return fmt.Sprintf("a %v b %v ba %v bb %v", pa.queues("Share"), pb.queues("Share"), bca.queues("Share"), bcb.queues("Share"))
	}
	waitFor(t, 45*time.Second, func() bool {
		members := onBroker(c, func(b *server.Broker) bool {
			g, ok := b.Clients().Consumer("share-g")
			return ok && len(g.ClientIDs()) == 2
		})
		qa, qb := pa.queues("Share"), pb.queues("Share")
		split := len(qa) > 0 && len(qb) > 0 && slices.Equal(slices.Sorted(slices.Values(append(slices.Clone(qa), qb...))), all)
		return members && split && slices.Equal(bca.queues("Share"), all) && slices.Equal(bcb.queues("Share"), all)
	}, "the clustering instances to split the queues and the broadcasting ones to hold all")
	t.Logf("assignment: %s", assignment())

	p := newProducer(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 40
	for i := 0; i < n; i++ {
		_, err := p.SendSync(ctx, primitive.NewMessage("Share", []byte("s-"+strconv.Itoa(i))))
		require.NoError(t, err)
	}
	const limit = 60 * time.Second
	deadline := time.Now().Add(limit)
	for {
		da, _ := a.count()
		db, _ := b.count()
		x, _ := ba.count()
		y, _ := bb.count()
		if da+db >= n && x == n && y == n {
			break
		}
		if time.Now().After(deadline) {
			diag := onBroker(c, func(br *server.Broker) string {
				var s string
				for _, g := range []string{"share-g", bcast} {
					cg, _ := br.Clients().Consumer(g)
					var ids []string
					if cg != nil {
						ids = cg.ClientIDs()
					}
					s += fmt.Sprintf("%s ids %v offsets %v; ", g, ids, br.Offsets().Queues(g, "Share"))
				}
				var maxes []int64
				for q := int32(0); q < 4; q++ {
					maxes = append(maxes, br.Store().MaxOffsetInQueue("Share", q))
				}
				return s + fmt.Sprintf("max %v held %d stats %+v", maxes, br.HeldPulls(), br.Stats())
			})
			t.Fatalf("after %v: a %d b %d ba %d bb %d; %s; %s", limit, da, db, x, y, assignment(), diag)
		}
		time.Sleep(50 * time.Millisecond)
	}
	da, ta := a.count()
	db, tb := b.count()
	require.Positive(t, da, "instance a got a share")
	require.Positive(t, db, "instance b got a share")
	require.Equal(t, n, ta+tb, "each message once across the clustering group")
	for i := 0; i < n; i++ {
		k := "s-" + strconv.Itoa(i)
		require.True(t, (a.msgs[k] != nil) != (b.msgs[k] != nil), "%s in exactly one instance", k)
	}
	_, tx := ba.count()
	_, ty := bb.count()
	require.Equal(t, n, tx, "broadcasting instance ba got each message once")
	require.Equal(t, n, ty, "broadcasting instance bb got each message once")
}

// TestOfficialRetryAfterFailure: a message the listener fails once comes
// back through CONSUMER_SEND_MSG_BACK, the delay levels and %RETRY%, with
// its original topic and a reconsume count.
func TestOfficialRetryAfterFailure(t *testing.T) {
	c := startRealCluster(t, map[string]string{"messageDelayLevel": "1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"})
	createTopic(t, c, "Retry", 1)
	// The client looks up its retry topic's route at start and then every
	// 30 s; the broker creates the topic on the first heartbeat, after that
	// lookup. A group that ran before has it; make this one look like that.
	createTopic(t, c, "%RETRY%retry-g", 1)
	var mu sync.Mutex
	var deliveries []*primitive.MessageExt
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName("retry-g"), consumer.WithInstance("r1"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe("Retry", consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		deliveries = append(deliveries, msgs...)
		if len(deliveries) == 1 {
			return consumer.ConsumeRetryLater, nil
		}
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	defer pc.Shutdown()
	p := newProducer(t, c)
	_, err = p.SendSync(context.Background(), primitive.NewMessage("Retry", []byte("flaky")))
	require.NoError(t, err)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(deliveries)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			diag := onBroker(c, func(b *server.Broker) string {
				st := b.Store()
				g, _ := b.Clients().Consumer("retry-g")
				var subs []string
				if g != nil {
					subs = g.Topics()
				}
				return fmt.Sprintf("retry max %d, schedule %v, offsets %v, subs %v, held %d, stats %+v",
					st.MaxOffsetInQueue("%RETRY%retry-g", 0), b.Schedule().Offsets(),
					b.Offsets().Queues("retry-g", "%RETRY%retry-g"), subs, b.HeldPulls(), b.Stats())
			})
			t.Fatalf("no redelivery after 30 s (%d deliveries): %s", n, diag)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, "flaky", string(deliveries[1].Body))
	require.Equal(t, "Retry", deliveries[1].Topic, "the client restores the original topic from RETRY_TOPIC")
	require.Equal(t, int32(1), deliveries[1].ReconsumeTimes)
}

// TestOfficialBrokerRestartKeepsMessagesAndOffsets: a broker stopped and
// started again on its data directory keeps every acknowledged message, the
// topic and the group's committed offsets; the consumer, which reconnects by
// itself, receives what was sent before and after, and nothing twice after
// the restart.
func TestOfficialBrokerRestartKeepsMessagesAndOffsets(t *testing.T) {
	c := startRealCluster(t, nil)
	createTopic(t, c, "Restart", 2)
	p := newProducer(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	send := func(from, to int) {
		for i := from; i < to; i++ {
			res, err := p.SendSync(ctx, primitive.NewMessage("Restart", []byte("r-"+strconv.Itoa(i))))
			require.NoError(t, err, "send %d", i)
			require.Equal(t, primitive.SendOK, res.Status)
		}
	}
	send(0, 10)
	r := newReceived()
	pc := startPushConsumer(t, c, "restart-g", "r1", "Restart", consumer.MessageSelector{}, r)
	defer pc.Shutdown()
	waitFor(t, 30*time.Second, func() bool { d, _ := r.count(); return d == 10 }, "the first 10")
	// Let the consumer's offsets reach the broker (every 5 s) and be
	// persisted by the graceful stop.
	waitFor(t, 15*time.Second, func() bool {
		return onBroker(c, func(b *server.Broker) bool {
			var sum int64
			for _, off := range b.Offsets().Queues("restart-g", "Restart") {
				sum += off
			}
			return sum == 10
		})
	}, "offsets committed")

	c.restartBroker(t)
	require.True(t, onBroker(c, func(b *server.Broker) bool {
		_, ok := b.Topics().Get("Restart")
		var sum int64
		for _, off := range b.Offsets().Queues("restart-g", "Restart") {
			sum += off
		}
		return ok && sum == 10 && b.Store().MaxOffsetInQueue("Restart", 0)+b.Store().MaxOffsetInQueue("Restart", 1) == 10
	}), "topic, offsets and messages survive the restart")

	send(10, 20)
	waitFor(t, 60*time.Second, func() bool { d, _ := r.count(); return d == 20 }, "the 10 sent after the restart")
	_, total := r.count()
	require.Equal(t, 20, total, "nothing redelivered: offsets were committed before the restart")
}
