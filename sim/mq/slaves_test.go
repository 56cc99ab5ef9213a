package mq

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/jepsen/check"
	"rocketsim/sim/simrt"
)

func slaveNodes() []NodeSpec {
	return []NodeSpec{{Name: "ns", Role: RoleNamesrv},
		{Name: "b", Role: RoleBroker, Conf: map[string]string{"brokerRole": "SYNC_MASTER", "flushDiskType": "ASYNC_FLUSH"}},
		{Name: "b-s", Role: RoleBroker, Conf: map[string]string{"brokerRole": "SLAVE", "brokerId": "1", "brokerName": "b",
			"flushDiskType": "ASYNC_FLUSH", "slaveReadEnable": "true"}},
		{Name: "p", Role: RoleProducer}, {Name: "c", Role: RoleConsumer}}
}

// TestSlaveNodesChecked: slaves follow a master of the deployment, need
// core clients, and are no raw target.
func TestSlaveNodesChecked(t *testing.T) {
	spec := DefaultSpec()
	spec.Clients = CoreClients
	d, err := NewDeployment(nil, spec, slaveNodes(), Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"b"}, d.Brokers())
	require.Equal(t, []string{"b-s"}, d.Slaves())

	require.ErrorContains(t, CheckNodes(DefaultSpec(), slaveNodes()), "clients: core")
	orphan := slaveNodes()
	orphan[2].Conf["brokerName"] = "x"
	require.ErrorContains(t, CheckNodes(spec, orphan), `brokerName "x"`)
}

// TestConsumerReadsFromSlaveWhileMasterDown: a consumer that starts while
// the master is down reads every acknowledged message from the slave (the
// route has no master, the client takes the slave); after the master is
// back, the run passes every checker (a process crash loses nothing).
func TestConsumerReadsFromSlaveWhileMasterDown(t *testing.T) {
	spec := DefaultSpec()
	spec.Clients = CoreClients
	spec.Duration = 10 * time.Second
	spec.Drain = 2 * time.Minute
	nodes := slaveNodes()
	w := simrt.New(3, simrt.Options{})
	d := deployOn(t, w, spec, nodes, Options{}, 4)
	w.RunFor(spec.Duration)
	w.Node("p").Stop()
	w.RunFor(spec.Timeout)
	w.Node("b").Crash()
	down := w.Now()
	w.RunFor(5 * time.Second)
	w.Node("c").Start()
	require.NoError(t, w.Node("c").Err())
	w.RunFor(40 * time.Second)
	up := w.Now()
	w.Node("b").Restart()
	require.NoError(t, w.Node("b").Err())
	w.Node("p").Start()
	w.RunFor(5 * time.Second)
	res := d.Finish()
	require.True(t, res.Passed(), "%v %s", res.Problems, res.Report.Explain(5))

	acked := map[string]bool{}
	readWhileDown := map[string]bool{}
	for _, op := range res.Ops {
		if op.F == "send" && op.Type == "ok" && op.SimTime < int64(down) {
			acked[op.Key] = true
		}
		if op.F == "receive" && op.Group == spec.Group && op.SimTime > int64(down) && op.SimTime < int64(up) {
			readWhileDown[op.Key] = true
		}
	}
	require.NotEmpty(t, acked)
	missing := 0
	for k := range acked {
		if !readWhileDown[k] {
			missing++
		}
	}
	firstRead := int64(0)
	for _, op := range res.Ops {
		if op.F == "receive" && op.Group == spec.Group && firstRead == 0 {
			firstRead = op.SimTime
		}
	}
	t.Logf("acked %d, read while down %d, missing %d, first read at %v", len(acked), len(readWhileDown), missing, time.Duration(firstRead))
	for k := range acked {
		require.True(t, readWhileDown[k], "acknowledged %s not read from the slave while the master was down", k)
	}
}

