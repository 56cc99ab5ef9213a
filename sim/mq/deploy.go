package mq

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"rocketsim/broker/config"
	brokerserver "rocketsim/broker/server"
	"rocketsim/jepsen/check"
	"rocketsim/namesrv/kvconfig"
	nsserver "rocketsim/namesrv/server"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

// Role is a node's part in a deployment.
type Role string

// The roles of a deployment's nodes.
const (
	RoleNamesrv  Role = "namesrv"
	RoleBroker   Role = "broker"
	RoleProducer Role = "producer"
	RoleConsumer Role = "consumer"
)

// NodeSpec is one node of a deployment.
type NodeSpec struct {
	Name string
	Role Role
	// Conf holds a broker's own broker.conf keys, over Spec.BrokerConf
	// over the baseline (BaseBrokerConf).
	Conf map[string]string
	// Client overrides the Spec for this producer or consumer (nil: none).
	Client *ClientOverrides
}

// ClientOverrides are one client node's own workload settings; zero
// fields keep the Spec's.
type ClientOverrides struct {
	// A producer's gap between sends, sends in flight, body size and mix.
	Interval time.Duration
	Window   int
	Body     int
	Mix      []MessageKind
	// A consumer's group (default Spec.Group) and its tag expression
	// (default Spec.Subscription; every member of a group must say the
	// same), and a core consumer's listener: failure rate and slowness.
	Group        string
	Subscription string
	FailRate     float64
	ConsumeDelay time.Duration
}

// apply returns spec with o's non-zero fields.
func (o *ClientOverrides) apply(spec Spec) Spec {
	if o == nil {
		return spec
	}
	if o.Interval != 0 {
		spec.Interval = o.Interval
	}
	if o.Window != 0 {
		spec.Window = o.Window
	}
	if o.Body != 0 {
		spec.Body = o.Body
	}
	if o.Mix != nil {
		spec.Mix = o.Mix
	}
	if o.FailRate != 0 {
		spec.FailRate = o.FailRate
	}
	if o.ConsumeDelay != 0 {
		spec.ConsumeDelay = o.ConsumeDelay
	}
	if o.Group != "" {
		spec.Group = o.Group
	}
	if o.Subscription != "" {
		spec.Subscription = o.Subscription
	}
	return spec
}

// Deployment is the mq workload on a world its caller owns: it builds each
// node's process (NewNode) and, once the caller has run its faults and
// healed them, finishes the run (Finish): stops the producers, drains the
// regular groups, reads every queue with a fresh verification group, and
// judges the history. Run is one caller (its own topology and faults from a
// Spec); the simulator's CLI is the other (a scenario file's topology and
// fault schedule).
//
// The Spec's node counts (Brokers, Producers, Consumers) and Faults are
// ignored here: the node list and the caller decide those.
type Deployment struct {
	w     *simrt.World
	spec  Spec
	opts  Options
	nodes []NodeSpec
	h     *recorder

	namesrvs, brokers, producers, consumers []string
	// slaves are broker nodes with brokerRole SLAVE: they replicate a
	// master of their brokerName and take no sends, so no raw client or
	// verifier targets them (brokers holds the masters only); core
	// clients find them in the route and read from them while their
	// master is away.
	slaves []string
	// regular is each regular consumer's current raw instance, by name.
	regular  map[string]*rawConsumer
	verifier *rawConsumer
	dlq      *rawConsumer
	problems []string
	finished bool
}

