package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"

	"rocketsim/client"
	nsserver "rocketsim/namesrv/server"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// Bounds of the kill -9 flow. The waits are generous because the machine is
// shared; the counts keep one flow between 4 and 12 s.
const (
	killProducers      = 4                      // goroutines sending concurrently through one producer
	killAcksPerPhase   = 300                    // acknowledged sends before each kill, and after the last restart
	killMinFailures    = killProducers          // failed sends to see while the broker is down
	killBodyPad        = 512                    // body bytes, so that the small segments roll
	killSendTimeout    = 10 * time.Second       // one SendSync, retries included
	killPhaseTimeout   = 30 * time.Second       // each phase of acknowledged or failed sends
	killConsumeWindow  = 60 * time.Second       // the push consumer's catch-up, at most
	killConsumeQuiet   = 8 * time.Second        // no delivery this long after the first: the consumer has all it will get
	killBugQuiet       = 3 * time.Second        // the same for a broken broker, whose run is expected to miss messages
	killSettle         = 1 * time.Second        // extra consuming time to see strays
	killErrorBackoff   = 20 * time.Millisecond  // pause after a failed send, so a down broker is not spun on
	killSegmentSize    = 256 << 10              // mappedFileSizeCommitLog
	killCQSegmentSize  = 100 * 20               // mappedFileSizeConsumeQueue: 100 units
	killMaxMessageSize = 64 << 10               // maxMessageSize, below the segment size
	killTopic          = "KillNine"             // auto-created with defaultTopicQueueNums queues
	killQueues         = 4                      // defaultTopicQueueNums
	killPollInterval   = 20 * time.Millisecond  // waits poll this often
	killAbortMax       = 300 * time.Millisecond // an aborted start lives at most this long
	killDelayTable     = "1s 2s"                // messageDelayLevel: short, so delayed messages arrive within the flow
	killDelayLevels    = 2                      // levels in killDelayTable
)

// placement is where a message sits: the broker's offset message id
// (store host + commit log offset) and its consume queue slot.
type placement struct {
	OffsetMsgID string
	Queue       int
	QueueOffset int64
}

func (p placement) String() string {
	return fmt.Sprintf("%s q%d@%d", p.OffsetMsgID, p.Queue, p.QueueOffset)
}

// killRun is what one flow observed: the producers' ledger, what the
// consumer received, and what each broker incarnation logged.
type killRun struct {
	Attempted map[string]bool               // every body a producer tried to send
	Acked     map[string]placement          // SEND_OK bodies, where the broker said it put them
	Delayed   map[string]bool               // acked bodies sent with a delay level: stored in SCHEDULE_TOPIC_XXXX, delivered from a copy
	Failed    int                           // sends that returned an error or a non-OK status
	AckedAt   []int                         // acknowledged count at each kill
	Received  map[string]map[placement]bool // body -> every placement it arrived with, new group after the kills
	Live      map[string]map[placement]bool // the same for the group consuming through the kills (LiveConsumer)
	Abnormal  []string                      // recovery's "abnormal=" value of the first start and of each restart that stayed up
	Aborted   []string                      // each aborted start: its delay and how far it got
	Segments  int                           // commit log segment files at the end
	// IndexMisses are the sampled acknowledged keys (QueryKeys) a query by
	// key did not find at their acknowledged placement.
	IndexMisses []string
}

