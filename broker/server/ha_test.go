package server_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/server"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

const (
	slaveHost = "10.0.0.4"
	slaveAddr = slaveHost + ":10911"
)

// haEnv is newEnv's name server, master and client plus a slave of the
// same brokerName. The slave learns its master from the name server.
type haEnv struct {
	*env
	slave *simrt.Node
	// slaveKV are the slave's own broker.conf keys.
	slaveKV map[string]string
}

func newHAEnv(t *testing.T, seed uint64, masterKV map[string]string, withSlave bool) *haEnv {
	kv := map[string]string{"brokerRole": "SYNC_MASTER", "flushDiskType": "ASYNC_FLUSH"}
	for k, v := range masterKV {
		kv[k] = v
	}
	e := &haEnv{env: newEnv(t, seed, kv)}
	if withSlave {
		e.startSlave()
	}
	return e
}

func (e *haEnv) startSlave() {
	e.addSlave()
	// Registration (at once), the HA connection, and the first table
	// copies (at once, then every 10 s).
	e.w.RunFor(12 * time.Second)
}

func (e *haEnv) addSlave() {
	kv := map[string]string{"brokerRole": "SLAVE", "brokerId": "1", "brokerIP1": slaveHost, "flushDiskType": "ASYNC_FLUSH"}
	for k, v := range e.slaveKV {
		kv[k] = v
	}
	cfg := brokerConfig(e.t, kv)
	e.slave = e.w.AddNode("broker-a-s", simrt.NodeConfig{Host: slaveHost}, server.New(cfg))
	e.slave.Start()
	require.NoError(e.t, e.slave.Err())
}

// A slave copies its master's tables as soon as it learns the master, not
// at the next period: a master that dies within it would leave its slave
// without the topics its consumers need.
func TestSlaveCopiesTablesOnceItKnowsItsMaster(t *testing.T) {
	e := newHAEnv(t, 8, nil, false)
	r := e.send("Early", 0, "x")
	require.Equal(t, remoting.RespSlaveNotAvailable, r.Code, code(r))
	e.addSlave()
	e.w.RunFor(2 * time.Second)
	require.Equal(t, 1, e.s().SlaveSyncRounds()["topics"])
	_, ok := e.s().Topics().Get("Early")
	require.True(t, ok, "the slave lacks its master's topic")
}

func (e *haEnv) s() *server.Broker { return e.slave.Value().(*server.Broker) }

func TestSlaveRegistersAsBrokerIDOneAndFollowsTheMaster(t *testing.T) {
	e := newHAEnv(t, 1, nil, false)
	e.slaveKV = map[string]string{"slaveReadEnable": "true"}
	e.startSlave()
	require.True(t, e.s().HASlave().Connected(), "slave did not connect to the master's HA port")
	require.Equal(t, brokerHost+":10912", e.s().HASlave().MasterAddr(), "HA address learned from the name server")

	r := e.send("TopicHA", 1, "hello")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))

	route := e.invokeNS(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "TopicHA"})
	require.Equal(t, remoting.RespSuccess, route.Code, code(route))
	var rd struct {
		BrokerDatas []struct {
			BrokerName  string            `json:"brokerName"`
			BrokerAddrs map[string]string `json:"brokerAddrs"`
		} `json:"brokerDatas"`
	}
	require.NoError(t, json.Unmarshal(route.Body, &rd))
	require.Len(t, rd.BrokerDatas, 1)
	require.Equal(t, map[string]string{"0": brokerAddr, "1": slaveAddr}, rd.BrokerDatas[0].BrokerAddrs)

	// The slave serves the message once it copied the topic table.
	e.w.RunFor(11 * time.Second)
	require.GreaterOrEqual(t, e.s().SlaveSyncRounds()["topics"], 1)
	ext := pullExt("g", "TopicHA", 1, 0, 4, 0) // the subscription travels with the pull
	ext["subscription"] = "*"
	pull := e.invokeOnAddr(slaveAddr, remoting.ReqPullMessage, ext, nil)
	require.Equal(t, remoting.RespSuccess, pull.Code, code(pull))
	recs := decodeRecords(t, pull.Body)
	require.Len(t, recs, 1)
	require.Equal(t, "hello", string(recs[0].Body))
}

// A slave without slaveReadEnable serves no reads, as in Java: its answer
// is PULL_RETRY_IMMEDIATELY, suggesting the master, with the offset past
// what it found (a client that knows no master moves past them).
func TestSlaveWithoutSlaveReadEnableServesNoReads(t *testing.T) {
	e := newHAEnv(t, 9, nil, true)
	for _, body := range []string{"a", "b"} {
		r := e.send("TopicNR", 1, body)
		require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	}
	e.w.RunFor(11 * time.Second) // the slave copies the topic table
	ext := pullExt("g", "TopicNR", 1, 0, 4, 0)
	ext["subscription"] = "*"
	pull := e.invokeOnAddr(slaveAddr, remoting.ReqPullMessage, ext, nil)
	require.Equal(t, remoting.RespPullRetryImmediately, pull.Code, code(pull))
	require.Empty(t, pull.Body)
	require.Equal(t, "0", pull.Ext("suggestWhichBrokerId"))
	require.Equal(t, "2", pull.Ext("nextBeginOffset"))
	// The master serves them.
	pull = e.invokeOnAddr(brokerAddr, remoting.ReqPullMessage, ext, nil)
	require.Equal(t, remoting.RespSuccess, pull.Code, code(pull))
	require.Len(t, decodeRecords(t, pull.Body), 2)
}