// NewDeployment checks spec and nodes and prepares their processes; the
// caller adds each node to w (under its name, with NewNode's builder)
// before starting any. (CheckNodes passes a nil w: checking only.)
func NewDeployment(w *simrt.World, spec Spec, nodes []NodeSpec, opts Options) (*Deployment, error) {
	d := &Deployment{w: w, spec: spec, opts: opts, nodes: nodes, regular: map[string]*rawConsumer{}}
	if w != nil {
		d.h = newRecorder(w.Now)
	}
	seen := map[string]bool{}
	for _, n := range nodes {
		if seen[n.Name] {
			return nil, fmt.Errorf("mq deployment: node %q twice", n.Name)
		}
		seen[n.Name] = true
		if n.Name == VerifierName || n.Name == DLQReaderName {
			return nil, fmt.Errorf("mq deployment: node name %q is taken by the verification phase", n.Name)
		}
		switch n.Role {
		case RoleNamesrv:
			d.namesrvs = append(d.namesrvs, n.Name)
		case RoleBroker:
			d.brokers = append(d.brokers, n.Name)
		case RoleProducer:
			d.producers = append(d.producers, n.Name)
		case RoleConsumer:
			d.consumers = append(d.consumers, n.Name)
		default:
			return nil, fmt.Errorf("mq deployment: node %q: no role %q", n.Name, n.Role)
		}
		if n.Conf != nil && n.Role != RoleBroker {
			return nil, fmt.Errorf("mq deployment: node %q: only brokers take broker.conf keys", n.Name)
		}
		if n.Client != nil {
			if err := n.Client.validate(spec, n.Role); err != nil {
				return nil, fmt.Errorf("mq deployment: node %q: %w", n.Name, err)
			}
		}
	}
	if len(d.namesrvs) == 0 || len(d.brokers) == 0 || len(d.producers) == 0 || len(d.consumers) == 0 {
		return nil, fmt.Errorf("mq deployment: want at least one name server, broker, producer and consumer; have %d, %d, %d, %d",
			len(d.namesrvs), len(d.brokers), len(d.producers), len(d.consumers))
	}
	subs := map[string]string{}
	for _, c := range d.consumers {
		n, _ := d.node(c)
		cs := n.Client.apply(spec)
		if prev, ok := subs[cs.Group]; ok && prev != cs.Subscription {
			return nil, fmt.Errorf("mq deployment: node %q: group %s subscribes %q here and %q on another member", c, cs.Group, cs.Subscription, prev)
		}
		subs[cs.Group] = cs.Subscription
	}
	if err := d.splitSlaves(); err != nil {
		return nil, err
	}
	counted := spec
	counted.Brokers, counted.Producers, counted.Consumers, counted.Faults = 1, 1, 1, nil
	if err := counted.Validate(); err != nil {
		return nil, err
	}
	// Check every broker's configuration now, so a bad key is an error
	// before the run rather than a node that refuses to start.
	for _, n := range nodes {
		if n.Role != RoleBroker {
			continue
		}
		if _, err := d.brokerConfig(n, "192.0.2.1", "192.0.2.2:9876"); err != nil {
			return nil, err
		}
		// The broker only warns of a key it does not know (as RocketMQ
		// ignores one); a simulated deployment refuses it, so a misspelt
		// key cannot silently leave the default in force.
		kv := baseBrokerConf(n.Name, "192.0.2.1", "192.0.2.2:9876", spec.Queues)
		maps.Copy(kv, spec.BrokerConf)
		maps.Copy(kv, n.Conf)
		_, warnings, _ := config.LoadMap(kv, n.Name, config.Host{Name: n.Name, IP: "192.0.2.1"})
		for _, w := range warnings {
			if strings.Contains(w, "unknown") {
				return nil, fmt.Errorf("mq: broker %s configuration: %s", n.Name, w)
			}
		}
	}
	return d, nil
}

// splitSlaves moves the SLAVE brokers from d.brokers to d.slaves; each
// must follow a master of this deployment (same brokerName).
func (d *Deployment) splitSlaves() error {
	masters := map[string]bool{}
	var all []NodeSpec
	for _, name := range d.brokers {
		n, _ := d.node(name)
		all = append(all, n)
	}
	roles := map[string]*config.Config{}
	for _, n := range all {
		cfg, err := d.brokerConfig(n, "192.0.2.1", "192.0.2.2:9876")
		if err != nil {
			return err
		}
		roles[n.Name] = cfg
		if cfg.BrokerRole.IsMaster() {
			masters[cfg.BrokerName] = true
		}
	}
	d.brokers = d.brokers[:0]
	for _, n := range all {
		cfg := roles[n.Name]
		if cfg.BrokerRole.IsMaster() {
			d.brokers = append(d.brokers, n.Name)
			continue
		}
		if !masters[cfg.BrokerName] {
			return fmt.Errorf("mq deployment: slave %q follows brokerName %q, which no master broker of the deployment has", n.Name, cfg.BrokerName)
		}
		d.slaves = append(d.slaves, n.Name)
	}
	if len(d.slaves) > 0 && d.spec.Clients != CoreClients {
		return fmt.Errorf("mq deployment: slaves need clients: core (raw clients read fixed master queues and never a slave)")
	}
	return nil
}

