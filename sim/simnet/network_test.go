package simnet

import (
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"rocketsim/runtime"
)

// fakeKernel is the smallest event loop the network can run on: a list of
// callbacks kept sorted by (time, sequence). No pauses.
type fakeKernel struct {
	now   time.Duration
	seq   int
	evs   []fakeEvent
	notes []string
}

type fakeEvent struct {
	at  time.Duration
	seq int
	fn  func()
}

func (k *fakeKernel) Now() time.Duration { return k.now }
func (k *fakeKernel) Schedule(at time.Duration, _ int, fn func()) {
	k.seq++
	k.evs = append(k.evs, fakeEvent{max(at, k.now), k.seq, fn})
	slices.SortFunc(k.evs, func(a, b fakeEvent) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.seq - b.seq
	})
}
func (k *fakeKernel) Note(what string, _ uint64) { k.notes = append(k.notes, what) }
func (k *fakeKernel) Rand(purpose string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(1, h.Sum64()))
}

func (k *fakeKernel) run(d time.Duration) {
	end := k.now + d
	for len(k.evs) > 0 && k.evs[0].at <= end {
		e := k.evs[0]
		k.evs = k.evs[1:]
		k.now = e.at
		e.fn()
	}
	k.now = end
}

type rec struct {
	frames []string
	err    error
	closed int
	open   bool
}

func (r *rec) OnConnect(runtime.Conn)           { r.open = true }
func (r *rec) OnFrame(_ runtime.Conn, f []byte) { r.frames = append(r.frames, string(f[4:])) }
func (r *rec) OnClose(_ runtime.Conn, err error) {
	r.closed++
	r.err = err
}

func frame(s string) []byte {
	return append([]byte{0, 0, 0, byte(len(s))}, s...)
}

func twoHosts() (*fakeKernel, *Network, *Stack, *Stack) {
	k := &fakeKernel{}
	n := New(k)
	a := n.AddHost("a", "10.0.0.1", 0).Boot()
	b := n.AddHost("b", "10.0.0.2", 1).Boot()
	return k, n, a, b
}

func TestListenRules(t *testing.T) {
	_, _, a, _ := twoHosts()
	accept := func(runtime.Conn) runtime.ConnHandler { return &rec{} }
	if _, err := a.Listen("10.0.0.2:1", accept); err == nil {
		t.Fatal("listened on another host's address")
	}
	if _, err := a.Listen("bogus", accept); err == nil {
		t.Fatal("listened on a malformed address")
	}
	l, err := a.Listen("10.0.0.1:80", accept)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Listen("0.0.0.0:80", accept); err == nil {
		t.Fatal("two listeners on one port")
	}
	l0, err := a.Listen("0.0.0.0:0", accept)
	if err != nil || l0.Addr() == "10.0.0.1:0" || l0.Addr()[:9] != "10.0.0.1:" {
		t.Fatalf("port 0 listener: %v %v", l0, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("second listener Close = %v", err)
	}
	if _, err := a.Listen("10.0.0.1:80", accept); err != nil {
		t.Fatalf("port not free after Close: %v", err)
	}
}

func TestEchoOverFakeKernel(t *testing.T) {
	k, _, a, b := twoHosts()
	srv := &rec{}
	var accepted runtime.Conn
	if _, err := b.Listen("10.0.0.2:9", func(c runtime.Conn) runtime.ConnHandler { accepted = c; return srv }); err != nil {
		t.Fatal(err)
	}
	cli := &rec{}
	c := a.Dial("10.0.0.2:9", cli)
	_ = c.Send(frame("early")) // queued behind the handshake
	k.run(time.Second)
	if !cli.open || accepted == nil || slices.Compare(srv.frames, []string{"early"}) != 0 {
		t.Fatalf("open=%v accepted=%v frames=%v", cli.open, accepted != nil, srv.frames)
	}
	if accepted.RemoteAddr() != c.LocalAddr() || accepted.LocalAddr() != "10.0.0.2:9" || c.RemoteAddr() != "10.0.0.2:9" {
		t.Fatalf("addresses: %s<->%s, %s<->%s", c.LocalAddr(), c.RemoteAddr(), accepted.LocalAddr(), accepted.RemoteAddr())
	}
	if a.OpenConns() != 1 || b.OpenConns() != 1 {
		t.Fatalf("open conns %d/%d", a.OpenConns(), b.OpenConns())
	}
	_ = accepted.Send(frame("reply"))
	k.run(time.Second)
	if slices.Compare(cli.frames, []string{"reply"}) != 0 {
		t.Fatalf("client got %v", cli.frames)
	}
	a.Crash()
	k.run(time.Second)
	if srv.closed != 1 || !errors.Is(srv.err, runtime.ErrReset) || cli.closed != 0 {
		t.Fatalf("after crash: server closed %d (%v), client closed %d", srv.closed, srv.err, cli.closed)
	}
	if b.OpenConns() != 0 {
		t.Fatal("reset connection still counted open")
	}
	if n := a.Dial("10.0.0.2:9", cli); n.Send(frame("x")) == nil {
		t.Fatal("dial from a dead stack gave a usable conn")
	}
}

func TestCheckFrame(t *testing.T) {
	n := New(&fakeKernel{})
	n.MaxFrameSize = 12
	for _, tc := range []struct {
		f    []byte
		want error
	}{
		{frame("abc"), nil},
		{[]byte{0, 0, 0}, runtime.ErrBadFrame},
		{[]byte{0, 0, 0, 2, 'a'}, runtime.ErrBadFrame},
		{[]byte{0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}, runtime.ErrFrameTooLarge},
		{[]byte{0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8}, nil},
		{[]byte{0xff, 0xff, 0xff, 0xff}, runtime.ErrBadFrame},
		{[]byte{0x80, 0, 0, 0}, runtime.ErrBadFrame},
	} {
		if err := n.checkFrame(tc.f); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Fatalf("checkFrame(%v) = %v, want %v", tc.f, err, tc.want)
		}
	}
}

