package ha

import (
	"log/slog"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// onLoop runs fn on rt's loop and waits for it.
func onLoop(t *testing.T, rt runtime.Runtime, fn func()) {
	t.Helper()
	done := make(chan struct{})
	rt.Post(func() { fn(); close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("loop did not run the function")
	}
}

// TestReplicationOverRealSockets runs a master and a slave on the real
// runtime (loopback TCP, real files): the slave catches up with what the
// master stored before it came and follows what it stores after.
func TestReplicationOverRealSockets(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	mrt := realrt.New("master", realrt.Options{DataDir: t.TempDir(), Logger: quiet})
	var mn *masterNode
	err := mrt.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		st, err := store.Open(storeConfig(config.AsyncFlush), store.Options{FS: rt.Disk(), Clock: rt, Log: rt.Log(),
			Post: rt.Post, StoreHost: message.AddrV4(127, 0, 0, 1, 10911)})
		if err != nil {
			return nil, err
		}
		m := NewMaster(rt, st, DefaultConfig())
		if err := m.Listen("127.0.0.1:0"); err != nil {
			st.Close()
			return nil, err
		}
		mn = &masterNode{rt: rt, st: st, ha: m, acked: map[int64]int{}}
		return mn, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mrt.Stop()
	var addr string
	onLoop(t, mrt, func() { mn.put(300); addr = mn.ha.Addr() })

	srt := realrt.New("slave", realrt.Options{DataDir: t.TempDir(), Logger: quiet})
	var sn *slaveNode
	err = srt.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		st, err := store.Open(storeConfig(config.AsyncFlush), store.Options{FS: rt.Disk(), Clock: rt, Log: rt.Log(), Post: rt.Post})
		if err != nil {
			return nil, err
		}
		s := NewSlave(rt, st, DefaultConfig())
		s.SetMasterAddr(addr)
		sn = &slaveNode{st: st, ha: s}
		return sn, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srt.Stop()

	waitSame := func() int64 {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			var m, s int64
			onLoop(t, mrt, func() { m = mn.st.MaxPhyOffset() })
			onLoop(t, srt, func() { s = sn.st.MaxPhyOffset() })
			if m == s && m > 0 {
				return m
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("slave did not catch up within 20 s")
		return 0
	}
	waitSame()
	onLoop(t, mrt, func() { mn.put(500) })
	end := waitSame()
	var acked int64
	onLoop(t, mrt, func() { acked = mn.ha.SlaveAcked() })
	for i := 0; acked < end && i < 200; i++ {
		time.Sleep(10 * time.Millisecond)
		onLoop(t, mrt, func() { acked = mn.ha.SlaveAcked() })
	}
	if acked != end {
		t.Fatalf("master counts %d acknowledged, the slave holds %d", acked, end)
	}
}
