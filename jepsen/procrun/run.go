package procrun

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"rocketsim/faults"
	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
	"rocketsim/sim/scenario"
)

// Defaults of a run.
const (
	// verifyGroupDefault is the fresh group that reads every queue once the
	// producers stopped.
	verifyGroupDefault = "procrun-verify"
	// drainPoll is how often the drain looks whether every acknowledged
	// message arrived.
	drainPoll = 200 * time.Millisecond
)

// Options configure a run.
type Options struct {
	// Seed draws the fault schedule, picks and random halves (0: the
	// scenario's seed, else one is drawn and reported).
	Seed uint64
	// Dir holds the processes' data dirs, configurations and logs ("": a
	// new temporary directory, removed after a passing run without
	// problems).
	Dir string
	// Bins are the binaries; zero means build them from the module that
	// holds the working directory.
	Bins Binaries
	// Plain runs the servers without -control (Binaries.WithoutControls):
	// no process opens a failpoint control socket, and scenarios with disk
	// or clock faults are refused.
	Plain bool
	// Clients are ClientsOurs (default: this project's client) or
	// ClientsOfficial (the official Go client) for the producers and the
	// consumer group; the verifier group is always ours.
	Clients string
	// Log receives the runner's progress (nil: discarded).
	Log *slog.Logger
	// ClientLog receives the clients' own logs (nil: discarded).
	ClientLog *slog.Logger
}

// Report is everything a run found out; it has the simulator's report's
// shape where the two share a meaning.
type Report struct {
	Scenario string `json:"scenario"`
	Workload string `json:"workload"`
	Path     string `json:"path"`
	Seed     uint64 `json:"seed"`
	// Clients says whose client drove the run (ours, official).
	Clients string `json:"clients"`
	Pass    bool   `json:"pass"`
	// Elapsed is the real time the run took.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Dir holds the processes' data, configurations and logs ("" once a
	// passing run's temporary directory is removed).
	Dir        string                        `json:"dir,omitempty"`
	Faults     []string                      `json:"faults"`
	Problems   []string                      `json:"problems,omitempty"`
	Judgements []scenario.Judgement          `json:"judgements"`
	Metrics    map[string]map[string]float64 `json:"metrics"`
	Counts     string                        `json:"counts"`
	Check      check.Report                  `json:"check"`
	History    []history.Op                  `json:"-"`
}

