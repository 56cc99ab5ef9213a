package registrar_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"rocketsim/namesrv/registrar"
	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/server"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/remoting/remotingtest"
	"rocketsim/sim/simdisk"
)

type setup struct {
	w       *remotingtest.World
	servers []*server.Server
	addrs   []string
}

func newSetup(t *testing.T, n int) *setup {
	s := &setup{w: remotingtest.NewWorld()}
	for i := 0; i < n; i++ {
		host := "10.0.0." + string(rune('1'+i))
		d := simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, uint64(i))))
		cfg := server.DefaultConfig()
		cfg.BindAddress = host
		srv, err := server.Start(s.w.NewNode(host, nil).WithDisk(d.FS()), cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.servers = append(s.servers, srv)
		s.addrs = append(s.addrs, cfg.ListenAddr())
	}
	return s
}

type outcome struct {
	ns   string
	code int16
	err  error
}

func (s *setup) broker(host, name string, id int64, compressed bool, topics *map[string]routes.TopicConfig, log *[]outcome) *registrar.Registrar {
	rt := s.w.NewNode(host, nil)
	ep := remoting.NewEndpoint(rt, remoting.Options{})
	r := registrar.New(rt, ep, registrar.Options{
		NameServers: s.addrs, Cluster: "c", BrokerName: name, BrokerAddr: host + ":10911", BrokerID: id,
		HAServerAddr: host + ":10912", Compressed: compressed,
		OnResult: func(ns string, resp *remoting.Command, err error) {
			o := outcome{ns: ns, err: err}
			if resp != nil {
				o.code = resp.Code
			}
			*log = append(*log, o)
		},
	}, func() wire.RegisterBody {
		return wire.RegisterBody{DataVersion: routes.DataVersion{Counter: int64(len(*topics))}, Topics: *topics}
	})
	r.Start()
	return r
}

func TestRegistersEverywhereEveryPeriodAndUnregistersOnStop(t *testing.T) {
	s := newSetup(t, 2)
	topics := map[string]routes.TopicConfig{"T": {TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6, TopicSysFlag: 1}}
	var log []outcome
	master := s.broker("10.0.1.1", "a", 0, false, &topics, &log)
	s.w.RunFor(100 * time.Millisecond)
	if len(log) != 2 || log[0].ns != s.addrs[0] || log[1].ns != s.addrs[1] || log[0].code != remoting.RespSuccess {
		t.Fatalf("first round %+v", log)
	}
	s.w.RunFor(registrar.PeriodDefault)
	if len(log) != 4 {
		t.Fatalf("after one period: %d results", len(log))
	}
	for _, srv := range s.servers {
		r, ok := srv.Table().Route("T")
		if !ok || r.QueueDatas[0].TopicSysFlag != 1 {
			t.Fatalf("route %+v %v", r, ok)
		}
	}

	// A new topic reaches the name servers at the next RegisterNow.
	topics["U"] = routes.TopicConfig{TopicName: "U", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}
	master.RegisterNow()
	s.w.RunFor(100 * time.Millisecond)
	for _, srv := range s.servers {
		if got := srv.Table().Topics(); !reflect.DeepEqual(got, []string{"T", "U"}) {
			t.Fatalf("topics %v", got)
		}
	}

	// A slave learns its master's addresses from the response.
	var slaveLog []outcome
	slave := s.broker("10.0.1.2", "a", 1, true, &topics, &slaveLog)
	s.w.RunFor(100 * time.Millisecond)
	if slave.MasterAddr() != "10.0.1.1:10911" || slave.HAServerAddr() != "10.0.1.1:10912" {
		t.Fatalf("slave sees master %q ha %q", slave.MasterAddr(), slave.HAServerAddr())
	}

	master.Stop()
	s.w.RunFor(100 * time.Millisecond)
	for _, srv := range s.servers {
		if got := srv.Table().LiveBrokers(); !reflect.DeepEqual(got, []string{"10.0.1.2:10911"}) {
			t.Fatalf("live after master stop %v", got)
		}
	}
	n := len(log)
	s.w.RunFor(2 * registrar.PeriodDefault)
	if len(log) != n {
		t.Fatal("a stopped registrar kept registering")
	}
}

func TestRedialsAfterNameServerComesBack(t *testing.T) {
	s := newSetup(t, 1)
	topics := map[string]routes.TopicConfig{"T": {TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}}
	var log []outcome
	s.broker("10.0.1.1", "a", 0, false, &topics, &log)
	s.w.RunFor(100 * time.Millisecond)
	s.servers[0].Stop() // closes every connection
	s.w.RunFor(100 * time.Millisecond)
	if len(s.servers[0].Table().LiveBrokers()) != 0 {
		t.Fatal("broker kept after its connection closed")
	}
	// The next round fails (nobody listens), the one after succeeds on a
	// fresh connection to the restarted server.
	s.w.RunFor(registrar.PeriodDefault)
	d := simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(9, 9)))
	cfg := server.DefaultConfig()
	cfg.BindAddress = "10.0.0.1"
	srv, err := server.Start(s.w.NewNode("10.0.0.1", nil).WithDisk(d.FS()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.w.RunFor(registrar.PeriodDefault)
	if got := srv.Table().LiveBrokers(); len(got) != 1 {
		t.Fatalf("not re-registered: %v; results %+v", got, log)
	}
	if log[1].err == nil {
		t.Fatalf("the round while the server was down succeeded: %+v", log)
	}
}

// TestChangeDuringRegistrationIsSentAfterIt: a RegisterNow made while the
// previous registration awaits its answer is not dropped until the next
// period; the name servers get the new table right after that answer.
func TestChangeDuringRegistrationIsSentAfterIt(t *testing.T) {
	s := newSetup(t, 2)
	topics := map[string]routes.TopicConfig{"T": {TopicName: "T", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}}
	var log []outcome
	r := s.broker("10.0.1.1", "a", 0, false, &topics, &log) // Start: first registration in flight
	topics["U"] = routes.TopicConfig{TopicName: "U", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}
	r.RegisterNow() // finds both in flight
	s.w.RunFor(100 * time.Millisecond)
	if len(log) != 4 {
		t.Fatalf("want the first registration and one follow-up per name server, got %+v", log)
	}
	for _, srv := range s.servers {
		if got := srv.Table().Topics(); !reflect.DeepEqual(got, []string{"T", "U"}) {
			t.Fatalf("a change made during a registration waits for the next period: topics %v", got)
		}
	}
	// Nothing more until the period.
	s.w.RunFor(time.Second)
	if len(log) != 4 {
		t.Fatalf("follow-ups repeat: %d results", len(log))
	}
}