func (e *haEnv) invokeOnAddr(addr string, code int16, ext map[string]string, body []byte) *remoting.Command {
	e.t.Helper()
	cmd := remoting.NewRequest(code, ext)
	cmd.Body = body
	cl := e.start(addr, cmd, 10*time.Second)
	require.True(e.t, e.w.RunUntil(func() bool { return cl.done }, 15*time.Second))
	require.NoError(e.t, cl.err)
	return cl.resp
}

func TestFollowingSlaveRefusesSendsAndKeepsItsLogACopy(t *testing.T) {
	e := newHAEnv(t, 2, nil, true)
	r := e.invokeOnAddr(slaveAddr, remoting.ReqSendMessage, map[string]string{
		"producerGroup": "pg", "topic": "T", "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
		"queueId": "0", "sysFlag": "0", "bornTimestamp": "1700000000000", "flag": "0",
		"properties": props(), "reconsumeTimes": "0", "unitMode": "false", "maxReconsumeTimes": "0",
	}, []byte("x"))
	require.Equal(t, remoting.RespServiceNotAvailable, r.Code, code(r))
	require.Equal(t, int64(0), e.s().Store().MaxPhyOffset(), "slave stored a send")
	r = e.send("T", 0, "y")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	e.w.RunFor(time.Second)
	require.Equal(t, e.b().Store().MaxPhyOffset(), e.s().Store().MaxPhyOffset())
}

func TestSyncMasterAnswersAfterTheSlave(t *testing.T) {
	e := newHAEnv(t, 3, map[string]string{"syncFlushTimeout": "2000"}, true)
	r := e.send("T", 0, "one")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.GreaterOrEqual(t, e.b().HA().SlaveAcked(), e.b().Store().MaxPhyOffset(), "answered before the slave had it")

	// Partitioned from its slave, the master waits syncFlushTimeout and
	// answers FLUSH_SLAVE_TIMEOUT; the message is stored all the same.
	require.NoError(t, e.w.Net().Partition([]string{"broker-a"}, []string{"broker-a-s"}))
	before := e.b().Store().MaxPhyOffset()
	start := e.w.Now()
	r = e.send("T", 0, "two")
	require.Equal(t, remoting.RespFlushSlaveTimeout, r.Code, code(r))
	require.GreaterOrEqual(t, e.w.Now()-start, 2*time.Second)
	require.NotEmpty(t, r.Ext("msgId"), "a FLUSH_SLAVE_TIMEOUT answer carries the message id")
	_, err := strconv.ParseInt(r.Ext("queueOffset"), 10, 64)
	require.NoError(t, err)
	require.Greater(t, e.b().Store().MaxPhyOffset(), before)

	// Past haHousekeepingInterval the master drops the silent slave: no
	// slave, SLAVE_NOT_AVAILABLE at once.
	e.w.RunFor(30 * time.Second)
	start = e.w.Now()
	r = e.send("T", 0, "three")
	require.Equal(t, remoting.RespSlaveNotAvailable, r.Code, code(r))
	require.Less(t, e.w.Now()-start, time.Second)

	// Healed, the slave reconnects, catches up, and sends succeed again.
	e.w.Net().Heal()
	e.w.RunFor(15 * time.Second)
	r = e.send("T", 0, "four")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, e.b().Store().MaxPhyOffset(), e.s().Store().MaxPhyOffset())
}

func TestSyncMasterWithoutSlave(t *testing.T) {
	e := newHAEnv(t, 4, nil, false)
	r := e.send("T", 0, "alone")
	require.Equal(t, remoting.RespSlaveNotAvailable, r.Code, code(r))
	require.NotEmpty(t, r.Ext("msgId"))
}

func TestAsyncMasterDoesNotWait(t *testing.T) {
	e := newHAEnv(t, 5, map[string]string{"brokerRole": "ASYNC_MASTER"}, false)
	r := e.send("T", 0, "alone")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
}

// A delayed message is delivered by the master alone; the slave gets both
// records through replication and its schedule service stays idle (Java
// runs none on a slave; its puts would be refused).
func TestSlaveDoesNotDeliverDelayedMessages(t *testing.T) {
	e := newHAEnv(t, 6, map[string]string{"messageDelayLevel": "1s 2s"}, true)
	r := e.send("TD", 0, "later", "DELAY", "1")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	e.w.RunFor(5 * time.Second)
	require.Equal(t, int64(1), e.b().Schedule().Stats.Delivered)
	require.Equal(t, int64(0), e.s().Schedule().Stats.Delivered)
	require.Equal(t, int64(0), e.s().Schedule().Stats.PutFailures, "the slave tried to deliver")
	require.Zero(t, e.s().Stats().SlavePutsRefused)
	require.Equal(t, e.b().Store().MaxPhyOffset(), e.s().Store().MaxPhyOffset())
	require.Equal(t, int64(1), e.s().Store().MaxOffsetInQueue("TD", 0), "the delivered message reached the slave")
}