// sendLedger is what the producers saw, shared by their goroutines.
type sendLedger struct {
	mu        sync.Mutex
	attempted map[string]bool
	acked     map[string]placement
	delayed   map[string]bool
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
// SIGKILL while the official producer's SendSync calls are in flight, twice,
// each time restarted on the same directories, still holds every message it
// acknowledged, at the commit log address and consume queue slot it
// acknowledged; a new push consumer group starting from the first offset
// receives all of them and nothing nobody sent, with no two messages in one
// slot and no hole in any queue, and so does a group that was consuming
// through the kills (its offsets may go back, never past what it has not
// consumed). Each restarted broker must say it recovered abnormally (the
// abort file the kill left behind).
//
// A SIGKILL keeps the OS page cache, so this exercises the broker's crash
// recovery (abort file, commit log scan and truncation, consume queue and
// index rebuild, segments rolling across the kill), not fsync; power loss
// is the simulator's job (sim/mq's SYNC_FLUSH crash tests).
func TestKill9KeepsAcknowledgedMessages(t *testing.T) {
	r := runKillFlow(t, killOptions{Kills: 2, LiveConsumer: true, AbortedStarts: 2, QueryKeys: true})
	require.Equal(t, []string{"false", "true", "true"}, r.Abnormal,
		"a fresh store recovers normally; after each kill the abort file makes recovery abnormal")
	require.Greater(t, r.Segments, 1, "the commit log rolled segments")
	require.Greater(t, r.Failed, 0, "sends failed while the broker was down")
	require.Empty(t, judgeKill(r), "the new group after the kills")
	require.Empty(t, judgeKill(r.as(r.Live)), "the group consuming through the kills")
	require.Empty(t, r.IndexMisses, "the index, rebuilt by recovery, finds acknowledged keys")
}

// TestKill9KeepsAcknowledgedMessagesOurClient is the same claim with our
// own client (client/blocking) producing and consuming. Its heartbeat
// interval is short (the official client's is fixed at 30 s), so the
// restarted broker learns the live group's subscription soon and the very
// consumer instance that lived through the kills must catch up by itself.
func TestKill9KeepsAcknowledgedMessagesOurClient(t *testing.T) {
	r := runKillFlow(t, killOptions{Kills: 2, LiveConsumer: true, KeepLive: true, Client: "ours"})
	require.Equal(t, []string{"false", "true", "true"}, r.Abnormal)
	require.Greater(t, r.Failed, 0, "sends failed while the broker was down")
	require.Empty(t, judgeKill(r), "the new group after the kills")
	require.Empty(t, judgeKill(r.as(r.Live)), "the group consuming through the kills")
}

// TestKill9KeepsDelayedMessages: acknowledged delayed messages (stored in
// SCHEDULE_TOPIC_XXXX, moved to their topic by the schedule when due)
// survive kills too: each is delivered at least once; a kill may make the
// schedule deliver one twice (its offsets are persisted periodically), at
// two placements.
func TestKill9KeepsDelayedMessages(t *testing.T) {
	r := runKillFlow(t, killOptions{Kills: 2, DelayEvery: 3})
	require.Equal(t, []string{"false", "true", "true"}, r.Abnormal)
	require.Greater(t, len(r.Delayed), killAcksPerPhase/4, "delayed messages were acknowledged")
	require.Empty(t, judgeKill(r))
}

// TestKill9AsyncFlushKeepsAcknowledgedMessages: under ASYNC_FLUSH our
// broker acknowledges a send once its record is written to the OS (as
// Java's broker does once it is in the mapped file), so a process kill,
// which keeps the page cache, loses nothing acknowledged either; recovery
// starts from a checkpoint further behind.
func TestKill9AsyncFlushKeepsAcknowledgedMessages(t *testing.T) {
	r := runKillFlow(t, killOptions{Kills: 1, FlushDiskType: "ASYNC_FLUSH"})
	require.Equal(t, []string{"false", "true"}, r.Abnormal)
	require.Empty(t, judgeKill(r))
}

// TestKill9JudgementCatchesDropAckedBroker runs the same flow against a
// broker that acknowledges one send per incarnation without storing it
// (broker/bugs DropAckedMessage): the judgement must report it lost.
func TestKill9JudgementCatchesDropAckedBroker(t *testing.T) {
	r := runKillFlow(t, killOptions{Bug: "drop-acked", Kills: 1})
	problems := judgeKill(r)
	t.Logf("judgement: %v", problems)
	require.NotEmpty(t, problems, "the judgement must catch the drop-acked broker")
	lost := 0
	for _, p := range problems {
		if strings.HasPrefix(p, "lost ") {
			lost++
		}
	}
	require.GreaterOrEqual(t, lost, 1, "an acknowledged message is reported lost: %v", problems)
	require.LessOrEqual(t, lost, len(r.Abnormal), "at most one drop per incarnation: %v", problems)
}

// TestJudgeKillReportsEachFault feeds the judgement hand-made observations,
// one fault each, so each of its rules is shown to fire.
func TestJudgeKillReportsEachFault(t *testing.T) {
	at := func(id string, q int, off int64) placement { return placement{id, q, off} }
	base := func() *killRun {
		return &killRun{
			Attempted: map[string]bool{"a": true, "b": true, "c": true},
			Acked:     map[string]placement{"a": at("A", 0, 0), "b": at("B", 0, 1)},
			Received: map[string]map[placement]bool{
				"a": {at("A", 0, 0): true}, "b": {at("B", 0, 1): true}, "c": {at("C", 1, 0): true}},
		}
	}
	require.Empty(t, judgeKill(base()), "a failed send that was stored is allowed")
	delayed := base()
	delayed.Delayed = map[string]bool{"b": true}
	delayed.Received["b"] = map[placement]bool{at("D", 2, 0): true, at("E", 2, 1): true}
	require.Empty(t, judgeKill(delayed), "a delayed message arrives from its copy, maybe twice")
	delete(delayed.Received, "b")
	require.Equal(t, []string{"lost b (acked at B q0@1)"}, judgeKill(delayed))

	cases := map[string]func(r *killRun){
		"lost ":       func(r *killRun) { delete(r.Received, "b") },
		"moved ":      func(r *killRun) { r.Received["b"] = map[placement]bool{at("X", 0, 1): true} },
		"unexpected ": func(r *killRun) { r.Received["z"] = map[placement]bool{at("Z", 1, 1): true} },
		"slot ":       func(r *killRun) { r.Received["c"] = map[placement]bool{at("C", 0, 1): true} },
		"hole ":       func(r *killRun) { r.Received["c"] = map[placement]bool{at("C", 1, 2): true} },
	}
	for prefix, breakIt := range cases {
		r := base()
		breakIt(r)
		problems := judgeKill(r)
		found := false
		for _, p := range problems {
			found = found || strings.HasPrefix(p, prefix)
		}
		require.True(t, found, "%q not reported: %v", prefix, problems)
	}
}

// as is r with received in place of what the new group received.
func (r *killRun) as(received map[string]map[placement]bool) *killRun {
	c := *r
	c.Received = received
	return &c
}

// judgeKill returns every way r breaks the guarantees of a SYNC_FLUSH
// broker that was killed and restarted, sorted; none means it kept them:
//   - lost: an acknowledged body never arrived;
//   - moved: it arrived, but never at the placement the broker acknowledged
//     (a delayed message is delivered from a copy the schedule writes, at
//     a placement of its own);
//   - unexpected: a body arrived that no producer tried to send;
//   - slot: two bodies arrived at one consume queue slot;
//   - hole: a queue's received slots skip one below its highest (a new
//     group starting from the first offset reads every queue from 0).
//
// Failed sends may or may not arrive: the broker may have stored one whose
// answer the kill cut off.
func judgeKill(r *killRun) []string {
	var problems []string
	for body, want := range r.Acked {
		got := r.Received[body]
		switch {
		case len(got) == 0:
			problems = append(problems, fmt.Sprintf("lost %.12s (acked at %v)", body, want))
		case !got[want] && !r.Delayed[body]:
			problems = append(problems, fmt.Sprintf("moved %.12s (acked at %v, received at %v)", body, want, placements(got)))
		}
	}
	type slot struct {
		queue  int
		offset int64
	}
	bySlot := map[slot]string{}
	maxOffset := map[int]int64{}
	for body, got := range r.Received {
		if !r.Attempted[body] {
			problems = append(problems, fmt.Sprintf("unexpected %.40q", body))
		}
		for p := range got {
			s := slot{p.Queue, p.QueueOffset}
			if other, ok := bySlot[s]; ok && other != body {
				a, b := min(other, body), max(other, body)
				problems = append(problems, fmt.Sprintf("slot q%d@%d holds %.12s and %.12s", s.queue, s.offset, a, b))
			}
			bySlot[s] = body
			if off, ok := maxOffset[p.Queue]; !ok || p.QueueOffset > off {
				maxOffset[p.Queue] = p.QueueOffset
			}
		}
	}
	for q, top := range maxOffset {
		for off := int64(0); off < top; off++ {
			if _, ok := bySlot[slot{q, off}]; !ok {
				problems = append(problems, fmt.Sprintf("hole q%d@%d (received up to %d)", q, off, top))
				break
			}
		}
	}
	sort.Strings(problems)
	// A slot report found from either of its bodies is one problem.
	return slices.Compact(problems)
}

// killOptions shape one kill -9 flow.
type killOptions struct {
	Bug           string // broker/bugs switch for the broker process ("" for none); see runWithBugs
	Kills         int    // SIGKILLs, each followed by a restart
	FlushDiskType string // "" means SYNC_FLUSH
	Client        string // "official" (also "") or "ours"
	// LiveConsumer runs a push consumer group from before the first kill to
	// the end; its deliveries are killRun.Live.
	LiveConsumer bool
	// KeepLive judges the live instance itself; otherwise it is replaced
	// by a new instance of its group after the last restart.
	KeepLive bool
	// AbortedStarts, after each kill, start the broker and SIGKILL it
	// again after a random delay of up to killAbortMax, before the start
	// that stays up: kills during process start-up and recovery.
	AbortedStarts int
	// DelayEvery sends every DelayEvery-th message of each producer with
	// delay level 1 or 2 (killDelayLevels); 0 sends none.
	DelayEvery int
	// QueryKeys queries the restarted broker's index (QUERY_MESSAGE) for
	// a sample of the acknowledged keys.
	QueryKeys bool
}

// runKillFlow starts our name server in this process and the broker as a
// process, runs official producers through o.Kills SIGKILLs of the broker,
// each followed by a restart on the same directories, then consumes
// everything with a new official push consumer group from the first
// offset.
func runKillFlow(t *testing.T, o killOptions) *killRun {
	t.Helper()
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
		// Not listenPort+1 (the default): another test may hold it.
		{"haListenPort", strconv.Itoa(freePort(t))},
		{"brokerRole", "ASYNC_MASTER"},
		{"flushDiskType", cmp.Or(o.FlushDiskType, "SYNC_FLUSH")},
		{"storePathRootDir", storeRoot},
		{"mappedFileSizeCommitLog", strconv.Itoa(killSegmentSize)},
		{"mappedFileSizeConsumeQueue", strconv.Itoa(killCQSegmentSize)},
		{"maxMessageSize", strconv.Itoa(killMaxMessageSize)},
		{"autoCreateTopicEnable", "true"},
		{"autoCreateSubscriptionGroup", "true"},
		{"defaultTopicQueueNums", strconv.Itoa(killQueues)},
		{"messageDelayLevel", killDelayTable},
	})
	args := []string{"-c", conf, "-data", dir}
	r := &killRun{}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("aborted-start delays seed %d", seed)

	b := startBrokerProcessWithBugs(t, addr, o.Bug, args...)
	r.Abnormal = append(r.Abnormal, recoveryAbnormal(t, b))

	var c killClient
	switch o.Client {
	case "", "official":
		c = newOfficialClient(t, nsAddr)
	case "ours":
		c = newOurClient(t, nsAddr)
	default:
		t.Fatalf("unknown client %q", o.Client)
	}

	ledger := &sendLedger{attempted: map[string]bool{}, acked: map[string]placement{}, delayed: map[string]bool{}}
	pad := strings.Repeat("x", killBodyPad)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := 0; g < killProducers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				key := fmt.Sprintf("g%d-%06d", g, i)
				body := key + "-" + pad
				ledger.mu.Lock()
				ledger.attempted[body] = true
				ledger.mu.Unlock()
				ctx, cancel := context.WithTimeout(context.Background(), killSendTimeout)
				delay := 0
				if o.DelayEvery > 0 && i%o.DelayEvery == 0 {
					delay = 1 + i/o.DelayEvery%killDelayLevels
				}
				at, err := c.send(ctx, []byte(body), key, delay)
				cancel()
				ok := err == nil
				ledger.mu.Lock()
				if ok {
					ledger.acked[body] = at
					if delay > 0 {
						ledger.delayed[body] = true
					}
				} else {
					ledger.failed++
				}
				ledger.mu.Unlock()
				if !ok {
					time.Sleep(killErrorBackoff)
				}
			}
		}()
	}
	var stopOnce sync.Once
	stopProducers := func() { stopOnce.Do(func() { stop.Store(true); wg.Wait() }) }
	t.Cleanup(stopProducers)

	var live *collector
	if o.LiveConsumer {
		// The topic exists once a send was acknowledged.
		waitUntil(t, killPhaseTimeout, func() bool { return ledger.ackCount() > 0 },
			func() string { return "a first acknowledged send" })
		live = startCollector(t, c, "kill-live-cg")
	}
	for k := 0; k < o.Kills; k++ {
		target := ledger.ackCount() + killAcksPerPhase
		waitUntil(t, killPhaseTimeout, func() bool { return ledger.ackCount() >= target },
			func() string {
				return fmt.Sprintf("%d of %d acks before kill %d; stderr:\n%s", ledger.ackCount(), target, k+1, b.stderr)
			})
		b.kill()
		r.AckedAt = append(r.AckedAt, ledger.ackCount())
		failedAtKill := ledger.failures()
		// Stay down until sends fail: those in flight at the kill wait
		// out their time-out, then their retries find the port closed.
		waitUntil(t, killPhaseTimeout, func() bool { return ledger.failures() >= failedAtKill+killMinFailures },
			func() string {
				return fmt.Sprintf("%d sends failed while the broker was down", ledger.failures()-failedAtKill)
			})
		for a := 0; a < o.AbortedStarts; a++ {
			r.Aborted = append(r.Aborted, abortedStart(t, rng, o.Bug, args))
		}
		b = startBrokerProcessWithBugs(t, addr, o.Bug, args...)
		r.Abnormal = append(r.Abnormal, recoveryAbnormal(t, b))
	}
	target := ledger.ackCount() + killAcksPerPhase
	waitUntil(t, killPhaseTimeout, func() bool { return ledger.ackCount() >= target },
		func() string {
			return fmt.Sprintf("%d of %d acks after the last restart; stderr:\n%s", ledger.ackCount(), target, b.stderr)
		})
	stopProducers()

	r.Attempted, r.Acked, r.Delayed, r.Failed = ledger.attempted, ledger.acked, ledger.delayed, ledger.failed
	segments, err := os.ReadDir(filepath.Join(storeRoot, "commitlog"))
	require.NoError(t, err)
	r.Segments = len(segments)
	quiet := killConsumeQuiet
	if o.Bug != "" {
		quiet = killBugQuiet
	}
	fresh := startCollector(t, c, "kill-cg")
	fresh.await(r.Acked, quiet)
	r.Received = fresh.snapshot()
	if o.QueryKeys {
		r.IndexMisses = queryKeys(t, addr, r)
	}
	if live != nil {
		if o.KeepLive {
			live.await(r.Acked, quiet)
			r.Live = live.snapshot()
		} else {
			// A restarted broker knows no consumer until its next
			// heartbeat and refuses its pulls SUBSCRIPTION_NOT_EXIST, as
			// Java's does; the official client heartbeats every 30 s
			// (fixed), so the live instance may still be stalled. Replace
			// it, as an operator would: Shutdown commits the offsets it
			// consumed; the next instance of the group continues from the
			// broker's committed offsets, which must not have skipped
			// anything.
			live.shutdown()
			next := startCollectorFrom(t, c, "kill-live-cg", "kill-live-cg-2", live.snapshot())
			next.await(r.Acked, quiet)
			r.Live = next.snapshot()
		}
	}
	unacked, twice := 0, 0
	for body, ps := range r.Received {
		if _, ok := r.Acked[body]; !ok {
			unacked++
		}
		if len(ps) > 1 {
			twice++
		}
	}
	t.Logf("attempted %d, acknowledged %d (at the kills: %v), failed %d; received %d distinct bodies, %d from failed sends, %d at two placements or more; %d commit log segments; aborted starts %v",
		len(r.Attempted), len(r.Acked), r.AckedAt, r.Failed, len(r.Received), unacked, twice, r.Segments, r.Aborted)
	return r
}

