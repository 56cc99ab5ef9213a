package realrt

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"testing"
	"time"

	"rocketsim/runtime"
)

// countingHandler checks, on the loop, the promises a ConnHandler relies on:
// frames in order, nothing after OnClose, OnClose exactly once.
type countingHandler struct {
	next     uint32 // next expected seq
	closed   int
	err      error
	problems []string
	report   chan<- *countingHandler
	onFrame  func(c runtime.Conn, seq uint32)
}

func (h *countingHandler) OnConnect(runtime.Conn) {}

func (h *countingHandler) OnFrame(c runtime.Conn, frame []byte) {
	seq := binary.BigEndian.Uint32(frame[8:])
	if h.closed > 0 {
		h.problems = append(h.problems, fmt.Sprintf("frame %d after OnClose", seq))
	}
	if seq != h.next {
		h.problems = append(h.problems, fmt.Sprintf("frame %d, want %d", seq, h.next))
	}
	h.next = seq + 1
	if h.onFrame != nil {
		h.onFrame(c, seq)
	}
}

func (h *countingHandler) OnClose(_ runtime.Conn, err error) {
	h.closed++
	h.err = err
	if h.closed == 1 {
		h.report <- h
	} else {
		h.problems = append(h.problems, "second OnClose")
	}
}

// TestManyConnsRandomCloses runs many connections at once; each side closes
// at a random frame. Every conn must see its frames in order and exactly one
// OnClose, and no goroutine may outlive its connection.
func TestManyConnsRandomCloses(t *testing.T) {
	before := goruntime.NumGoroutine()
	const conns, frames = 40, 200
	server := startRT(t, "server", Options{}, nil)
	client := startRT(t, "client", Options{}, nil)
	srng, crng := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(8, 8)) // one per loop

	serverDone := make(chan *countingHandler, conns)
	var accepted []*countingHandler // server loop only
	var addr string
	onLoop(t, server, func() {
		ln, err := server.Listen("127.0.0.1:0", func(runtime.Conn) runtime.ConnHandler {
			closeAt := uint32(srng.IntN(frames * 2)) // about half never close from this side
			h := &countingHandler{report: serverDone, onFrame: func(c runtime.Conn, seq uint32) {
				if seq == closeAt {
					c.Close()
				}
			}}
			accepted = append(accepted, h)
			return h
		})
		if err != nil {
			t.Errorf("listen: %v", err)
			return
		}
		addr = ln.Addr()
	})

	clientDone := make(chan *countingHandler, conns)
	onLoop(t, client, func() {
		for range conns {
			closeAt := uint32(crng.IntN(frames))
			h := &countingHandler{report: clientDone}
			c := client.Dial(addr, h)
			for i := uint32(0); i < frames; i++ {
				if err := c.Send(frameOf(i, 16+int(i%64))); err != nil {
					t.Errorf("send: %v", err)
				}
			}
			// Close after a delay drawn per conn, racing the server's close.
			client.AfterFunc(time.Duration(closeAt)*50*time.Microsecond, func() { c.Close() })
		}
	})
	var clients []*countingHandler
	for range conns {
		select {
		case h := <-clientDone:
			clients = append(clients, h)
		case <-timeAfter():
			t.Fatal("a client conn never closed")
		}
	}
	// A conn closed while dialing may never have reached the server; every
	// one that did must close there too.
	var servers []*countingHandler
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(5 * time.Millisecond) {
		var open int
		onLoop(t, server, func() { servers, open = accepted, len(server.conns) })
		if len(serverDone) == len(servers) && open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted conns closed on the server", len(serverDone), len(servers))
		}
	}
	// Let stray events land, then check the handlers on their own loops.
	time.Sleep(50 * time.Millisecond)
	check := func(rt *Runtime, all []*countingHandler) {
		onLoop(t, rt, func() {
			for _, h := range all {
				if len(h.problems) > 0 || h.closed != 1 {
					t.Errorf("%s: closed %d times, problems %v", rt.Name(), h.closed, h.problems)
				}
			}
		})
	}
	check(client, clients)
	check(server, servers)
	var n int
	onLoop(t, server, func() { n = len(server.conns) })
	if n != 0 {
		t.Fatalf("server still holds %d conns", n)
	}
	onLoop(t, client, func() { n = len(client.conns) })
	if n != 0 {
		t.Fatalf("client still holds %d conns", n)
	}
	// Two runtimes idle: loop, flusher and writer each, plus their
	// listener.
	want := before + 2*3 + 1
	deadline := time.Now().Add(2 * time.Second)
	for goruntime.NumGoroutine() > want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := goruntime.NumGoroutine(); got > want {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines with no conns open, want <= %d:\n%s", got, want, buf[:goruntime.Stack(buf, true)])
	}
}
