package server

import (
	"bytes"
	"compress/zlib"
	"hash/crc32"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"rocketsim/namesrv/kvconfig"
	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/remoting/remotingtest"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

const nsHost = "10.0.0.1"

type harness struct {
	t      *testing.T
	w      *remotingtest.World
	srv    *Server
	cli    *remoting.Endpoint
	cliRT  *remotingtest.Node
	conn   runtime.Conn
	logs   *bytes.Buffer
	disk   *simdisk.Disk
	nsAddr string
}

func newHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, w: remotingtest.NewWorld(), logs: &bytes.Buffer{}}
	h.disk = simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(7, 7)))
	rt := h.w.NewNode(nsHost, h.logs).WithDisk(h.disk.FS())
	cfg := DefaultConfig()
	cfg.BindAddress = nsHost
	if mod != nil {
		mod(&cfg)
	}
	srv, err := Start(rt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	h.nsAddr = cfg.ListenAddr()
	h.cliRT = h.w.NewNode("10.0.0.2", nil)
	h.cli = remoting.NewEndpoint(h.cliRT, remoting.Options{})
	h.conn = h.cli.Dial(h.nsAddr)
	return h
}

// call sends req on conn and runs the world until the answer arrives.
func (h *harness) callOn(conn runtime.Conn, req *remoting.Command) *remoting.Command {
	h.t.Helper()
	var resp *remoting.Command
	var err error
	if e := h.cli.Invoke(conn, req, 3*time.Second, func(r *remoting.Command, e error) { resp, err = r, e }); e != nil {
		h.t.Fatal(e)
	}
	h.w.RunFor(100 * time.Millisecond)
	if err != nil || resp == nil {
		h.t.Fatalf("%s: resp %v err %v", remoting.RequestName(req.Code), resp, err)
	}
	return resp
}

func (h *harness) call(code int16, ext map[string]string, body []byte) *remoting.Command {
	h.t.Helper()
	req := remoting.NewRequest(code, ext)
	req.Body = body
	return h.callOn(h.conn, req)
}

func registerReq(cluster, name, addr string, id int64, topics map[string]int) (map[string]string, []byte) {
	b := wire.RegisterBody{DataVersion: routes.DataVersion{Timestamp: 1, Counter: 1}, Topics: map[string]routes.TopicConfig{}}
	for tp, n := range topics {
		b.Topics[tp] = routes.TopicConfig{TopicName: tp, ReadQueueNums: n, WriteQueueNums: n, Perm: 6, TopicFilterType: "SINGLE_TAG"}
	}
	ext := map[string]string{"clusterName": cluster, "brokerName": name, "brokerAddr": addr, "brokerId": strconv.FormatInt(id, 10),
		"haServerAddr": addr + "1", "compressed": "false"}
	return ext, wire.EncodeRegisterBody(b, false)
}

func (h *harness) register(cluster, name, addr string, id int64, topics map[string]int) *remoting.Command {
	h.t.Helper()
	ext, body := registerReq(cluster, name, addr, id, topics)
	return h.call(remoting.ReqRegisterBroker, ext, body)
}

func expectCode(t *testing.T, resp *remoting.Command, code int16) {
	t.Helper()
	if resp.Code != code {
		t.Fatalf("code %s (%q), want %s", remoting.ResponseName(resp.Code), resp.Remark, remoting.ResponseName(code))
	}
}

