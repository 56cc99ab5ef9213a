package realrt

import (
	"testing"
	"time"

	"rocketsim/runtime"
)

// TestFrameWaitedCountsTimeBehindABusyLoop: a frame read off the socket
// while the receiver's loop is busy reports, during OnFrame, how long it
// waited for the loop; one delivered to an idle loop reports next to
// nothing.
func TestFrameWaitedCountsTimeBehindABusyLoop(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	client := startRT(t, "client", Options{}, nil)
	srec := newRecorder()
	waits := make(chan time.Duration, 4)
	srec.onFrame = func(c runtime.Conn, _ []byte) { waits <- c.(runtime.FrameWaiter).FrameWaited() }
	addr, _ := listen(t, server, srec)
	crec := newRecorder()
	c := dial(t, client, addr, crec)

	send := func(seq uint32) {
		onLoop(t, client, func() {
			if err := c.Send(frameOf(seq, 64)); err != nil {
				t.Errorf("send: %v", err)
			}
		})
	}
	send(1)
	if w := <-waits; w > 100*time.Millisecond {
		t.Fatalf("a frame to an idle loop waited %v", w)
	}

	const busy = 300 * time.Millisecond
	started := make(chan struct{})
	server.Post(func() { close(started); time.Sleep(busy) }) // the loop is busy
	<-started
	send(2)
	if w := <-waits; w < busy/2 {
		t.Fatalf("a frame behind a loop busy for %v reports waiting %v", busy, w)
	}
}
