package procrun

import (
	"context"
	"fmt"
	"rocketsim/jepsen/check"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/faults"
	"rocketsim/jepsen/history"
)

// fakeClient counts what the nemesis does to a client node.
type fakeClient struct {
	crashes, restarts int
	isDown            bool
	faults            []string
}

func (f *fakeClient) applyFault(x faults.Fault) error {
	if !f.isDown {
		f.faults = append(f.faults, x.String())
	}
	return nil
}

func (f *fakeClient) crash() error   { f.crashes++; f.isDown = true; return nil }
func (f *fakeClient) restart() error { f.restarts++; f.isDown = false; return nil }
func (f *fakeClient) down() bool     { return f.isDown }

func TestNemesisCrashesAndRestartsClients(t *testing.T) {
	n, px := proxyOnly(t)
	p, c := &fakeClient{}, &fakeClient{}
	n.setClient("producer-1", p)
	n.setClient("consumer-1", c)

	require.NoError(t, n.Apply(mustParse(t, "{kind: crash, nodes: [producer-1, consumer-1]}")))
	require.Equal(t, 1, p.crashes)
	require.Equal(t, 1, c.crashes)
	require.NoError(t, n.Apply(mustParse(t, "{kind: restart, nodes: [consumer-1]}")))
	require.Equal(t, 1, c.restarts)
	require.Zero(t, p.restarts)

	// The heal starts what is down, as the simulator's heal does.
	require.NoError(t, n.HealAll())
	require.Equal(t, 1, p.restarts, "the crashed producer is started by the heal")
	require.Equal(t, 1, c.restarts, "the running consumer is left alone")

	// A pause goes to the client's runtime, and the heal resumes every
	// running client; a pause is not the machine's: a new incarnation
	// does not get it back.
	c.faults, p.faults = nil, nil
	require.NoError(t, n.Apply(mustParse(t, "{kind: pause, nodes: [consumer-1]}")))
	require.Equal(t, []string{"{kind: pause, nodes: [consumer-1]}"}, c.faults)
	require.NoError(t, n.HealAll())
	require.Equal(t, []string{"{kind: pause, nodes: [consumer-1]}", "{kind: resume, nodes: [consumer-1]}"}, c.faults)
	require.Equal(t, []string{"{kind: resume, nodes: [producer-1]}"}, p.faults)
	c.faults, p.faults = nil, nil
	require.NoError(t, n.Apply(mustParse(t, "{kind: pause, nodes: [consumer-1]}")))
	require.NoError(t, n.Apply(mustParse(t, "{kind: restart, nodes: [consumer-1]}")))
	require.Equal(t, []string{"{kind: pause, nodes: [consumer-1]}"}, c.faults, "the restarted consumer is not paused again")
	c.faults, p.faults = nil, nil
	require.ErrorContains(t, n.Apply(mustParse(t, "{kind: fsync-fail, nodes: [consumer-1], prob: 1}")), "control socket")
	require.Empty(t, px.Cuts())

	// A client's clock belongs to its machine: a restart gets it back.
	require.NoError(t, n.Apply(mustParse(t, "{kind: clock-offset, nodes: [consumer-1], offset: 2s}")))
	require.Equal(t, []string{"{kind: clock-offset, nodes: [consumer-1], offset: 2s}"}, c.faults)
	c.faults = nil
	require.NoError(t, n.Apply(mustParse(t, "{kind: crash, nodes: [consumer-1]}")))
	require.NoError(t, n.HealAll())
	require.Len(t, c.faults, 1, "the new incarnation gets the machine's clock")
	require.Contains(t, c.faults[0], "clock-offset")
	require.Equal(t, []string{"{kind: resume, nodes: [producer-1]}"}, p.faults, "the other client's clock is untouched (the heal only resumes it)")

	// A client node the run did not register cannot be crashed.
	bare, _ := proxyOnly(t)
	require.ErrorIs(t, bare.Apply(mustParse(t, "{kind: crash, nodes: [producer-1]}")), ErrUnsupported)
}