func TestRegisterThenRouteInBothJSONForms(t *testing.T) {
	h := newHarness(t, nil)
	expectCode(t, h.register("DefaultCluster", "broker-a", "10.0.0.5:10911", 0, map[string]int{"T": 4, "TBW102": 8}), remoting.RespSuccess)
	slave := h.register("DefaultCluster", "broker-a", "10.0.0.6:10911", 1, nil)
	if slave.Ext("masterAddr") != "10.0.0.5:10911" || slave.Ext("haServerAddr") != "10.0.0.5:109111" {
		t.Fatalf("slave response %v", slave.ExtFields)
	}

	// Version 317, as rocketmq-client-go sends: fastjson's bare keys.
	req := remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "T"})
	req.Version = 317
	resp := h.callOn(h.conn, req)
	expectCode(t, resp, remoting.RespSuccess)
	want := `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.5:10911",1:"10.0.0.6:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],` +
		`"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
	if string(resp.Body) != want {
		t.Fatalf("route body\n got %s\nwant %s", resp.Body, want)
	}
	// Version >= V4_9_4: standard JSON.
	req = remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "T"})
	resp = h.callOn(h.conn, req)
	if !strings.Contains(string(resp.Body), `{"0":"10.0.0.5:10911","1":"10.0.0.6:10911"}`) {
		t.Fatalf("standard route body %s", resp.Body)
	}
	expectCode(t, h.call(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "nope"}, nil), remoting.RespTopicNotExist)
	expectCode(t, h.call(remoting.ReqGetRouteInfoByTopic, nil, nil), remoting.RespSystemError)
}

func TestCompressedRegistrationWithCRC(t *testing.T) {
	h := newHarness(t, nil)
	b := wire.RegisterBody{DataVersion: routes.DataVersion{Counter: 1}, Topics: map[string]routes.TopicConfig{
		"Z": {TopicName: "Z", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 6}}}
	body := wire.EncodeRegisterBody(b, true)
	ext := map[string]string{"clusterName": "c", "brokerName": "b", "brokerAddr": "10.0.0.7:10911", "brokerId": "0",
		"compressed": "true", "bodyCrc32": strconv.FormatInt(int64(crc32.ChecksumIEEE(body)&0x7fffffff), 10)}
	expectCode(t, h.call(remoting.ReqRegisterBroker, ext, body), remoting.RespSuccess)
	if _, ok := h.srv.Table().Route("Z"); !ok {
		t.Fatal("compressed registration not applied")
	}
	ext["bodyCrc32"] = "12345"
	resp := h.call(remoting.ReqRegisterBroker, ext, body)
	expectCode(t, resp, remoting.RespSystemError)
	if resp.Remark != "crc32 not match" {
		t.Fatalf("remark %q", resp.Remark)
	}
}

func TestRegisterHostileInput(t *testing.T) {
	h := newHarness(t, nil)
	ext, _ := registerReq("c", "b", "10.0.0.7:10911", 0, nil)
	resp := h.call(remoting.ReqRegisterBroker, ext, []byte(`{"topicConfigSerializeWrapper":{`))
	expectCode(t, resp, remoting.RespSystemError)
	if !strings.Contains(resp.Remark, "RegisterBrokerBody") {
		t.Fatalf("remark %q", resp.Remark)
	}
	ext["compressed"] = "true"
	expectCode(t, h.call(remoting.ReqRegisterBroker, ext, []byte("not zlib")), remoting.RespSystemError)
	ext["brokerId"] = "zero"
	resp = h.call(remoting.ReqRegisterBroker, ext, nil)
	expectCode(t, resp, remoting.RespSystemError)
	if !strings.Contains(resp.Remark, "brokerId") {
		t.Fatalf("remark %q", resp.Remark)
	}
	delete(ext, "brokerName")
	resp = h.call(remoting.ReqRegisterBroker, ext, nil)
	if !strings.Contains(resp.Remark, "brokerName") {
		t.Fatalf("remark %q", resp.Remark)
	}
	if len(h.srv.Table().LiveBrokers()) != 0 {
		t.Fatal("a rejected registration changed the table")
	}
}

func TestUnknownCodeAndBadFrames(t *testing.T) {
	h := newHarness(t, nil)
	resp := h.call(4242, nil, nil)
	expectCode(t, resp, remoting.RespRequestCodeNotSupported)
	if !strings.Contains(resp.Remark, "4242") {
		t.Fatalf("remark %q", resp.Remark)
	}
	bad := h.cli.Dial(h.nsAddr)
	h.w.RunFor(10 * time.Millisecond)
	// Bad JSON header on one connection; an oversize frame on another.
	bad.Send([]byte{0, 0, 0, 9, 0, 0, 0, 5, '{', 'x', 'x', 'x', '}'})
	big := h.cli.Dial(h.nsAddr)
	h.w.RunFor(10 * time.Millisecond)
	frame := remoting.Encode(&remoting.Command{Code: remoting.ReqGetAllTopicListFromNameserver, Body: make([]byte, runtime.MaxFrameSizeDefault)})
	big.Send(frame)
	h.w.RunFor(10 * time.Millisecond)
	logs := h.logs.String()
	if strings.Count(logs, "closing connection after undecodable frame") != 2 || !strings.Contains(logs, "bad JSON") || !strings.Contains(logs, "exceeds the maximum frame size") {
		t.Fatalf("logs:\n%s", logs)
	}
	// The server still serves the first connection.
	expectCode(t, h.call(remoting.ReqGetAllTopicListFromNameserver, nil, nil), remoting.RespSuccess)
	if bad.Send([]byte{0}) == nil {
		t.Fatal("server did not close the connection that sent a bad frame")
	}
}

func TestLivenessScanAndConnectionClose(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.ScanNotActiveBrokerInterval = 10 * time.Second
		c.BrokerChannelExpiredTime = 120 * time.Second
	})
	h.register("c", "a", "10.0.0.5:10911", 0, map[string]int{"T": 4})
	other := h.cli.Dial(h.nsAddr)
	ext, body := registerReq("c", "b", "10.0.0.6:10911", 0, map[string]int{"T": 4})
	req := remoting.NewRequest(remoting.ReqRegisterBroker, ext)
	req.Body = body
	h.callOn(other, req)

	// Broker b's connection closes: b is dropped at once.
	other.Close()
	h.w.RunFor(10 * time.Millisecond)
	if got := h.srv.Table().LiveBrokers(); !reflect.DeepEqual(got, []string{"10.0.0.5:10911"}) {
		t.Fatalf("live after close %v", got)
	}
	// Broker a re-registers every 30 s for a while, then goes silent.
	for i := 0; i < 4; i++ {
		h.w.RunFor(30 * time.Second)
		h.register("c", "a", "10.0.0.5:10911", 0, map[string]int{"T": 4})
	}
	silentSince := h.w.Now()
	for len(h.srv.Table().LiveBrokers()) > 0 && h.w.Now() < silentSince+5*time.Minute {
		h.w.RunFor(time.Second)
	}
	gone := h.w.Now() - silentSince
	if gone <= 120*time.Second || gone > 131*time.Second {
		t.Fatalf("expired %v after the last registration, want within (120s, 130s]", gone)
	}
	if _, ok := h.srv.Table().Route("T"); ok {
		t.Fatal("route outlived its brokers")
	}
	if !strings.Contains(h.logs.String(), "broker expired") {
		t.Fatal("no expiry log")
	}
}

func TestQueryDataVersionRefreshesLiveness(t *testing.T) {
	h := newHarness(t, nil)
	h.register("c", "a", "10.0.0.5:10911", 0, map[string]int{"T": 4})
	same := wire.EncodeDataVersion(routes.DataVersion{Timestamp: 1, Counter: 1})
	resp := h.call(remoting.ReqQueryDataVersion, map[string]string{"brokerAddr": "10.0.0.5:10911"}, same)
	expectCode(t, resp, remoting.RespSuccess)
	if resp.Ext("changed") != "false" || string(resp.Body) != string(same) {
		t.Fatalf("resp %v %s", resp.ExtFields, resp.Body)
	}
	newer := wire.EncodeDataVersion(routes.DataVersion{Timestamp: 2, Counter: 2})
	if r := h.call(remoting.ReqQueryDataVersion, map[string]string{"brokerAddr": "10.0.0.5:10911"}, newer); r.Ext("changed") != "true" {
		t.Fatalf("changed %q", r.Ext("changed"))
	}
	expectCode(t, h.call(remoting.ReqQueryDataVersion, map[string]string{"brokerAddr": "x"}, []byte("{")), remoting.RespSystemError)
	// Liveness: a broker that only queries its data version stays alive.
	for i := 0; i < 10; i++ {
		h.w.RunFor(30 * time.Second)
		h.call(remoting.ReqQueryDataVersion, map[string]string{"brokerAddr": "10.0.0.5:10911"}, same)
	}
	if len(h.srv.Table().LiveBrokers()) != 1 {
		t.Fatal("broker expired despite data-version heartbeats")
	}
}

func TestUnregisterBroker(t *testing.T) {
	h := newHarness(t, nil)
	h.register("c", "a", "10.0.0.5:10911", 0, map[string]int{"T": 4})
	expectCode(t, h.call(remoting.ReqUnregisterBroker, map[string]string{"clusterName": "c", "brokerName": "a", "brokerAddr": "10.0.0.5:10911", "brokerId": "0"}, nil), remoting.RespSuccess)
	expectCode(t, h.call(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "T"}, nil), remoting.RespTopicNotExist)
	expectCode(t, h.call(remoting.ReqUnregisterBroker, map[string]string{"clusterName": "c"}, nil), remoting.RespSystemError)
}

func TestTopicListsClusterInfoDeleteAndPerms(t *testing.T) {
	h := newHarness(t, nil)
	h.register("c1", "a", "10.0.0.5:10911", 0, map[string]int{"T": 4, "U": 4})
	h.register("c2", "b", "10.0.0.6:10911", 0, map[string]int{"T": 4, "W": 4})

	topics, _, err := wire.DecodeTopicList(h.call(remoting.ReqGetAllTopicListFromNameserver, nil, nil).Body)
	if err != nil || !reflect.DeepEqual(topics, []string{"T", "U", "W"}) {
		t.Fatalf("all topics %v %v", topics, err)
	}
	topics, _, _ = wire.DecodeTopicList(h.call(remoting.ReqGetTopicsByCluster, map[string]string{"cluster": "c2"}, nil).Body)
	if !reflect.DeepEqual(topics, []string{"T", "W"}) {
		t.Fatalf("c2 topics %v", topics)
	}
	topics, addr, _ := wire.DecodeTopicList(h.call(remoting.ReqGetSystemTopicListFromNS, nil, nil).Body)
	if !reflect.DeepEqual(topics, []string{"a", "b", "c1", "c2"}) || addr != "10.0.0.5:10911" {
		t.Fatalf("system topics %v %s", topics, addr)
	}
	ci, err := wire.DecodeClusterInfo(h.call(remoting.ReqGetBrokerClusterInfo, nil, nil).Body)
	if err != nil || len(ci.Brokers) != 2 || !reflect.DeepEqual(ci.Clusters, map[string][]string{"c1": {"a"}, "c2": {"b"}}) {
		t.Fatalf("cluster info %+v %v", ci, err)
	}

	resp := h.call(remoting.ReqWipeWritePermOfBroker, map[string]string{"brokerName": "a"}, nil)
	if resp.Ext("wipeTopicCount") != "2" {
		t.Fatalf("wipe %v", resp.ExtFields)
	}
	route, _ := wire.DecodeTopicRoute(h.call(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "U"}, nil).Body)
	if route.QueueDatas[0].Perm != routes.PermRead {
		t.Fatalf("perm after wipe %d", route.QueueDatas[0].Perm)
	}
	if r := h.call(remoting.ReqAddWritePermOfBroker, map[string]string{"brokerName": "a"}, nil); r.Ext("addTopicCount") != "2" {
		t.Fatalf("add %v", r.ExtFields)
	}

	expectCode(t, h.call(remoting.ReqDeleteTopicInNamesrv, map[string]string{"topic": "T", "clusterName": "c1"}, nil), remoting.RespSuccess)
	route, _ = wire.DecodeTopicRoute(h.call(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "T"}, nil).Body)
	if len(route.QueueDatas) != 1 || route.QueueDatas[0].BrokerName != "b" {
		t.Fatalf("T after cluster delete %+v", route)
	}
	expectCode(t, h.call(remoting.ReqDeleteTopicInNamesrv, map[string]string{"topic": "T"}, nil), remoting.RespSuccess)
	expectCode(t, h.call(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "T"}, nil), remoting.RespTopicNotExist)
}

func TestUnitTopicLists(t *testing.T) {
	h := newHarness(t, nil)
	b := wire.RegisterBody{Topics: map[string]routes.TopicConfig{
		"plain": {TopicName: "plain", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6},
		"unit":  {TopicName: "unit", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicSysFlag: 1},
		"sub":   {TopicName: "sub", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicSysFlag: 2},
		"both":  {TopicName: "both", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicSysFlag: 3},
	}}
	ext := map[string]string{"clusterName": "c", "brokerName": "a", "brokerAddr": "10.0.0.5:10911", "brokerId": "0"}
	expectCode(t, h.call(remoting.ReqRegisterBroker, ext, wire.EncodeRegisterBody(b, false)), remoting.RespSuccess)
	for code, want := range map[int16][]string{
		remoting.ReqGetUnitTopicList:             {"both", "unit"},
		remoting.ReqGetHasUnitSubTopicList:       {"both", "sub"},
		remoting.ReqGetHasUnitSubUnunitTopicList: {"sub"},
	} {
		got, _, _ := wire.DecodeTopicList(h.call(code, nil, nil).Body)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v want %v", remoting.RequestName(code), got, want)
		}
	}
}

func TestKVConfigAndOrderTopicConf(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.OrderMessageEnable = true })
	ns := kvconfig.NamespaceOrderTopicConfig
	expectCode(t, h.call(remoting.ReqPutKVConfig, map[string]string{"namespace": ns, "key": "T", "value": "a:4"}, nil), remoting.RespSuccess)
	expectCode(t, h.call(remoting.ReqPutKVConfig, map[string]string{"namespace": ns}, nil), remoting.RespSystemError)
	resp := h.call(remoting.ReqGetKVConfig, map[string]string{"namespace": ns, "key": "T"}, nil)
	if resp.Code != remoting.RespSuccess || resp.Ext("value") != "a:4" {
		t.Fatalf("get %v", resp)
	}
	expectCode(t, h.call(remoting.ReqGetKVConfig, map[string]string{"namespace": ns, "key": "nope"}, nil), remoting.RespQueryNotFound)
	list := h.call(remoting.ReqGetKVListByNamespace, map[string]string{"namespace": ns}, nil)
	if string(list.Body) != `{"table":{"T":"a:4"}}` {
		t.Fatalf("list %s", list.Body)
	}
	expectCode(t, h.call(remoting.ReqGetKVListByNamespace, map[string]string{"namespace": "none"}, nil), remoting.RespQueryNotFound)

	// Registration answers with the order config; routes carry it.
	reg := h.register("c", "a", "10.0.0.5:10911", 0, map[string]int{"T": 4})
	if string(reg.Body) != `{"table":{"T":"a:4"}}` {
		t.Fatalf("register body %s", reg.Body)
	}
	route, _ := wire.DecodeTopicRoute(h.call(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "T"}, nil).Body)
	if route.OrderTopicConf != "a:4" {
		t.Fatalf("orderTopicConf %q", route.OrderTopicConf)
	}

	expectCode(t, h.call(remoting.ReqDeleteKVConfig, map[string]string{"namespace": ns, "key": "T"}, nil), remoting.RespSuccess)
	expectCode(t, h.call(remoting.ReqGetKVConfig, map[string]string{"namespace": ns, "key": "T"}, nil), remoting.RespQueryNotFound)

	// A persist failure is an error response, not a silent success.
	h.disk.SetFsyncFailProb(1)
	expectCode(t, h.call(remoting.ReqPutKVConfig, map[string]string{"namespace": ns, "key": "X", "value": "1"}, nil), remoting.RespSystemError)
}

func TestNamesrvConfigGetAndUpdate(t *testing.T) {
	h := newHarness(t, nil)
	got := string(h.call(remoting.ReqGetNamesrvConfig, nil, nil).Body)
	if !strings.Contains(got, "listenPort=9876\n") || !strings.Contains(got, "scanNotActiveBrokerInterval=") {
		t.Fatalf("config dump:\n%s", got)
	}
	expectCode(t, h.call(remoting.ReqUpdateNamesrvConfig, nil, []byte("listenPort=1\n")), remoting.RespNoPermission)
	resp := h.call(remoting.ReqUpdateNamesrvConfig, nil, []byte("noSuchKey=1\n"))
	if resp.Code != remoting.RespSystemError || !strings.Contains(resp.Remark, "noSuchKey") {
		t.Fatalf("unknown key: %v", resp)
	}
	expectCode(t, h.call(remoting.ReqUpdateNamesrvConfig, nil, []byte("brokerChannelExpiredTime=5000\norderMessageEnable=true\n")), remoting.RespSuccess)
	if h.srv.cfg.BrokerChannelExpiredTime != 5*time.Second || !h.srv.cfg.OrderMessageEnable {
		t.Fatalf("config %+v", h.srv.cfg)
	}
}

func TestKVConfigSurvivesRestart(t *testing.T) {
	h := newHarness(t, nil)
	h.call(remoting.ReqPutKVConfig, map[string]string{"namespace": "ns", "key": "k", "value": "v"}, nil)
	h.srv.Stop()
	h.w.RunFor(10 * time.Millisecond)
	h.disk.PowerLoss()
	rt := h.w.NewNode(nsHost, nil).WithDisk(h.disk.FS())
	cfg := DefaultConfig()
	cfg.BindAddress = nsHost
	srv, err := Start(rt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := srv.kv.Get("ns", "k"); !ok || v != "v" {
		t.Fatalf("kv after restart: %q %v", v, ok)
	}
}

func TestEmptyCompressedRegisterBodyRejected(t *testing.T) {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Close()
	if _, err := wire.DecodeRegisterBody(b.Bytes(), true); err == nil {
		t.Fatal("empty compressed body accepted")
	}
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	h := newHarness(t, nil)
	h.register("c", "a", "10.0.0.5:10911", 0, map[string]int{"T": 4})
	quiet := h.cli.Dial(h.nsAddr)
	h.w.RunFor(10 * time.Millisecond)
	// The registered broker's connection stays busy; the quiet one does not.
	for i := 0; i < 5; i++ {
		h.w.RunFor(30 * time.Second)
		h.register("c", "a", "10.0.0.5:10911", 0, map[string]int{"T": 4})
	}
	if quiet.Send(remoting.Encode(remoting.NewRequest(remoting.ReqGetAllTopicListFromNameserver, nil))) == nil {
		t.Fatal("idle connection still open after 150 s")
	}
	if len(h.srv.Table().LiveBrokers()) != 1 {
		t.Fatal("the busy broker was dropped")
	}
	if !strings.Contains(h.logs.String(), "closing idle connection") {
		t.Fatal("no log for the idle close")
	}
}