// TestSyncMasterPowerLossAckedOnSlave: under SYNC_MASTER + ASYNC_FLUSH a
// master that loses power loses its unflushed tail, acknowledged or not;
// every acknowledged message is on the slave, and a consumer that reads
// while the master is down gets each one. (Once the master is back,
// 4.x serves its shorter log again: the verifier, reading masters, misses
// the lost tail; see scenarios/mq-sync-master-slave.yaml.)
func TestSyncMasterPowerLossAckedOnSlave(t *testing.T) {
	spec := DefaultSpec()
	spec.Clients = CoreClients
	spec.Drain = 2 * time.Minute
	nodes := slaveNodes()
	w := simrt.New(4, simrt.Options{})
	d := deployOn(t, w, spec, nodes, Options{}, 4)
	w.RunFor(10 * time.Second)
	w.Node("b").PowerLoss() // mid-stream: sends in flight, the last ones unflushed
	down := w.Now()
	w.Node("p").Stop()
	// Started once the name server dropped the master (else the route it
	// gets first still names the master, until its next poll in 30 s).
	w.RunFor(5 * time.Second)
	w.Node("c").Start()
	require.NoError(t, w.Node("c").Err())
	w.RunFor(40 * time.Second)
	up := w.Now()
	w.Node("b").Restart()
	require.NoError(t, w.Node("b").Err())
	w.RunFor(5 * time.Second)
	res := d.Finish()

	acked := map[string]bool{}
	readWhileDown := map[string]bool{}
	for _, op := range res.Ops {
		if op.F == "send" && op.Type == "ok" && op.SimTime <= int64(down) {
			acked[op.Key] = true
		}
		if op.F == "receive" && op.Group == spec.Group && op.SimTime > int64(down) && op.SimTime < int64(up) {
			readWhileDown[op.Key] = true
		}
	}
	require.NotEmpty(t, acked)
	for k := range acked {
		require.True(t, readWhileDown[k], "acknowledged %s not on the slave", k)
	}
	t.Logf("acknowledged %d before the power loss, all read from the slave; the verifier (masters) misses %d", len(acked), res.Lost())
}

// TestSlaveWithoutReadEnableMakesConsumersSkip: RocketMQ 4.x's default
// (slaveReadEnable=false) while a master is down: its slave answers every
// pull PULL_RETRY_IMMEDIATELY with the offset past what it holds, and a
// consumer that falls back to it moves past those messages without them.
// The delivery checker sees the group lose what the verifier (reading the
// master once it is back) finds: the checker catches a real 4.x pitfall.
func TestSlaveWithoutReadEnableMakesConsumersSkip(t *testing.T) {
	spec := DefaultSpec()
	spec.Clients = CoreClients
	spec.Drain = 2 * time.Minute
	nodes := slaveNodes()
	delete(nodes[2].Conf, "slaveReadEnable")
	w := simrt.New(3, simrt.Options{})
	// The group's subscription said outright: the checker infers one
	// from what a group received, and this group receives nothing.
	opts := Options{Check: check.Config{Delivery: check.DeliveryOptions{
		Subscriptions: map[string][]string{spec.Group: {spec.Topic + ":*"}}}}}
	d := deployOn(t, w, spec, nodes, opts, 4)
	w.RunFor(10 * time.Second)
	w.Node("p").Stop()
	w.RunFor(spec.Timeout)
	w.Node("b").Crash()
	w.RunFor(5 * time.Second)
	w.Node("c").Start()
	require.NoError(t, w.Node("c").Err())
	w.RunFor(40 * time.Second)
	w.Node("b").Restart()
	require.NoError(t, w.Node("b").Err())
	w.RunFor(10 * time.Second)
	res := d.Finish()
	require.Zero(t, res.Lost(), "a process crash lost nothing: the verifier reads all from the master")
	lost := int(res.Metric("delivery", "lost:"+spec.Group))
	require.Positive(t, lost, "the group skipped nothing: the slave served reads without slaveReadEnable")
	t.Logf("the group skipped %d acknowledged messages on the slave", lost)
}