// Slaves are the slave broker node names, in node order.
func (d *Deployment) Slaves() []string { return slices.Clone(d.slaves) }

// features is the spec with the union of every producer's mix: what the
// deployment as a whole must handle (check-backs, acks, dead letters),
// whichever producer sends it.
func (d *Deployment) features() Spec {
	f := d.spec
	f.Mix = slices.Clone(d.spec.Mix)
	for _, n := range d.nodes {
		if n.Role == RoleProducer && n.Client != nil {
			for _, k := range n.Client.Mix {
				if !slices.Contains(f.Mix, k) {
					f.Mix = append(f.Mix, k)
				}
			}
		}
	}
	return f
}

// groupOf is consumer node name's group.
func (d *Deployment) groupOf(name string) string {
	n, _ := d.node(name)
	return n.Client.apply(d.spec).Group
}

// subscriptionOf is group's tag expression.
func (d *Deployment) subscriptionOf(group string) string {
	n, _ := d.node(d.members(group)[0])
	return n.Client.apply(d.spec).Subscription
}

// groups are the regular groups, sorted.
func (d *Deployment) groups() []string {
	var out []string
	for _, c := range d.consumers {
		if g := d.groupOf(c); !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// members are group's consumer nodes, in node order.
func (d *Deployment) members(group string) []string {
	var out []string
	for _, c := range d.consumers {
		if d.groupOf(c) == group {
			out = append(out, c)
		}
	}
	return out
}

// CheckNodes reports what NewDeployment would refuse in spec and nodes,
// without a world (for a scenario loader).
func CheckNodes(spec Spec, nodes []NodeSpec) error {
	_, err := NewDeployment(nil, spec, nodes, Options{})
	return err
}

// Producers and Consumers are the client node names, in node order.
func (d *Deployment) Producers() []string { return slices.Clone(d.producers) }

// Consumers are the regular group's node names, in node order.
func (d *Deployment) Consumers() []string { return slices.Clone(d.consumers) }

// Brokers are the broker node names, in node order.
func (d *Deployment) Brokers() []string { return slices.Clone(d.brokers) }

func (d *Deployment) node(name string) (NodeSpec, bool) {
	for _, n := range d.nodes {
		if n.Name == name {
			return n, true
		}
	}
	return NodeSpec{}, false
}

// host is a node's address; valid once the caller added it to the world.
func (d *Deployment) host(name string) string { return d.w.Node(name).Host() }

func (d *Deployment) nameservers() []string {
	var out []string
	for _, n := range d.namesrvs {
		out = append(out, fmt.Sprintf("%s:%d", d.host(n), NamesrvPort))
	}
	return out
}

// targets are every queue of the topic on every broker, in broker order.
func (d *Deployment) targets() []target {
	var out []target
	for _, b := range d.brokers {
		for q := range d.spec.Queues {
			out = append(out, target{broker: b, addr: fmt.Sprintf("%s:%d", d.host(b), BrokerPort), queue: q})
		}
	}
	return out
}

// brokerConfig is broker n's configuration: the baseline under the spec's
// overrides under the node's own, checked by the broker's own loader.
func (d *Deployment) brokerConfig(n NodeSpec, host, namesrvAddr string) (*config.Config, error) {
	kv := baseBrokerConf(n.Name, host, namesrvAddr, d.spec.Queues)
	maps.Copy(kv, d.spec.BrokerConf)
	maps.Copy(kv, n.Conf)
	cfg, _, err := config.LoadMap(kv, n.Name, config.Host{Name: n.Name, IP: host})
	if err != nil {
		return nil, fmt.Errorf("mq: broker %s configuration: %w", n.Name, err)
	}
	return cfg, nil
}

// NewNode returns how to build the process of node name.
func (d *Deployment) NewNode(name string) (runtime.NewNode, error) {
	n, ok := d.node(name)
	if !ok {
		return nil, fmt.Errorf("mq deployment: no node %q", name)
	}
	switch n.Role {
	case RoleNamesrv:
		return func(rt runtime.Runtime) (runtime.Node, error) {
			cfg := nsserver.DefaultConfig()
			cfg.BindAddress = d.host(name)
			cfg.ListenPort = NamesrvPort
			if d.spec.StrictOrder {
				if err := d.putOrderConf(rt, &cfg); err != nil {
					return nil, err
				}
			}
			return nsserver.New(cfg)(rt)
		}, nil
	case RoleBroker:
		return func(rt runtime.Runtime) (runtime.Node, error) {
			cfg, err := d.brokerConfig(n, d.host(name), d.nameservers()[0])
			if err != nil {
				return nil, err
			}
			return brokerserver.NewWithBugs(*cfg, d.opts.BrokerBugs)(rt)
		}, nil
	case RoleProducer:
		spec := n.Client.apply(d.spec)
		answerChecks := d.features().transactional()
		return func(rt runtime.Runtime) (runtime.Node, error) {
			if spec.Clients == CoreClients {
				return newCoreProducer(spec, answerChecks, d.nameservers(), d.host(name), d.h)(rt)
			}
			return newProducer(spec, d.targets(), d.h)(rt)
		}, nil
	default: // RoleConsumer
		spec := n.Client.apply(d.features())
		members := d.members(spec.Group)
		i := slices.Index(members, name)
		return func(rt runtime.Runtime) (runtime.Node, error) {
			if spec.Clients == CoreClients {
				return newCoreConsumer(spec, d.nameservers(), d.host(name), d.h)(rt)
			}
			var owned []target
			for j, t := range d.targets() {
				if j%len(members) == i {
					owned = append(owned, t)
				}
			}
			return newConsumer(spec, spec.Group, spec.Subscription, false, owned, d.h, func(c *rawConsumer) { d.regular[name] = c })(rt)
		}, nil
	}
}

// DLQReaderName names the node that reads the dead-letter queues.
const DLQReaderName = "dlq-reader"

// Finish ends the run once the caller has healed every fault and every
// node is up: the producers stop; with Spec.FinalPowerLoss every broker
// loses power and restarts; the regular group drains every queue; a fresh
// group reads every queue from offset 0 (and, when messages fail for good,
// the group's dead-letter queues); then every client stops and the history
// is judged. Each wait is bounded by Spec.Drain; one that runs out is a
// problem of the result.
func (d *Deployment) Finish() *Result {
	if d.finished {
		panic("mq: Deployment.Finish called twice")
	}
	d.finished = true
	d.note("finish")
	// Producers that answer check-backs only stop sending; the others
	// stop now.
	quiesced := false
	for _, p := range d.producers {
		n := d.w.Node(p)
		if q, ok := n.Value().(quiescer); ok {
			q.quiesce()
			quiesced = true
			continue
		}
		n.Stop()
	}
	if d.spec.FinalPowerLoss {
		// At once, while the last acknowledged writes are freshest: an
		// ASYNC_FLUSH broker loses its unflushed tail here.
		d.note("final power loss")
		for _, b := range d.brokers {
			n := d.w.Node(b)
			n.PowerLoss()
			n.Start()
			if err := n.Err(); err != nil {
				d.problem(fmt.Sprintf("broker %s did not start after the final power loss: %v", b, err))
			}
		}
	}
	// Sends still in flight when the producers stopped may yet be stored;
	// give them their timeout before judging what is drained.
	d.w.RunFor(d.spec.Timeout)
	if quiesced && d.features().transactional() {
		// Give the brokers' check-back rounds time to resolve the last
		// undecided transactions: one timeout and two check intervals.
		bc := d.brokerConfigOf(d.brokers[0])
		d.w.RunFor(bc.TransactionTimeOut + 2*bc.TransactionCheckInterval)
	}
	d.drain()
	d.verify()
	return d.judge()
}

// drain waits for the regular group to consume every queue.
func (d *Deployment) drain() {
	drained := func() bool {
		if d.spec.Clients == CoreClients {
			// A push consumer has no "caught up" signal: quiet is the sign.
			for _, g := range d.groups() {
				if d.w.Now()-d.h.lastReceive[g] < coreQuiet {
					return false
				}
			}
			return true
		}
		for _, name := range d.consumers {
			c := d.regular[name]
			if c == nil || !d.w.Node(name).Up() || !c.caughtUpAll() {
				return false
			}
		}
		return true
	}
	if !d.w.RunUntil(drained, d.spec.Drain) {
		d.problem(fmt.Sprintf("the consumers of %s did not drain every queue within %v", strings.Join(d.groups(), ", "), d.spec.Drain))
	}
}

// verify reads every queue from offset 0 with a fresh group (and the dead
// letters, when some messages always fail), then stops every client.
func (d *Deployment) verify() {
	d.note("verify")
	targets := d.targets()
	v := d.w.AddNode(VerifierName, simrt.NodeConfig{Host: verifierHost()},
		newConsumer(d.spec, VerifyGroup, "*", true, targets, d.h, func(c *rawConsumer) { d.verifier = c }))
	d.bringUp(v)
	readers := []*simrt.Node{v}
	done := func() bool { return d.verifier != nil && d.verifier.caughtUpAll() }
	if slices.Contains(d.features().Mix, Failing) {
		var dlqs []target
		for _, g := range d.groups() {
			for _, b := range d.brokers {
				// One dead-letter queue per group per broker
				// (DLQ_NUMS_PER_GROUP).
				dlqs = append(dlqs, target{broker: b, addr: fmt.Sprintf("%s:%d", d.host(b), BrokerPort), queue: 0, dlqOf: g})
			}
		}
		r := d.w.AddNode(DLQReaderName, simrt.NodeConfig{Host: dlqReaderHost()},
			newConsumer(d.spec, VerifyGroup, "*", true, dlqs, d.h, func(c *rawConsumer) { d.dlq = c }))
		d.bringUp(r)
		readers = append(readers, r)
		verified := done
		done = func() bool { return verified() && d.dlq != nil && d.dlq.caughtUpAll() }
	}
	if !d.w.RunUntil(done, d.spec.Drain) {
		d.problem(fmt.Sprintf("the verifier did not read every queue to its end within %v", d.spec.Drain))
	}
	for _, c := range append(slices.Clone(d.producers), d.consumers...) {
		if n := d.w.Node(c); n.Up() {
			n.Stop()
		}
	}
	for _, r := range readers {
		r.Stop()
	}
}

// bringUp starts a verification node; one that refuses is a problem.
func (d *Deployment) bringUp(n *simrt.Node) {
	n.Start()
	if err := n.Err(); err != nil {
		d.problem(fmt.Sprintf("%s did not start: %v", n.Name(), err))
	}
}

// judge runs the checkers over the history with the deployment's facts.
func (d *Deployment) judge() *Result {
	res := &Result{Seed: d.w.Seed(), TraceHash: d.w.TraceHash(), Ops: d.h.rec.Ops(), Problems: d.problems, SimTime: d.w.Now(), Events: d.w.Events()}
	res.Report = check.Run(res.Ops, d.CheckConfig())
	return res
}

// CheckConfig is Options.Check completed with the deployment's facts: both
// groups must receive, the regular group's subscription, the first
// broker's delay table, the retry limit and delays, the transactional
// groups, and a clock-error bound from the spec's skew.
func (d *Deployment) CheckConfig() check.Config {
	cfg := d.opts.Check
	if cfg.ClockError == 0 {
		cfg.ClockError = 2 * d.spec.ClockSkew
	}
	groups := d.groups()
	cfg.Delivery.Groups = appendMissing(cfg.Delivery.Groups, slices.Concat(groups, []string{VerifyGroup})...)
	subs := maps.Clone(cfg.Delivery.Subscriptions)
	if subs == nil {
		subs = map[string][]string{}
	}
	for _, g := range groups {
		expr := d.subscriptionOf(g)
		if subscribedTags(expr) != nil && subs[g] == nil {
			subs[g] = []string{d.spec.Topic + ":" + expr}
		}
	}
	if len(subs) > 0 {
		cfg.Delivery.Subscriptions = subs
	}
	bc := d.brokerConfigOf(d.brokers[0])
	levels := []time.Duration(bc.MessageDelayLevel)
	if cfg.Delay.Levels == nil {
		cfg.Delay.Levels = levels
	}
	if cfg.Delivery.DelayLevels == nil {
		cfg.Delivery.DelayLevels = levels
	}
	if cfg.Delay.ClockError == 0 {
		// The broker times a delay from its store timestamp, in whole
		// milliseconds as RocketMQ's is: truncated, it can fall up to 1 ms
		// before the send by the clients' nanosecond clocks.
		cfg.Delay.ClockError = cfg.ClockError + time.Millisecond
	}
	if cfg.Retry.MaxReconsumeTimes == 0 {
		cfg.Retry.MaxReconsumeTimes = d.spec.MaxReconsumeTimes
	}
	if cfg.Retry.RetryDelays == nil && len(levels) > 0 {
		// Retry k waits delay level 2+k (RocketMQ's 3 + reconsume times,
		// counted before the attempt), clamped to the table's last.
		for k := 1; k <= max(d.spec.MaxReconsumeTimes, 16); k++ {
			cfg.Retry.RetryDelays = append(cfg.Retry.RetryDelays, levels[min(k+1, len(levels)-1)])
		}
	}
	if cfg.Retry.ClockError == 0 {
		// Likewise a retry's delay, from the sent-back message's store
		// timestamp.
		cfg.Retry.ClockError = cfg.ClockError + time.Millisecond
	}
	if slices.Contains(d.features().Mix, Failing) {
		cfg.Retry.RequireDLQ = true
	}
	if d.spec.Broadcast {
		cfg.Delivery.BroadcastGroups = appendMissing(cfg.Delivery.BroadcastGroups, groups...)
		cfg.Retry.BroadcastGroups = appendMissing(cfg.Retry.BroadcastGroups, groups...)
	}
	if d.spec.Orderly {
		cfg.Ordering.OrderlyGroups = appendMissing(cfg.Ordering.OrderlyGroups, groups...)
		cfg.Retry.OrderlyGroups = appendMissing(cfg.Retry.OrderlyGroups, groups...)
	}
	if d.features().transactional() {
		cfg.Txn.Groups = appendMissing(cfg.Txn.Groups, slices.Concat(groups, []string{VerifyGroup})...)
		if cfg.Txn.MaxChecks == 0 {
			cfg.Txn.MaxChecks = bc.TransactionCheckMax
		}
	}
	return cfg
}

func (d *Deployment) problem(p string) { d.problems = append(d.problems, p) }

// note folds a workload action into the trace.
func (d *Deployment) note(what string) { noteOn(d.w, what) }

// quiescer is a producer that can stop sending and stay connected.
type quiescer interface{ quiesce() }

// brokerConfigOf is broker name's configuration as far as it does not
// depend on addresses (delay table, transaction timing).
func (d *Deployment) brokerConfigOf(name string) *config.Config {
	b, _ := d.node(name)
	bc, err := d.brokerConfig(b, "192.0.2.1", "192.0.2.2:9876")
	if err != nil {
		panic(fmt.Sprintf("mq: broker configuration checked by NewDeployment fails now: %v", err))
	}
	return bc
}

// validate checks o against the spec it overrides, for a node of role.
func (o *ClientOverrides) validate(spec Spec, role Role) error {
	producerSet := o.Interval != 0 || o.Window != 0 || o.Body != 0 || o.Mix != nil
	consumerSet := o.FailRate != 0 || o.ConsumeDelay != 0 || o.Group != "" || o.Subscription != ""
	switch {
	case role == RoleProducer && consumerSet:
		return fmt.Errorf("a producer takes interval, window, body and mix")
	case o.Group == VerifyGroup:
		return fmt.Errorf("group %q is the verification group's", o.Group)
	case role == RoleConsumer && producerSet:
		return fmt.Errorf("a consumer takes group, subscription, fail-rate and consume-delay")
	case role != RoleProducer && role != RoleConsumer:
		return fmt.Errorf("only clients take client settings")
	}
	s := o.apply(spec)
	s.Brokers, s.Producers, s.Consumers, s.Faults = 1, 1, 1, nil
	return s.Validate()
}

// putOrderConf records the topic's strict order, every broker with Queues
// queues, in the name server's KV config before it starts (what an
// operator's `mqadmin updateOrderConf` leaves in kvConfig.json), and turns
// orderMessageEnable on.
func (d *Deployment) putOrderConf(rt runtime.Runtime, cfg *nsserver.Config) error {
	cfg.OrderMessageEnable = true
	parts := make([]string, 0, len(d.brokers))
	for _, b := range slices.Sorted(slices.Values(d.brokers)) {
		parts = append(parts, fmt.Sprintf("%s:%d", b, d.spec.Queues))
	}
	kv, err := kvconfig.Open(rt.Disk(), cfg.KVConfigPath)
	if err != nil {
		return fmt.Errorf("mq deployment: order conf: %w", err)
	}
	if err := kv.Put(kvconfig.NamespaceOrderTopicConfig, d.spec.Topic, strings.Join(parts, ";")); err != nil {
		return fmt.Errorf("mq deployment: order conf: %w", err)
	}
	return nil
}