// collector is a push consumer of its own group, from the first
// offset, recording every body with the placements it arrived at.
type collector struct {
	mu   sync.Mutex
	got  map[string]map[placement]bool
	last time.Time // of the latest delivery
	// shutdown stops the consumer (once), committing its offsets.
	shutdown func()
}

func startCollector(t *testing.T, c killClient, group string) *collector {
	t.Helper()
	return startCollectorFrom(t, c, group, group+"-1", map[string]map[placement]bool{})
}

// startCollectorFrom starts instance of group with what earlier instances
// received already in got.
func startCollectorFrom(t *testing.T, c killClient, group, instance string, got map[string]map[placement]bool) *collector {
	t.Helper()
	col := &collector{got: got}
	col.shutdown = c.consume(t, group, instance, func(body string, at placement) {
		col.mu.Lock()
		defer col.mu.Unlock()
		if col.got[body] == nil {
			col.got[body] = map[placement]bool{}
		}
		col.got[body][at] = true
		col.last = time.Now()
	})
	t.Cleanup(col.shutdown)
	return col
}

// await returns once every acked body arrived, or deliveries stopped for
// quietFor after the first, or killConsumeWindow passed, plus a
// settling window for strays. It does not fail: the judgement does.
func (c *collector) await(acked map[string]placement, quietFor time.Duration) {
	deadline := time.Now().Add(killConsumeWindow)
	for {
		c.mu.Lock()
		missing := 0
		for body := range acked {
			if c.got[body] == nil {
				missing++
			}
		}
		quiet := !c.last.IsZero() && time.Since(c.last) > quietFor
		c.mu.Unlock()
		if missing == 0 || quiet || time.Now().After(deadline) {
			break
		}
		time.Sleep(killPollInterval)
	}
	time.Sleep(killSettle)
}

