package mq

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/sim/simrt"
)

// TestCheckNodes: a deployment refuses node lists and overrides it could
// not run, naming the node.
func TestCheckNodes(t *testing.T) {
	base := func() []NodeSpec {
		return []NodeSpec{{Name: "ns", Role: RoleNamesrv}, {Name: "b", Role: RoleBroker},
			{Name: "p", Role: RoleProducer}, {Name: "c", Role: RoleConsumer}}
	}
	spec := DefaultSpec()
	require.NoError(t, CheckNodes(spec, base()))

	cases := []struct {
		edit func([]NodeSpec) []NodeSpec
		want string
	}{
		{func(n []NodeSpec) []NodeSpec { return n[:3] }, "at least one"},
		{func(n []NodeSpec) []NodeSpec { return append(n, NodeSpec{Name: "b", Role: RoleBroker}) }, `"b" twice`},
		{func(n []NodeSpec) []NodeSpec { return append(n, NodeSpec{Name: VerifierName, Role: RoleConsumer}) }, "verification"},
		{func(n []NodeSpec) []NodeSpec { n[1].Conf = map[string]string{"flushDiskTyp": "x"}; return n }, "flushDiskTyp"},
		{func(n []NodeSpec) []NodeSpec { n[2].Conf = map[string]string{"a": "b"}; return n }, "only brokers"},
		{func(n []NodeSpec) []NodeSpec { n[2].Client = &ClientOverrides{Mix: []MessageKind{Delay}}; return n }, "core clients"},
		{func(n []NodeSpec) []NodeSpec { n[2].Client = &ClientOverrides{FailRate: 0.1}; return n }, "a producer takes"},
		{func(n []NodeSpec) []NodeSpec { n[3].Client = &ClientOverrides{Window: 2}; return n }, "a consumer takes"},
		{func(n []NodeSpec) []NodeSpec { n[0].Role = "gateway"; return n }, `no role "gateway"`},
	}
	for _, c := range cases {
		err := CheckNodes(spec, c.edit(base()))
		require.ErrorContains(t, err, c.want, "case %q", c.want)
	}
}

// TestFeaturesFromOverrides: a mix set on one producer only still makes
// the whole deployment handle it: every producer answers check-backs,
// every consumer records acks one message at a time, the verification
// phase reads the dead letters and the checkers require them.
func TestFeaturesFromOverrides(t *testing.T) {
	spec := DefaultSpec()
	spec.Clients = CoreClients
	nodes := []NodeSpec{{Name: "ns", Role: RoleNamesrv}, {Name: "b", Role: RoleBroker},
		{Name: "p1", Role: RoleProducer}, {Name: "p2", Role: RoleProducer, Client: &ClientOverrides{Mix: []MessageKind{Commit, Failing}}},
		{Name: "c", Role: RoleConsumer}}
	d, err := NewDeployment(nil, spec, nodes, Options{})
	require.NoError(t, err)
	f := d.features()
	require.True(t, f.transactional())
	require.True(t, f.recordsAcks())
	require.Equal(t, 1, f.consumeBatchMax())
	cfg := d.CheckConfig()
	require.True(t, cfg.Retry.RequireDLQ)
	require.Contains(t, cfg.Txn.Groups, spec.Group)
	require.Contains(t, cfg.Txn.Groups, VerifyGroup)
	require.Len(t, cfg.Delay.Levels, 18, "the broker's default delay table")
	require.Equal(t, cfg.Delay.Levels[2], cfg.Retry.RetryDelays[0], "retry 1 waits delay level 3")
}

// TestTwoGroups: consumers in two groups each receive every message they
// subscribe to (each group split between its own members; the second
// group takes TagA only); the checkers judge both.
func TestTwoGroups(t *testing.T) {
	for _, clients := range []ClientKind{RawClients, CoreClients} {
		spec := DefaultSpec()
		spec.Clients = clients
		spec.Duration = 5 * time.Second
		spec.Drain = time.Minute
		nodes := []NodeSpec{{Name: "ns", Role: RoleNamesrv}, {Name: "b", Role: RoleBroker}, {Name: "p", Role: RoleProducer},
			{Name: "c1", Role: RoleConsumer}, {Name: "c2", Role: RoleConsumer},
			{Name: "d1", Role: RoleConsumer, Client: &ClientOverrides{Group: "other", Subscription: "TagA"}}}
		w := simrt.New(1, simrt.Options{})
		d := deployOn(t, w, spec, nodes, Options{}, len(nodes))
		w.RunFor(spec.Duration)
		res := d.Finish()
		require.True(t, res.Passed(), "%s: %v %s", clients, res.Problems, res.Report.Explain(5))
		require.Equal(t, []string{"other", spec.Group}, d.groups())
		got := map[string]map[string]bool{}
		tagA := 0
		for _, op := range res.Ops {
			if op.F == "send" && op.Type == "ok" && op.Tags == "TagA" {
				tagA++
			}
			if op.F == "receive" && op.Group == "other" {
				require.Equal(t, "TagA", op.Tags, "%s: group other subscribes TagA only", clients)
			}
			if op.F == "receive" {
				if got[op.Group] == nil {
					got[op.Group] = map[string]bool{}
				}
				got[op.Group][op.Key] = true
			}
		}
		acked := int(res.Metric("delivery", "acknowledged"))
		require.Positive(t, acked)
		require.Positive(t, tagA)
		require.GreaterOrEqual(t, len(got["other"]), tagA, "%s: group other", clients)
		require.GreaterOrEqual(t, len(got[spec.Group]), acked, "%s: group %s", clients, spec.Group)
	}
}

// TestGroupSubscriptionsAgree: the members of a group must subscribe alike.
func TestGroupSubscriptionsAgree(t *testing.T) {
	nodes := []NodeSpec{{Name: "ns", Role: RoleNamesrv}, {Name: "b", Role: RoleBroker}, {Name: "p", Role: RoleProducer},
		{Name: "c1", Role: RoleConsumer}, {Name: "c2", Role: RoleConsumer, Client: &ClientOverrides{Subscription: "TagB"}}}
	require.ErrorContains(t, CheckNodes(DefaultSpec(), nodes), "on another member")
}

// TestFailsAttempt: the listener's random failures follow the rate, and
// are a function of the message and attempt alone.
func TestFailsAttempt(t *testing.T) {
	fails := 0
	for i := range 10000 {
		key := fmt.Sprintf("k%d", i)
		if failsAttempt(key, 0, 0.1) {
			fails++
		}
		require.Equal(t, failsAttempt(key, 1, 0.3), failsAttempt(key, 1, 0.3))
		require.False(t, failsAttempt(key, 0, 0))
	}
	require.InDelta(t, 1000, fails, 150)
}

// deployOn adds nodes to w as spec's deployment (hosts 10.9.0.1, ...) and
// starts the first start of them; the rest are added but left down.
func deployOn(t *testing.T, w *simrt.World, spec Spec, nodes []NodeSpec, opts Options, start int) *Deployment {
	t.Helper()
	d, err := NewDeployment(w, spec, nodes, opts)
	require.NoError(t, err)
	for i, n := range nodes {
		nn, err := d.NewNode(n.Name)
		require.NoError(t, err)
		w.AddNode(n.Name, simrt.NodeConfig{Host: fmt.Sprintf("10.9.0.%d", i+1)}, nn)
	}
	for _, n := range nodes[:start] {
		w.Node(n.Name).Start()
		require.NoError(t, w.Node(n.Name).Err())
	}
	return d
}
