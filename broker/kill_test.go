package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"

	nsserver "rocketsim/namesrv/server"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// Bounds of TestKill9KeepsAcknowledgedMessages. The waits are generous
// because the machine is shared; the counts keep the whole test near 20 s.
const (
	killProducers      = 4                // goroutines sending concurrently through one official producer
	killAcksBefore     = 400              // acknowledged sends before the SIGKILL
	killAcksAfter      = 200              // further acknowledged sends after the restart
	killMinFailures    = killProducers    // failed sends to see while the broker is down
	killBodyPad        = 512              // body bytes, so that the small segments roll
	killRequestTimeout = 2 * time.Second  // one send request; the client retries twice
	killSendTimeout    = 10 * time.Second // one SendSync, retries included
	killPhaseTimeout   = 30 * time.Second // each phase of acknowledged sends
	killConsumeWindow  = 60 * time.Second // the push consumer's catch-up
	killSettle         = 1 * time.Second  // extra consuming time to see strays
	killErrorBackoff   = 20 * time.Millisecond
)

// sendLedger is what the producers saw: every body they tried and, for
// those acknowledged with SEND_OK, the broker's offset message id (commit
// log address) from the acknowledgement.
type sendLedger struct {
	mu        sync.Mutex
	attempted map[string]bool
	acked     map[string]string // body -> OffsetMsgID
	failed    int
}

func (l *sendLedger) failures() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

func (l *sendLedger) ackCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// TestKill9KeepsAcknowledgedMessages is issue 5's durability claim with the
// real process and the official client: a SYNC_FLUSH broker killed with
// SIGKILL while the official producer's SendSync calls are in flight, then
// restarted on the same directories, still holds every message it
// acknowledged, at the commit log address it acknowledged, and a new push
// consumer group starting from the first offset receives all of them and
// nothing nobody sent. The restarted broker must say it recovered
// abnormally (the abort file the kill left behind).
//
// A SIGKILL keeps the OS page cache, so this exercises the broker's crash
// recovery (abort file, commit log scan and truncation, consume queue and
// index rebuild, segments rolling across the kill), not fsync; power loss
// is the simulator's job (sim/mq's SYNC_FLUSH crash tests).
func TestKill9KeepsAcknowledgedMessages(t *testing.T) {
	rlog.SetLogLevel("error")
	dir := t.TempDir()
	nsAddr := startNameServer(t)
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	storeRoot := filepath.Join(dir, "store")
	conf := writeConf(t, dir, [][2]string{
		{"brokerClusterName", "DefaultCluster"},
		{"brokerName", "broker-kill"},
		{"brokerId", "0"},
		{"namesrvAddr", nsAddr},
		{"brokerIP1", "127.0.0.1"},
		{"listenPort", strconv.Itoa(port)},
		{"brokerRole", "ASYNC_MASTER"},
		{"flushDiskType", "SYNC_FLUSH"},
		{"storePathRootDir", storeRoot},
		{"mappedFileSizeCommitLog", strconv.Itoa(256 << 10)},
		{"mappedFileSizeConsumeQueue", strconv.Itoa(100 * 20)},
		{"maxMessageSize", strconv.Itoa(64 << 10)},
		{"autoCreateTopicEnable", "true"},
		{"autoCreateSubscriptionGroup", "true"},
		{"defaultTopicQueueNums", "4"},
	})
	args := []string{"-c", conf, "-data", dir}

	first := startBrokerProcess(t, addr, args...)
	require.Equal(t, "false", recoveryAbnormal(t, first), "a fresh store recovers normally")

	const topic = "KillNine"
	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{nsAddr})),
		producer.WithGroupName("kill-pg"),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(killRequestTimeout),
	)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	t.Cleanup(func() { _ = p.Shutdown() })

	ledger := &sendLedger{attempted: map[string]bool{}, acked: map[string]string{}}
	pad := strings.Repeat("x", killBodyPad)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := 0; g < killProducers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				body := fmt.Sprintf("g%d-%06d-%s", g, i, pad)
				ledger.mu.Lock()
				ledger.attempted[body] = true
				ledger.mu.Unlock()
				ctx, cancel := context.WithTimeout(context.Background(), killSendTimeout)
				res, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(body)))
				cancel()
				ledger.mu.Lock()
				ok := err == nil && res.Status == primitive.SendOK
				if ok {
					ledger.acked[body] = res.OffsetMsgID
				} else {
					ledger.failed++
				}
				ledger.mu.Unlock()
				if !ok {
					time.Sleep(killErrorBackoff) // the broker is down; do not spin
				}
			}
		}()
	}
	stopProducers := func() { stop.Store(true); wg.Wait() }
	t.Cleanup(stopProducers)

	waitUntil(t, killPhaseTimeout, func() bool { return ledger.ackCount() >= killAcksBefore },
		func() string {
			return fmt.Sprintf("%d acks before the kill; stderr:\n%s", ledger.ackCount(), first.stderr)
		})
	first.kill()
	ackedAtKill := ledger.ackCount()
	failedAtKill := ledger.failures()
	// Stay down until sends fail: those in flight at the kill wait out
	// their time-out, then their retries find the port closed.
	waitUntil(t, killPhaseTimeout, func() bool { return ledger.failures() >= failedAtKill+killMinFailures },
		func() string {
			return fmt.Sprintf("%d sends failed while the broker was down", ledger.failures()-failedAtKill)
		})

	second := startBrokerProcess(t, addr, args...)
	require.Equal(t, "true", recoveryAbnormal(t, second),
		"the kill left the abort file: recovery must be the abnormal one; stderr:\n%s", second.stderr)
	waitUntil(t, killPhaseTimeout, func() bool { return ledger.ackCount() >= ackedAtKill+killAcksAfter },
		func() string {
			return fmt.Sprintf("%d acks after the restart (%d at the kill); stderr:\n%s", ledger.ackCount(), ackedAtKill, second.stderr)
		})
	stopProducers()
	ledger.mu.Lock()
	t.Logf("attempted %d, acknowledged %d (%d at the kill), failed %d", len(ledger.attempted), len(ledger.acked), ackedAtKill, ledger.failed)
	ledger.mu.Unlock()

	segments, err := os.ReadDir(filepath.Join(storeRoot, "commitlog"))
	require.NoError(t, err)
	require.Greater(t, len(segments), 1, "the commit log rolled segments")

	got := consumeAll(t, nsAddr, topic, ledger)
	// Every acknowledged message is there, at the address the broker
	// acknowledged it at.
	var missing []string
	for body, offsetID := range ledger.acked {
		if !got[body][offsetID] {
			missing = append(missing, fmt.Sprintf("%s (acked at %s, received at %v)", body[:9], offsetID, keysOf(got[body])))
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "acknowledged messages lost or moved by the kill")
	// Nothing appears that no producer sent.
	unacked := 0
	for body := range got {
		require.True(t, ledger.attempted[body], "received a message nobody sent: %.40q", body)
		if _, ok := ledger.acked[body]; !ok {
			unacked++
		}
	}
	t.Logf("received %d distinct bodies, %d of them from failed sends", len(got), unacked)
}