// A producer node crashed with a send in flight: the send's invoke stays
// open (as the simulator's crashed process leaves it), nothing is sent
// while the node is down, and the next incarnation records on processes
// of its own, with keys no earlier send used.
func TestProducerCrashLeavesSendsOpenAndRestartUsesNewProcesses(t *testing.T) {
	const window = 2
	var incs atomic.Int32
	var sends sync.Map // key -> incarnation
	blocked := make(chan struct{}, window)
	start := func() (*producerClient, error) {
		inc := incs.Add(1) - 1
		killed := make(chan struct{})
		var once sync.Once
		send := func(ctx context.Context, key string, _ []byte) (history.Type, func(*history.Op)) {
			if _, dup := sends.LoadOrStore(key, inc); dup {
				t.Errorf("key %s sent twice", key)
			}
			if inc == 0 {
				// The first incarnation hangs until it is killed.
				blocked <- struct{}{}
				<-killed
				return noCompletion, nil
			}
			return history.OK, func(o *history.Op) { o.Offset = history.Int64(1) }
		}
		return &producerClient{send: send, shutdown: func() {}, kill: func() { once.Do(func() { close(killed) }) }}, nil
	}
	pr, err := newProducerRun("p", start)
	require.NoError(t, err)
	rec := &recorder{}
	l := Load{Topic: "T", Interval: time.Millisecond, Window: window, Timeout: time.Second, Body: 8}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	pr.run(stop, rec, l, "s1", &wg)
	for range window {
		<-blocked
	}
	require.NoError(t, pr.crash())
	require.True(t, pr.down())
	time.Sleep(20 * time.Millisecond) // ticks while down send nothing
	countSends := func() int {
		n := 0
		sends.Range(func(any, any) bool { n++; return true })
		return n
	}
	require.Equal(t, window, countSends(), "a down producer sent")
	require.NoError(t, pr.restart())
	require.Eventually(t, func() bool { return countSends() > window+10 }, 5*time.Second, time.Millisecond)
	close(stop)
	wg.Wait()
	pr.shutdown()

	ops, err := history.Pair(rec.h.Snapshot())
	require.NoError(t, err)
	open := map[string]bool{}
	later := map[string]bool{}
	for _, o := range ops {
		switch {
		case o.Completion == nil:
			open[o.Invoke.Process] = true
		case o.Completion.Type == history.OK:
			later[o.Invoke.Process] = true
		}
	}
	require.Equal(t, map[string]bool{"p/0": true, "p/1": true}, open, "the crashed sends stay open")
	require.Equal(t, map[string]bool{fmt.Sprintf("p/%d", window): true, fmt.Sprintf("p/%d", window+1): true}, later,
		"the second incarnation records on processes of its own")
}

// A paused producer starts no send until it is resumed, as a stopped
// process would not, and the pause reaches its client.
func TestPausedProducerStartsNoSends(t *testing.T) {
	var sent atomic.Int32
	var applied []string
	var mu sync.Mutex
	start := func() (*producerClient, error) {
		send := func(context.Context, string, []byte) (history.Type, func(*history.Op)) {
			sent.Add(1)
			return history.OK, func(o *history.Op) { o.Offset = history.Int64(1) }
		}
		apply := func(f faults.Fault) error {
			mu.Lock()
			defer mu.Unlock()
			applied = append(applied, f.String())
			return nil
		}
		return &producerClient{send: send, shutdown: func() {}, kill: func() {}, now: time.Now, applyFault: apply}, nil
	}
	pr, err := newProducerRun("p", start)
	require.NoError(t, err)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	pr.run(stop, &recorder{}, Load{Topic: "T", Interval: time.Millisecond, Window: 2, Timeout: time.Second, Body: 8}, "s1", &wg)
	defer func() { close(stop); wg.Wait(); pr.shutdown() }()
	require.Eventually(t, func() bool { return sent.Load() > 5 }, 5*time.Second, time.Millisecond)

	require.NoError(t, pr.applyFault(faults.Fault{Kind: faults.Pause, Nodes: []string{"p"}}))
	time.Sleep(10 * time.Millisecond) // a send that began before the pause ends
	before := sent.Load()
	time.Sleep(50 * time.Millisecond) // fifty ticks while paused
	require.Equal(t, before, sent.Load(), "a paused producer sent")

	require.NoError(t, pr.applyFault(faults.Fault{Kind: faults.Resume, Nodes: []string{"p"}}))
	require.Eventually(t, func() bool { return sent.Load() > before+5 }, 5*time.Second, time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"{kind: pause, nodes: [p]}", "{kind: resume, nodes: [p]}"}, applied)
}