func TestLatencyWithinBounds(t *testing.T) {
	k := &fakeKernel{}
	n := New(k)
	n.AddHost("a", "10.0.0.1", 0)
	n.AddHost("b", "10.0.0.2", 1)
	l := n.link(n.Host("a"), n.Host("b"))
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := l.latency()
		if d < LatencyMinDefault || d > LatencyMaxDefault {
			t.Fatalf("default latency %v outside [%v, %v]", d, LatencyMinDefault, LatencyMaxDefault)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Fatalf("only %d distinct latencies in 1000 draws", len(seen))
	}
	if err := n.SetLinkOneWay("a", "b", LinkConfig{Latency: func(*rand.Rand) time.Duration { return 7 }}); err != nil {
		t.Fatal(err)
	}
	if l.latency() != 7 {
		t.Fatal("custom latency function ignored")
	}
	if n.link(n.Host("b"), n.Host("a")).latency() == 7 {
		t.Fatal("one-way link config applied both ways")
	}
	if err := n.SetLink("a", "nope", DefaultLink()); err == nil {
		t.Fatal("SetLink with an unknown host succeeded")
	}
}

func TestDuplicateHostPanics(t *testing.T) {
	n := New(&fakeKernel{})
	n.AddHost("a", "10.0.0.1", 0)
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate address accepted")
		}
	}()
	n.AddHost("b", "10.0.0.1", 1)
}

func TestAddressForms(t *testing.T) {
	k, _, a, b := twoHosts()
	srvA, srvB := &rec{}, &rec{}
	if _, err := a.Listen(":7", func(runtime.Conn) runtime.ConnHandler { return srvA }); err != nil {
		t.Fatalf("listen on :port: %v", err)
	}
	if _, err := b.Listen("b:7", func(runtime.Conn) runtime.ConnHandler { return srvB }); err != nil {
		t.Fatalf("listen on node-name:port: %v", err)
	}
	for _, addr := range []string{"127.0.0.1:7", "localhost:7", "10.0.0.1:7", "a:7"} {
		c := &rec{}
		a.Dial(addr, c)
		k.run(time.Second)
		if !c.open {
			t.Fatalf("dial %s from a did not reach a's listener: %v", addr, c.err)
		}
	}
	c := &rec{}
	a.Dial("b:7", c)
	k.run(time.Second)
	if !c.open {
		t.Fatalf("dial by node name failed: %v", c.err)
	}
	for _, addr := range []string{"nohost:7", "10.0.0.1:99999", "10.0.0.1:x"} {
		c := &rec{}
		a.Dial(addr, c)
		k.run(time.Minute)
		if c.open || c.closed != 1 || c.err == nil {
			t.Fatalf("dial %s: open=%v closed=%d err=%v", addr, c.open, c.closed, c.err)
		}
	}
}