// Transactions are checked by the master only: the slave holds the same
// half messages but asks no producer and re-puts nothing.
func TestSlaveChecksNoTransaction(t *testing.T) {
	e := newHAEnv(t, 7, nil, true)
	r := e.sendHalf("h1")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	e.w.RunFor(2 * time.Minute)
	require.Equal(t, e.b().Store().MaxPhyOffset(), e.s().Store().MaxPhyOffset())
	require.Positive(t, e.b().Transactions().Stats.Checks, "the master never checked: the test shows nothing")
	st := e.s().Transactions().Stats
	require.Positive(t, st.Rounds)
	require.Zero(t, st.Checks, "the slave checked a transaction")
	require.Zero(t, e.s().Stats().SlavePutsRefused, "the slave's transaction service tried to put")
}

// A slave copies its master's delay offsets (Java's syncDelayOffset), so
// that, restarted as master after its master is gone (4.x's manual
// failover), it resumes delivery where the master was instead of
// delivering the same delayed messages again.
func TestSlaveKeepsDelayOffsetsForFailover(t *testing.T) {
	e := newHAEnv(t, 10, map[string]string{"messageDelayLevel": "1s 2s"}, false)
	kv := map[string]string{"brokerRole": "SLAVE", "brokerId": "1", "brokerIP1": slaveHost,
		"flushDiskType": "ASYNC_FLUSH", "messageDelayLevel": "1s 2s"}
	e.slave = e.w.AddNode("broker-a-s", simrt.NodeConfig{Host: slaveHost}, func(r runtime.Runtime) (runtime.Node, error) {
		return server.New(brokerConfig(t, kv))(r)
	})
	e.slave.Start()
	require.NoError(t, e.slave.Err())
	e.w.RunFor(12 * time.Second)

	r := e.send("TD", 0, "later", "DELAY", "1")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	e.w.RunFor(25 * time.Second) // delivered, persisted, copied
	require.Equal(t, int64(1), e.b().Schedule().Stats.Delivered)
	require.Equal(t, int64(1), e.b().Schedule().Offsets()[1])
	require.Equal(t, e.b().Schedule().Offsets(), e.s().Schedule().Offsets(), "the slave's delay offsets")
	require.GreaterOrEqual(t, e.s().SlaveSyncRounds()["delay"], 1)
	require.Zero(t, e.s().Schedule().Stats.Delivered)

	// The master goes; the slave comes back as the master.
	e.broker.Stop()
	e.slave.Stop()
	kv["brokerRole"], kv["brokerId"] = "ASYNC_MASTER", "0"
	e.slave.Start()
	require.NoError(t, e.slave.Err())
	e.w.RunFor(10 * time.Second)
	require.Equal(t, int64(1), e.s().Schedule().Offsets()[1], "the promoted slave's level 1 offset")
	require.Zero(t, e.s().Schedule().Stats.Delivered, "the promoted slave delivered the delayed message again")
	require.Equal(t, int64(1), e.s().Store().MaxOffsetInQueue("TD", 0), "one copy of the delivered message")
}

// Topics and groups deleted on the master go from the slave at its next
// copy (Java replaces the slave's tables with the master's).
func TestSlaveDropsTopicsAndGroupsTheMasterDeleted(t *testing.T) {
	e := newHAEnv(t, 11, nil, true)
	r := e.send("Gone", 0, "x")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	r = e.invoke(remoting.ReqUpdateAndCreateSubscriptionGroup, nil, []byte(`{"groupName":"gone-group","consumeEnable":true}`))
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	e.w.RunFor(11 * time.Second)
	_, ok := e.s().Topics().Get("Gone")
	require.True(t, ok, "the slave did not copy the topic")
	_, ok = e.s().Groups().Get("gone-group")
	require.True(t, ok, "the slave did not copy the group")

	r = e.invoke(remoting.ReqDeleteTopicInBroker, map[string]string{"topic": "Gone"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	r = e.invoke(remoting.ReqDeleteSubscriptionGroup, map[string]string{"groupName": "gone-group"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	e.w.RunFor(11 * time.Second)
	_, ok = e.s().Topics().Get("Gone")
	require.False(t, ok, "the slave kept a topic its master deleted")
	_, ok = e.s().Groups().Get("gone-group")
	require.False(t, ok, "the slave kept a group its master deleted")
	_, ok = e.s().Topics().Get("SCHEDULE_TOPIC_XXXX")
	require.True(t, ok, "the slave lost a system topic")
}