// Real brokers, this project's clients crashed and restarted under load:
// the consumer's successor resumes from the brokers' offsets, the
// producer's next incarnation sends on new processes, and every checker
// passes (nothing acknowledged lost, nothing unexpected).
func TestRunClientCrashAndRestartPasses(t *testing.T) {
	s := parseScenario(t, `
name: procrun-test-client-crash
duration: 10s
settle: 3s
`+topology+`
workload:
  kind: mq
  params: {topic: ProcClient, queues: 2, interval: 25ms, timeout: 3s, window: 2, body: 64, drain: 30s}
faults:
  - at: 2s
    fault: {kind: crash, nodes: [consumer-1]}
  - at: 4s
    fault: {kind: restart, nodes: [consumer-1]}
  - at: 2500ms
    fault: {kind: pause, nodes: [producer-2]}
  - at: 5s
    fault: {kind: crash, nodes: [producer-1]}
  - at: 5500ms
    fault: {kind: resume, nodes: [producer-2]}
  - at: 6s
    fault: {kind: clock-jump, nodes: [producer-2], by: 1h}
  - at: 7s
    fault: {kind: restart, nodes: [producer-1]}
  - at: 8s
    fault: {kind: restart, nodes: [consumer-1, producer-2]}
expectations:
  delivery: {max-lost: 0, max-unexpected: 0}
  linearizable: {max-queues-illegal: 0}
  liveness: {min-acks-after-heal: 10}
`)
	rep, _ := runLogged(t, s, Options{Seed: 11, Dir: t.TempDir(), Bins: binaries(t)})

	require.True(t, rep.Pass, "the run passes")
	require.Equal(t, check.Pass, rep.Check.Verdict, "every checker passes: %v", rep.Check.Failed)
	require.Empty(t, rep.Problems)
	require.Greater(t, rep.Metrics["delivery"]["acknowledged"], 100.0, "the load ran")
	require.Zero(t, rep.Metrics["delivery"]["lost"])

	// The faults happened: producer-1's second incarnation acknowledged
	// sends on processes of its own, producer-2's too, and consumer-1
	// received after its restarts.
	acked := map[string]bool{}
	var lastReceive int64
	var firstSend int64
	for _, op := range rep.History {
		if op.F == history.FSend && op.Type == history.OK {
			acked[op.Process] = true
		}
		if op.F == history.FSend && firstSend == 0 {
			firstSend = op.Time
		}
		if op.F == history.FReceive && op.Process == "consumer-1" {
			lastReceive = max(lastReceive, op.Time)
		}
	}
	for _, p := range []string{"producer-1/0", "producer-1/2", "producer-2/2"} {
		require.True(t, acked[p], "no acknowledged send on %s: %v", p, acked)
	}
	require.Greater(t, lastReceive-firstSend, int64(8*time.Second), "consumer-1 received after its last restart")

	// producer-2 was paused from 2.5 s to 5.5 s: it started no send in
	// between (a margin of half a second either side for the schedule's
	// timing against the first send), and sent before and after.
	var p2Before, p2During, p2After int
	for _, op := range rep.History {
		if op.F != history.FSend || op.Type != history.Invoke || !strings.HasPrefix(op.Process, "producer-2/") {
			continue
		}
		switch at := time.Duration(op.Time - firstSend); {
		case at < 2*time.Second:
			p2Before++
		case at > 3*time.Second && at < 5*time.Second:
			p2During++
		case at > 6*time.Second:
			p2After++
		}
	}
	require.Positive(t, p2Before, "producer-2 sent before its pause")
	require.Zero(t, p2During, "producer-2 started sends while paused")
	require.Positive(t, p2After, "producer-2 sent after its resume")

	// producer-2's clock jumped an hour ahead, and its machine kept the
	// jump across the restart: its second incarnation stamps its events
	// an hour ahead of producer-1's.
	var p1Last, p2Last int64
	for _, op := range rep.History {
		switch op.Process {
		case "producer-1/2", "producer-1/3":
			p1Last = max(p1Last, op.Time)
		case "producer-2/2", "producer-2/3":
			p2Last = max(p2Last, op.Time)
		}
	}
	require.InDelta(t, float64(time.Hour), float64(p2Last-p1Last), float64(time.Minute),
		"producer-2's clock after the jump and the restart")
}

// The official client cannot be killed inside the runner: a schedule that
// crashes one is refused before anything starts; server crashes are not.
func TestOfficialClientsRefuseClientCrashes(t *testing.T) {
	src := func(node string) string {
		return "name: official-crash\nduration: 5s\n" + topology + `
workload:
  kind: mq
  params: {topic: T}
faults:
  - at: 1s
    fault: {kind: restart, nodes: [` + node + `]}
`
	}
	s := parseScenario(t, src("consumer-1"))
	_, err := Run(context.Background(), s, Options{Clients: ClientsOfficial, Bins: Binaries{Broker: "/nonexistent"}})
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, "official client cannot be killed")

	paused := strings.Replace(src("consumer-1"), "kind: restart", "kind: pause", 1)
	_, err = Run(context.Background(), parseScenario(t, paused), Options{Clients: ClientsOfficial, Bins: Binaries{Broker: "/nonexistent"}})
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, "official client's goroutines cannot be held")

	s = parseScenario(t, src("broker-a"))
	tp, err := checkScenario(s, Controls{})
	require.NoError(t, err)
	require.NoError(t, officialCrashes(s, tp))
}