// consumeAll runs an official push consumer of a new group from the first
// offset until it received every acknowledged body, plus a settling window
// for anything else, and returns the bodies with the offset message ids
// they arrived with.
func consumeAll(t *testing.T, nsAddr, topic string, ledger *sendLedger) map[string]map[string]bool {
	t.Helper()
	var mu sync.Mutex
	got := map[string]map[string]bool{}
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{nsAddr})),
		consumer.WithGroupName("kill-cg"),
		consumer.WithInstance("kill-c1"),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			b := string(m.Body)
			if got[b] == nil {
				got[b] = map[string]bool{}
			}
			got[b][m.OffsetMsgId] = true
		}
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	defer pc.Shutdown()

	missing := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for body := range ledger.acked {
			if got[body] == nil {
				n++
			}
		}
		return n
	}
	waitUntil(t, killConsumeWindow, func() bool { return missing() == 0 },
		func() string {
			return fmt.Sprintf("%d of %d acknowledged messages never consumed", missing(), len(ledger.acked))
		})
	time.Sleep(killSettle)
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]map[string]bool, len(got))
	for b, ids := range got {
		out[b] = ids
	}
	return out
}

// startNameServer runs our name server in this process on a loopback
// ephemeral port and returns its address.
func startNameServer(t *testing.T) string {
	t.Helper()
	cfg := nsserver.DefaultConfig()
	cfg.BindAddress, cfg.ListenPort = "127.0.0.1", 0
	rt := realrt.New("namesrv", realrt.Options{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ch := make(chan *nsserver.Server, 1)
	require.NoError(t, rt.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		s, err := nsserver.Start(rt, cfg)
		if err == nil {
			ch <- s
		}
		return s, err
	}))
	t.Cleanup(rt.Stop)
	return (<-ch).Addr()
}

// waitUntil polls cond until it holds or limit passes, then fails with
// what's explanation.
func waitUntil(t *testing.T, limit time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", limit, what())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// recoveryAbnormal returns the abnormal attribute of the store's "commit log
// recovered" log line (broker/store/recover.go) in p's stderr.
func recoveryAbnormal(t *testing.T, p *brokerProcess) string {
	t.Helper()
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		if !strings.Contains(line, `msg="commit log recovered"`) {
			continue
		}
		for _, field := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(field, "abnormal="); ok {
				return v
			}
		}
	}
	t.Fatalf("no recovery line with abnormal= in the broker's log:\n%s", p.stderr)
	return ""
}