// Run runs scenario s with real processes and judges what the clients
// observed. An error means the run could not happen (a refused scenario, a
// binary that would not build or boot); a run that happened returns its
// report, passing or not.
func Run(ctx context.Context, s *scenario.Scenario, opts Options) (rep *Report, err error) {
	start := time.Now()
	log := opts.Log
	if log == nil {
		log = quietLog()
	}
	clientLog := cmp.Or(opts.ClientLog, quietLog())
	bins := opts.Bins
	switch opts.Clients {
	case "", ClientsOurs:
	case ClientsOfficial:
		quietOfficial(opts.ClientLog != nil)
	default:
		return nil, fmt.Errorf("clients %q: want %s or %s", opts.Clients, ClientsOurs, ClientsOfficial)
	}
	if opts.Plain {
		bins = bins.WithoutControls()
	}
	ctl := bins.Controls()
	if bins.Broker == "" && !opts.Plain {
		ctl = Controls{Namesrv: true, Broker: true} // BuildBinaries below
	}
	t, err := checkScenario(s, ctl)
	if err != nil {
		return nil, err
	}
	if opts.Clients == ClientsOfficial {
		if err := officialCrashes(s, t); err != nil {
			return nil, err
		}
	}
	p := s.Workload.Config.(scenario.MQParams) // checkScenario made sure
	seed := opts.Seed
	if seed == 0 && s.Seed != nil {
		seed = *s.Seed
	}
	if seed == 0 {
		seed = rand.Uint64() >> 1
	}
	rep = &Report{Scenario: s.Name, Workload: s.Workload.Kind, Path: s.Path, Seed: seed, Clients: cmp.Or(opts.Clients, ClientsOurs)}

	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "procrun-"+s.Name+"-"); err != nil {
			return nil, err
		}
		defer func() {
			// Keep what a failing run, or one with problems (a process
			// that would not boot), left for a person to read.
			if err == nil && rep.Pass && len(rep.Problems) == 0 {
				os.RemoveAll(dir)
				rep.Dir = ""
			}
		}()
	}
	rep.Dir = dir
	if bins.Broker == "" {
		root, err := ModuleRoot(".")
		if err != nil {
			return nil, err
		}
		log.Info("building binaries", "module", root)
		if bins, err = BuildBinaries(ctx, root, filepath.Join(dir, "bin")); err != nil {
			return nil, err
		}
		if opts.Plain {
			bins = bins.WithoutControls()
		}
	}

	rng := rand.New(rand.NewPCG(seed, 0x70726f6372756e)) // "procrun"
	plan, err := s.Plan(rng)
	if err != nil {
		return nil, err
	}
	for _, pl := range plan {
		rep.Faults = append(rep.Faults, fmt.Sprintf("%9.3fs %s", pl.At.Seconds(), pl.Fault))
	}

	spec := ClusterSpec{Dir: dir, Namesrv: t.namesrv, Clients: t.clients()}
	for _, b := range t.brokers {
		spec.Brokers = append(spec.Brokers, BrokerSpec{Name: b.Name, Conf: scenario.MQBrokerConf(b, "127.0.0.1", "", p)})
	}
	log.Info("starting cluster", "dir", dir)
	c, err := StartCluster(ctx, spec, bins, log)
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	nem := NewNemesis(c, t.names, t.clients(), rng, log).WithContext(ctx)
	var problems []string
	var pmu sync.Mutex
	problem := func(format string, args ...any) {
		pmu.Lock()
		defer pmu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	if r := s.Network.Latency; r.Max > 0 || s.Network.Loss > 0 {
		nem.SetBaseShaping(r.Min, r.Max, s.Network.Loss)
	}
	for _, name := range t.names {
		if init := t.initial[name]; len(init) > 0 {
			if err := nem.SetInitial(name, init); err != nil {
				return nil, fmt.Errorf("initial failpoints of %s: %w", name, err)
			}
		}
	}

	load := Load{Topic: p.Topic, Group: p.Group, VerifyGroup: verifyGroupDefault,
		Interval: p.Interval, Window: p.Window, Timeout: p.Timeout, Body: p.Body}
	rec := &recorder{}
	session := fmt.Sprintf("s%d", seed%100000)
	// Producers first: the topic exists once a send was acknowledged, and
	// a consumer of the official client will not start before it does.
	var producers []*producerRun
	defer func() {
		for _, pr := range producers {
			pr.shutdown()
		}
	}()
	for _, name := range t.producers {
		var pr *producerRun
		if opts.Clients == ClientsOfficial {
			pr, err = startOfficialProducer(name, c.NamesrvFor(name), load)
		} else {
			pr, err = startProducer(name, c.NamesrvFor(name), load, clientLog)
		}
		if err != nil {
			return nil, err
		}
		producers = append(producers, pr)
	}
	for _, pr := range producers {
		nem.setClient(pr.name, pr)
	}
	stopSends := make(chan struct{})
	var sends sync.WaitGroup
	stopProducers := sync.OnceFunc(func() {
		close(stopSends)
		sends.Wait()
	})
	defer stopProducers()
	for _, pr := range producers {
		pr.run(stopSends, rec, load, session, &sends)
	}
	if !awaitFirstAck(ctx, producers, firstAckTimeout) {
		return nil, fmt.Errorf("no send acknowledged within %v of the start; see the logs in %s", firstAckTimeout, dir)
	}

	var consumers []*consumerRun
	defer func() {
		for _, cr := range consumers {
			cr.shutdown()
		}
	}()
	for _, name := range t.consumers {
		start := func() (*consumerRun, error) {
			return startConsumer(name, load.Group, c.NamesrvFor(name), load, rec, clientLog)
		}
		if opts.Clients == ClientsOfficial {
			start = func() (*consumerRun, error) {
				return startOfficialConsumer(name, load.Group, c.NamesrvFor(name), load, rec)
			}
		}
		cr, err := start()
		if err != nil {
			return nil, err
		}
		consumers = append(consumers, cr)
		nem.setClient(name, cr)
	}

	// Safety phase: the schedule, in real time.
	t0 := time.Now()
	log.Info("safety phase", "duration", s.Duration, "faults", len(plan))
	for _, pl := range plan {
		if !sleepUntil(ctx, t0.Add(pl.At)) {
			break
		}
		if late := time.Since(t0) - pl.At; late > time.Second {
			log.Warn("fault applied late", "fault", pl.Fault.String(), "late", late)
		}
		if err := nem.Apply(pl.Fault); err != nil {
			problem("at %.3fs: %v", time.Since(t0).Seconds(), err)
		}
	}
	sleepUntil(ctx, t0.Add(s.Duration))

	// Liveness phase: every fault healed, the clients must make progress.
	healAt := time.Now()
	log.Info("liveness phase: healing every fault", "settle", s.Settle)
	if err := nem.HealAll(); err != nil {
		problem("heal: %v", err)
	}
	sleepUntil(ctx, healAt.Add(cmp.Or(s.Settle, scenario.SettleDefault)))
	stopProducers()

	// Drain: the regular group, then a fresh group reading every queue.
	acked := ackedKeys(producers)
	drain := cmp.Or(p.Drain, 2*time.Minute)
	if len(consumers) > 0 {
		log.Info("draining", "acknowledged", len(acked))
		if m := awaitDelivered(ctx, acked, consumers, drain); m > 0 {
			log.Warn("drain bound reached", "group", load.Group, "missing", m)
		}
	}
	verifier, err := startConsumer("verifier", load.VerifyGroup, c.NamesrvFor(t.consumers0()), load, rec, clientLog)
	if err != nil {
		problem("verifier: %v", err)
	} else {
		consumers = append(consumers, verifier)
		if m := awaitDelivered(ctx, acked, []*consumerRun{verifier}, drain); m > 0 {
			log.Warn("drain bound reached", "group", load.VerifyGroup, "missing", m)
		}
	}

	if err := ctx.Err(); err != nil {
		// A cut-short run has no drain: judging it would report the
		// messages still in flight as lost.
		return nil, fmt.Errorf("interrupted before the judgement (%w); processes' files in %s", err, dir)
	}
	rep.History = rec.h.Snapshot()
	cfg := check.Config{ClockError: p.ClockError}
	cfg.Delivery.Groups = []string{load.VerifyGroup}
	if len(consumers) > 1 {
		cfg.Delivery.Groups = append(cfg.Delivery.Groups, load.Group)
	}
	rep.Check = check.Run(rep.History, cfg)
	rep.Metrics = rep.Check.Metrics()
	rep.Metrics["liveness"] = map[string]float64{"acks-after-heal": acksAfter(rep.History, t.producers, healAt)}
	rep.Metrics["verifier"] = map[string]float64{"duplicates": float64(duplicates(verifier))}
	d := rep.Metrics["delivery"]
	rep.Counts = fmt.Sprintf("acknowledged %v, unknown %v, delivered %v (deliveries %v, duplicates %v); lost %v, unexpected %v",
		d["acknowledged"], d["unknown-sent"], d["delivered"], d["deliveries"], d["duplicates"], d["lost"], d["unexpected"])
	for _, ch := range rep.Check.Checkers {
		if ch.Verdict == check.Fail || ch.Verdict == check.Unknown {
			problem("checker %s: %s", ch.Name, summarize(ch))
		}
	}
	rep.Problems = problems
	rep.Judgements = s.Judge(rep.Metrics)
	rep.Pass = true
	for _, j := range rep.Judgements {
		rep.Pass = rep.Pass && j.Pass
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// officialCrashes refuses a schedule that crashes, restarts, pauses or
// moves the clock of a client when the clients are the official ones,
// which have no way to die without their graceful shutdown, run on the
// runner's clock, and have no single loop to hold.
func officialCrashes(s *scenario.Scenario, t *topo) error {
	clients := t.clients()
	for i, e := range s.Faults {
		why := ""
		switch e.Fault.Kind {
		case faults.Crash, faults.Restart:
			why = "the official client cannot be killed inside the runner (only this project's client can)"
		case faults.ClockOffset, faults.ClockDrift, faults.ClockJump:
			why = "the official client runs on the runner's clock (only this project's client has a clock of its own)"
		case faults.Pause, faults.Resume:
			why = "the official client's goroutines cannot be held inside the runner (only this project's client, whose loop can, is paused)"
		default:
			continue
		}
		for _, n := range e.Fault.Nodes {
			if slices.Contains(clients, n) {
				return fmt.Errorf("%s: faults[%d]: %s on client %s: %s: %w",
					cmp.Or(s.Path, s.Name), i, e.Fault.Kind, n, why, ErrUnsupported)
			}
		}
	}
	return nil
}

// consumers0 is the node whose routes the verifier borrows: the first
// consumer, else the first producer (the verifier is a client like them).
func (t *topo) consumers0() string {
	if len(t.consumers) > 0 {
		return t.consumers[0]
	}
	return t.producers[0]
}

// sleepUntil waits until at; false when ctx ended first.
func sleepUntil(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// firstAckTimeout bounds the wait for the cluster's first acknowledged
// send: brokers register, the topic is created from TBW102, routes spread.
const firstAckTimeout = 30 * time.Second

// awaitFirstAck waits until some producer had a send acknowledged.
func awaitFirstAck(ctx context.Context, ps []*producerRun, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if len(ackedKeys(ps)) > 0 {
			return true
		}
		time.Sleep(drainPoll)
	}
	return false
}

// ackedKeys lists every acknowledged key.
func ackedKeys(ps []*producerRun) []string {
	var out []string
	for _, p := range ps {
		p.acks.Range(func(k, _ any) bool {
			out = append(out, k.(string))
			return true
		})
	}
	return out
}

// awaitDelivered waits until cs received every key of acked, at most
// limit; it returns how many are still missing.
func awaitDelivered(ctx context.Context, acked []string, cs []*consumerRun, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for {
		m := missing(acked, cs)
		if m == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return m
		}
		time.Sleep(drainPoll)
	}
}

// duplicates counts extra deliveries to c.
func duplicates(c *consumerRun) int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.got {
		n += max(0, v-1)
	}
	return n
}

// acksAfter is the fewest acknowledged sends any producer had after the
// heal: the liveness measure, as the simulator's.
func acksAfter(ops []history.Op, producers []string, healAt time.Time) float64 {
	count := map[string]int{}
	for _, op := range ops {
		if op.Type == history.OK && op.F == history.FSend && op.Time >= healAt.UnixNano() {
			node, _, _ := strings.Cut(op.Process, "/")
			count[node]++
		}
	}
	least := -1
	for _, p := range producers {
		if least < 0 || count[p] < least {
			least = count[p]
		}
	}
	return float64(max(least, 0))
}

// summarize is a checker result's first findings on one line.
func summarize(c check.Checked) string {
	b, err := jsonLine(c.Result)
	if err != nil {
		return err.Error()
	}
	const most = 300
	if len(b) > most {
		return string(b[:most]) + "..."
	}
	return string(b)
}
