package realrt

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"rocketsim/runtime"
)

// waitLimit bounds every wait in these tests; loopback events take
// microseconds, so hitting it means a lost event, not a slow machine.
const waitLimit = 10 * time.Second

// nopNode is a node with no state.
type nopNode struct{ stopped chan struct{} }

func (n *nopNode) Stop() {
	if n.stopped != nil {
		close(n.stopped)
	}
}

// startRT starts a runtime with a node built by build (nil: nopNode) and
// stops it when the test ends.
func startRT(t testing.TB, name string, opts Options, build func(rt runtime.Runtime) (runtime.Node, error)) *Runtime {
	t.Helper()
	if build == nil {
		build = func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }
	}
	rt := New(name, opts)
	if err := rt.Start(build); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(rt.Stop)
	return rt
}

// onLoop runs fn on rt's loop and waits for it.
func onLoop(t testing.TB, rt *Runtime, fn func()) {
	t.Helper()
	done := make(chan struct{})
	rt.Post(func() { fn(); close(done) })
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatalf("loop of %s did not run a posted function", rt.Name())
	}
}

// frameOf builds a frame: length prefix, a 4-byte header-length field, then
// seq and a payload pattern derived from seq, size bytes in all (>= 12).
func frameOf(seq uint32, size int) []byte {
	f := make([]byte, size)
	binary.BigEndian.PutUint32(f, uint32(size-4))
	binary.BigEndian.PutUint32(f[4:], 4)
	binary.BigEndian.PutUint32(f[8:], seq)
	for i := 12; i < size; i++ {
		f[i] = byte(int(seq) + i)
	}
	return f
}

// event is one ConnHandler callback, recorded.
type event struct {
	kind  string // "connect", "frame", "close"
	conn  runtime.Conn
	frame []byte
	err   error
}

// recorder is a ConnHandler that reports every callback on a channel.
type recorder struct {
	events chan event
	// onFrame, when set, runs on the loop for each frame after recording.
	onFrame func(c runtime.Conn, frame []byte)
}

func newRecorder() *recorder { return &recorder{events: make(chan event, 1<<14)} }

func (r *recorder) OnConnect(c runtime.Conn) { r.events <- event{kind: "connect", conn: c} }

func (r *recorder) OnFrame(c runtime.Conn, frame []byte) {
	r.events <- event{kind: "frame", conn: c, frame: frame}
	if r.onFrame != nil {
		r.onFrame(c, frame)
	}
}

func (r *recorder) OnClose(c runtime.Conn, err error) {
	r.events <- event{kind: "close", conn: c, err: err}
}

// next returns the next event or fails the test.
func (r *recorder) next(t testing.TB) event {
	t.Helper()
	select {
	case e := <-r.events:
		return e
	case <-time.After(waitLimit):
		t.Fatalf("no event within %v", waitLimit)
		return event{}
	}
}

// expect returns the next event and fails unless it is of kind.
func (r *recorder) expect(t testing.TB, kind string) event {
	t.Helper()
	e := r.next(t)
	if e.kind != kind {
		t.Fatalf("event %q (err %v), want %q", e.kind, e.err, kind)
	}
	return e
}

// quiet fails if any event arrives within d.
func (r *recorder) quiet(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case e := <-r.events:
		t.Fatalf("unexpected event %q (err %v)", e.kind, e.err)
	case <-time.After(d):
	}
}

// listen starts a listener on rt's loop at 127.0.0.1:0 whose accepted conns
// report to rec, and returns its address.
func listen(t testing.TB, rt *Runtime, rec *recorder) (addr string, ln runtime.Listener) {
	t.Helper()
	var err error
	onLoop(t, rt, func() {
		ln, err = rt.Listen("127.0.0.1:0", func(runtime.Conn) runtime.ConnHandler { return rec })
	})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return ln.Addr(), ln
}

// dial dials addr from rt's loop and waits for OnConnect.
func dial(t testing.TB, rt *Runtime, addr string, rec *recorder) runtime.Conn {
	t.Helper()
	onLoop(t, rt, func() { rt.Dial(addr, rec) })
	return rec.expect(t, "connect").conn
}

// timeAfter is the standard wait for one test step.
func timeAfter() <-chan time.Time { return time.After(waitLimit) }

// rawPeer starts a runtime named name whose connection c goes to a plain
// TCP peer the test holds (which reads only if the test makes it).
func rawPeer(t *testing.T, name string) (rt *Runtime, c runtime.Conn, rec *recorder, peer net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rt = startRT(t, name, Options{}, nil)
	rec = newRecorder()
	c = dial(t, rt, ln.Addr().String(), rec)
	if peer, err = ln.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	return rt, c, rec, peer
}