// snapshot copies what arrived so far.
func (c *collector) snapshot() map[string]map[placement]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]map[placement]bool, len(c.got))
	for b, ps := range c.got {
		out[b] = maps.Clone(ps)
	}
	return out
}

// killKeySample is how many acknowledged keys queryKeys looks up, spread
// over the whole run.
const killKeySample = 60

// queryKeys looks up a sample of r's acknowledged, undelayed keys with
// QUERY_MESSAGE on the broker at addr, through our remoting endpoint, and
// returns those not found at their acknowledged placement.
func queryKeys(t *testing.T, addr string, r *killRun) []string {
	t.Helper()
	var ep *remoting.Endpoint
	rt := realrt.New("kill-query", realrt.Options{DataDir: t.TempDir(), Logger: quietLogger()})
	require.NoError(t, rt.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		ep = remoting.NewEndpoint(rt, remoting.Options{})
		return stopless{}, nil
	}))
	defer rt.Stop()

	keys := make([]string, 0, len(r.Acked))
	for body := range r.Acked {
		if !r.Delayed[body] {
			keys = append(keys, body)
		}
	}
	sort.Strings(keys)
	step := max(1, len(keys)/killKeySample)
	var misses []string
	for i := 0; i < len(keys); i += step {
		body := keys[i]
		key := body[:strings.LastIndex(body, "-")] // the body is key-padding
		req := remoting.NewRequest(remoting.ReqQueryMessage, map[string]string{
			"topic": killTopic, "key": key, "maxNum": "32",
			"beginTimestamp": "0", "endTimestamp": strconv.FormatInt(math.MaxInt64, 10)})
		type answer struct {
			resp *remoting.Command
			err  error
		}
		ch := make(chan answer, 1)
		rt.Post(func() {
			if err := ep.Invoke(ep.ConnTo(addr), req, 5*time.Second, func(resp *remoting.Command, err error) { ch <- answer{resp, err} }); err != nil {
				ch <- answer{nil, err}
			}
		})
		a := <-ch
		require.NoError(t, a.err, "query key %s", key)
		want := r.Acked[body]
		found := false
		if a.resp.Code == remoting.RespSuccess {
			msgs, err := client.DecodeMessages(a.resp.Body, "broker-kill")
			require.NoError(t, err, "decode query answer for %s", key)
			for _, m := range msgs {
				found = found || (string(m.Body) == body && placement{m.OffsetMsgID, m.QueueID, m.QueueOffset} == want)
			}
		}
		if !found {
			misses = append(misses, fmt.Sprintf("%s (acked at %v; answer %d %q)", key, want, a.resp.Code, a.resp.Remark))
		}
	}
	return misses
}

// stopless is a node with nothing to stop.
type stopless struct{}

func (stopless) Stop() {}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// abortedStart starts the broker and kills it after a random delay, and
// says how far it got: "exec" (no recovery yet), "recovered" (the commit
// log was recovered, the rest maybe not) or "booted".
func abortedStart(t *testing.T, rng *rand.Rand, bug string, args []string) string {
	t.Helper()
	delay := time.Duration(rng.Int64N(int64(killAbortMax)))
	p := spawnBroker(t, bug, args...)
	time.Sleep(delay)
	p.kill()
	stage := "exec"
	if strings.Contains(p.stderr.String(), `msg="commit log recovered"`) {
		stage = "recovered"
	}
	if strings.Contains(p.stdout.String(), "boot success") {
		stage = "booted"
	}
	return fmt.Sprintf("%v:%s", delay.Round(time.Millisecond), stage)
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

// waitUntil polls cond until it holds or limit passes, then fails with
// what's explanation.
func waitUntil(t *testing.T, limit time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", limit, what())
		}
		time.Sleep(killPollInterval)
	}
}

func placements(m map[placement]bool) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p.String())
	}
	sort.Strings(out)
	return out
}
