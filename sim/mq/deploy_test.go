package mq

import (
	"testing"

	"github.com/stretchr/testify/require"
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
