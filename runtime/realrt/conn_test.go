package realrt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"rocketsim/runtime"
)

// echo returns a recorder whose conns send every frame back.
func echo() *recorder {
	rec := newRecorder()
	rec.onFrame = func(c runtime.Conn, frame []byte) {
		if err := c.Send(frame); err != nil {
			panic(err)
		}
	}
	return rec
}

func TestEchoThousandFramesInOrder(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	client := startRT(t, "client", Options{}, nil)
	srec := echo()
	addr, _ := listen(t, server, srec)

	crec := newRecorder()
	c := dial(t, client, addr, crec)
	if c.RemoteAddr() != addr {
		t.Fatalf("RemoteAddr %q, want %q", c.RemoteAddr(), addr)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const frames = 1000
	sent := make([][]byte, frames)
	for i := range sent {
		size := 12 + rng.IntN(300)
		if i%50 == 0 {
			size = 12 + rng.IntN(200<<10) // some frames larger than the read buffer
		}
		sent[i] = frameOf(uint32(i), size)
	}
	onLoop(t, client, func() {
		for _, f := range sent {
			// Send owns the slice, so hand it a copy and keep ours to compare.
			if err := c.Send(bytes.Clone(f)); err != nil {
				t.Errorf("send: %v", err)
			}
		}
	})
	for i := range frames {
		e := crec.expect(t, "frame")
		if !bytes.Equal(e.frame, sent[i]) {
			t.Fatalf("echo %d: got %d bytes (seq %d), want %d bytes", i, len(e.frame), binary.BigEndian.Uint32(e.frame[8:]), len(sent[i]))
		}
	}
	if e := srec.expect(t, "frame"); e.conn.RemoteAddr() != c.LocalAddr() {
		t.Fatalf("server sees peer %q, client is %q", e.conn.RemoteAddr(), c.LocalAddr())
	}
}

// rawConn dials addr with a plain socket, playing a misbehaving peer.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("raw dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// expectPeerGone waits until the server closed nc.
func expectPeerGone(t *testing.T, nc net.Conn) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(waitLimit))
	if _, err := io.Copy(io.Discard, nc); err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Fatalf("raw conn: %v, want the server to close it", err)
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

func TestBadLengthPrefixClosesOnlyThatConn(t *testing.T) {
	cases := []struct {
		name   string
		prefix uint32
		want   error
	}{
		{"oversized", 2000, runtime.ErrFrameTooLarge},
		{"negative", 0x80000000, runtime.ErrBadFrame},
		{"below header field", 3, runtime.ErrBadFrame},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server := startRT(t, "server", Options{MaxFrameSize: 1024}, nil)
			client := startRT(t, "client", Options{}, nil)
			srec := echo()
			addr, _ := listen(t, server, srec)

			// A well-behaved connection opened first must survive.
			crec := newRecorder()
			good := dial(t, client, addr, crec)
			roundTrip(t, client, good, crec, 1)
			goodServerSide := srec.expect(t, "frame").conn

			nc := rawConn(t, addr)
			var prefix [4]byte
			binary.BigEndian.PutUint32(prefix[:], tc.prefix)
			if _, err := nc.Write(append(prefix[:], make([]byte, 64)...)); err != nil {
				t.Fatalf("raw write: %v", err)
			}
			e := srec.expect(t, "close")
			if e.conn == goodServerSide {
				t.Fatal("the good connection was closed")
			}
			if !errors.Is(e.err, tc.want) {
				t.Fatalf("OnClose(%v), want %v", e.err, tc.want)
			}
			expectPeerGone(t, nc)

			roundTrip(t, client, good, crec, 2)
			srec.expect(t, "frame")
		})
	}
}

// roundTrip sends one frame on c and waits for its echo.
func roundTrip(t *testing.T, rt *Runtime, c runtime.Conn, rec *recorder, seq uint32) {
	t.Helper()
	f := frameOf(seq, 64)
	onLoop(t, rt, func() {
		if err := c.Send(bytes.Clone(f)); err != nil {
			t.Errorf("send: %v", err)
		}
	})
	if e := rec.expect(t, "frame"); !bytes.Equal(e.frame, f) {
		t.Fatalf("echo of %d differs", seq)
	}
}

func TestDialRefused(t *testing.T) {
	rt := startRT(t, "client", Options{}, nil)
	// Find a port nobody listens on: bind one, then free it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	rec := newRecorder()
	onLoop(t, rt, func() { rt.Dial(addr, rec) })
	e := rec.expect(t, "close")
	if !errors.Is(e.err, runtime.ErrRefused) {
		t.Fatalf("OnClose(%v), want ErrRefused", e.err)
	}
	var sendErr error
	onLoop(t, rt, func() { sendErr = e.conn.Send(frameOf(1, 16)) })
	if !errors.Is(sendErr, runtime.ErrClosed) {
		t.Fatalf("Send after refused dial = %v, want ErrClosed", sendErr)
	}
	rec.quiet(t, 50*time.Millisecond)
}

func TestDialTimeout(t *testing.T) {
	// 192.0.2.0/24 (TEST-NET-1) is never routed; the SYN goes nowhere. Some
	// sandboxes answer at once with "unreachable", which must then be
	// reported as refused: accept either, but never silence.
	rt := startRT(t, "client", Options{DialTimeout: 100 * time.Millisecond}, nil)
	rec := newRecorder()
	onLoop(t, rt, func() { rt.Dial("192.0.2.1:9", rec) })
	e := rec.expect(t, "close")
	if !errors.Is(e.err, runtime.ErrTimeout) && !errors.Is(e.err, runtime.ErrRefused) {
		t.Fatalf("OnClose(%v), want ErrTimeout or ErrRefused", e.err)
	}
}

func TestLocalCloseReportsNilOnceAndPeerSeesClose(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	client := startRT(t, "client", Options{}, nil)
	srec := echo()
	addr, _ := listen(t, server, srec)
	crec := newRecorder()
	c := dial(t, client, addr, crec)
	roundTrip(t, client, c, crec, 1)
	srec.expect(t, "frame")

	var closeErr, secondClose, sendErr error
	onLoop(t, client, func() {
		closeErr = c.Close()
		secondClose = c.Close()
		sendErr = c.Send(frameOf(2, 16))
	})
	if closeErr != nil {
		t.Fatalf("Close = %v", closeErr)
	}
	if !errors.Is(secondClose, runtime.ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", secondClose)
	}
	if !errors.Is(sendErr, runtime.ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", sendErr)
	}
	if e := crec.expect(t, "close"); e.err != nil || e.conn != c {
		t.Fatalf("OnClose(%v) on conn %v, want nil on the closed conn", e.err, e.conn.ID())
	}
	crec.quiet(t, 100*time.Millisecond)

	e := srec.expect(t, "close")
	if e.err == nil || !errors.Is(e.err, runtime.ErrClosed) {
		t.Fatalf("peer's OnClose(%v), want an error wrapping ErrClosed", e.err)
	}
}

func TestCloseFlushesQueuedFrames(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	client := startRT(t, "client", Options{}, nil)
	srec := newRecorder()
	addr, _ := listen(t, server, srec)
	crec := newRecorder()
	c := dial(t, client, addr, crec)
	const n = 200
	onLoop(t, client, func() {
		for i := range n {
			if err := c.Send(frameOf(uint32(i), 4096)); err != nil {
				t.Errorf("send %d: %v", i, err)
			}
		}
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	for i := range n {
		e := srec.expect(t, "frame")
		if seq := binary.BigEndian.Uint32(e.frame[8:]); seq != uint32(i) {
			t.Fatalf("frame %d has seq %d", i, seq)
		}
	}
	srec.expect(t, "close")
}

func TestPeerResetReportsError(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	srec := newRecorder()
	addr, _ := listen(t, server, srec)
	nc := rawConn(t, addr)
	// A frame proves the server adopted the conn before the reset.
	if _, err := nc.Write(frameOf(7, 32)); err != nil {
		t.Fatal(err)
	}
	srec.expect(t, "frame")
	// Linger 0 makes Close send RST instead of FIN.
	if err := nc.(*net.TCPConn).SetLinger(0); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	e := srec.expect(t, "close")
	if !errors.Is(e.err, runtime.ErrReset) {
		t.Fatalf("OnClose(%v), want ErrReset", e.err)
	}
}

func TestPeerLeavesMidFrame(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	srec := newRecorder()
	addr, _ := listen(t, server, srec)
	nc := rawConn(t, addr)
	f := frameOf(1, 100)
	if _, err := nc.Write(f[:50]); err != nil {
		t.Fatal(err)
	}
	nc.(*net.TCPConn).CloseWrite()
	e := srec.expect(t, "close")
	if !errors.Is(e.err, runtime.ErrReset) {
		t.Fatalf("OnClose(%v), want ErrReset for a truncated frame", e.err)
	}
}

func TestAcceptedConnClosedByServerClient(t *testing.T) {
	// The accept callback may close the conn at once: OnClose(nil) follows
	// on the handler it returned, and the peer sees the close.
	server := startRT(t, "server", Options{}, nil)
	srec := newRecorder()
	var ln runtime.Listener
	onLoop(t, server, func() {
		var err error
		ln, err = server.Listen("127.0.0.1:0", func(c runtime.Conn) runtime.ConnHandler {
			if err := c.Close(); err != nil {
				t.Errorf("close in accept: %v", err)
			}
			return srec
		})
		if err != nil {
			t.Errorf("listen: %v", err)
		}
	})
	nc := rawConn(t, ln.Addr())
	if e := srec.expect(t, "close"); e.err != nil {
		t.Fatalf("OnClose(%v), want nil", e.err)
	}
	expectPeerGone(t, nc)
}

func TestSendQueueFullThenDrains(t *testing.T) {
	client := startRT(t, "client", Options{SendQueueMax: 256 << 10}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	crec := newRecorder()
	c := dial(t, client, ln.Addr().String(), crec)
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	// The peer reads nothing: socket buffers fill, then the send queue.
	full := false
	sent := 0
	for deadline := time.Now().Add(waitLimit); !full && time.Now().Before(deadline); {
		onLoop(t, client, func() {
			for range 64 {
				err := c.Send(frameOf(uint32(sent), 16<<10))
				if errors.Is(err, runtime.ErrSendQueueFull) {
					full = true
					return
				}
				if err != nil {
					t.Errorf("send: %v", err)
					return
				}
				sent++
			}
		})
	}
	if !full {
		t.Fatal("send queue never reported full")
	}
	// Reading everything drains the queue; the conn is still usable.
	got := make(chan int, 1)
	go func() {
		n, _ := io.CopyN(io.Discard, peer, int64(sent)*(16<<10))
		got <- int(n)
	}()
	select {
	case n := <-got:
		if n != sent*(16<<10) {
			t.Fatalf("peer read %d bytes, want %d", n, sent*(16<<10))
		}
	case <-time.After(waitLimit):
		t.Fatal("queued frames never arrived")
	}
	// The writer settles its accounting just after the peer has the bytes;
	// give it a moment, but the queue must open up again.
	var err2 error
	for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		onLoop(t, client, func() { err2 = c.Send(frameOf(0, 16<<10)) })
		if !errors.Is(err2, runtime.ErrSendQueueFull) {
			break
		}
	}
	if err2 != nil {
		t.Fatalf("send after drain: %v", err2)
	}
	crec.quiet(t, 50*time.Millisecond)
}

func TestReceiveBackpressurePausesReader(t *testing.T) {
	const recvMax = 8 << 10
	const frameSize = 1 << 10
	server := startRT(t, "server", Options{RecvQueueMax: recvMax}, nil)
	srec := newRecorder()
	var accepted *conn
	var ln runtime.Listener
	onLoop(t, server, func() {
		var err error
		ln, err = server.Listen("127.0.0.1:0", func(c runtime.Conn) runtime.ConnHandler {
			accepted = c.(*conn)
			return srec
		})
		if err != nil {
			t.Errorf("listen: %v", err)
		}
	})
	nc := rawConn(t, ln.Addr())
	if _, err := nc.Write(frameOf(0, frameSize)); err != nil {
		t.Fatal(err)
	}
	srec.expect(t, "frame")

	// Block the loop, then send far more than the bound.
	release := make(chan struct{})
	server.Post(func() { <-release })
	const n = 500
	writeDone := make(chan error, 1)
	go func() {
		var buf []byte
		for i := 1; i <= n; i++ {
			buf = append(buf, frameOf(uint32(i), frameSize)...)
		}
		_, err := nc.Write(buf)
		writeDone <- err
	}()
	time.Sleep(200 * time.Millisecond) // let the reader run into the bound
	if q := accepted.rbytes.Load(); q > recvMax+frameSize {
		close(release)
		t.Fatalf("%d bytes queued for the loop, bound is %d (+1 frame)", q, recvMax)
	}
	close(release)
	for i := 1; i <= n; i++ {
		e := srec.expect(t, "frame")
		if seq := binary.BigEndian.Uint32(e.frame[8:]); seq != uint32(i) {
			t.Fatalf("frame %d has seq %d", i, seq)
		}
	}
	if err := <-writeDone; err != nil {
		t.Fatalf("peer write: %v", err)
	}
}

func TestOversizedFrameIsTheReceiversCall(t *testing.T) {
	server := startRT(t, "server", Options{MaxFrameSize: 1024}, nil)
	client := startRT(t, "client", Options{}, nil)
	srec := newRecorder()
	addr, _ := listen(t, server, srec)
	crec := newRecorder()
	c := dial(t, client, addr, crec)
	var err error
	onLoop(t, client, func() { err = c.Send(frameOf(1, 2048)) })
	if err != nil {
		t.Fatalf("Send = %v; the sender does not judge frame size", err)
	}
	if e := srec.expect(t, "close"); !errors.Is(e.err, runtime.ErrFrameTooLarge) {
		t.Fatalf("receiver OnClose(%v), want ErrFrameTooLarge", e.err)
	}
	if e := crec.expect(t, "close"); e.err == nil {
		t.Fatal("sender OnClose(nil) after the receiver dropped it")
	}
}

func TestListenerAddrAndClose(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	addr, ln := listen(t, server, newRecorder())
	if _, port, _ := net.SplitHostPort(addr); port == "0" || port == "" {
		t.Fatalf("Addr() = %q, want the bound port", addr)
	}
	onLoop(t, server, func() {
		if err := ln.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if nc, err := net.Dial("tcp", addr); err == nil {
		nc.Close()
		t.Fatal("dial after listener Close succeeded")
	}
}

func TestFramesBeforeBadPrefixInSameWriteAreDelivered(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	srec := newRecorder()
	addr, _ := listen(t, server, srec)
	nc := rawConn(t, addr)
	var buf []byte
	for i := range 5 {
		buf = append(buf, frameOf(uint32(i), 40)...)
	}
	buf = append(buf, 0xff, 0xff, 0xff, 0xff) // length -1
	if _, err := nc.Write(buf); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		e := srec.expect(t, "frame")
		if seq := binary.BigEndian.Uint32(e.frame[8:]); seq != uint32(i) {
			t.Fatalf("frame %d has seq %d", i, seq)
		}
	}
	if e := srec.expect(t, "close"); !errors.Is(e.err, runtime.ErrBadFrame) {
		t.Fatalf("OnClose(%v), want ErrBadFrame", e.err)
	}
}

func TestCloseInOnFrameDropsRestOfBatch(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	srec := newRecorder()
	srec.onFrame = func(c runtime.Conn, frame []byte) {
		if binary.BigEndian.Uint32(frame[8:]) == 2 {
			c.Close()
		}
	}
	addr, _ := listen(t, server, srec)
	nc := rawConn(t, addr)
	var buf []byte
	for i := range 10 {
		buf = append(buf, frameOf(uint32(i), 40)...)
	}
	if _, err := nc.Write(buf); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e := srec.expect(t, "frame")
		if seq := binary.BigEndian.Uint32(e.frame[8:]); seq != uint32(i) {
			t.Fatalf("frame %d has seq %d", i, seq)
		}
	}
	if e := srec.expect(t, "close"); e.err != nil {
		t.Fatalf("OnClose(%v), want nil after a local Close", e.err)
	}
	srec.quiet(t, 50*time.Millisecond)
}

func TestFramesSplitAcrossTinyWrites(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	srec := newRecorder()
	addr, _ := listen(t, server, srec)
	nc := rawConn(t, addr)
	var buf []byte
	for i := range 20 {
		buf = append(buf, frameOf(uint32(i), 12+i*7)...)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for len(buf) > 0 {
		n := min(len(buf), 1+rng.IntN(9))
		if _, err := nc.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
		buf = buf[n:]
		if rng.IntN(4) == 0 {
			time.Sleep(time.Millisecond) // let the reader see a partial frame
		}
	}
	for i := range 20 {
		e := srec.expect(t, "frame")
		if !bytes.Equal(e.frame, frameOf(uint32(i), 12+i*7)) {
			t.Fatalf("frame %d arrived corrupted", i)
		}
	}
}

func TestCloseWhileDialingReportsNilOnceAndNoConnect(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	client := startRT(t, "client", Options{}, nil)
	srec := newRecorder()
	addr, _ := listen(t, server, srec)
	crec := newRecorder()
	onLoop(t, client, func() {
		c := client.Dial(addr, crec)
		if c.LocalAddr() != "" {
			t.Errorf("LocalAddr before connect = %q", c.LocalAddr())
		}
		if err := c.Close(); err != nil {
			t.Errorf("close while dialing: %v", err)
		}
	})
	if e := crec.expect(t, "close"); e.err != nil {
		t.Fatalf("OnClose(%v), want nil", e.err)
	}
	crec.quiet(t, 100*time.Millisecond) // no OnConnect, no second OnClose
	var n int
	onLoop(t, client, func() { n = len(client.conns) })
	if n != 0 {
		t.Fatalf("%d conns still registered", n)
	}
}

func TestSendBeforeConnectIsWrittenAfter(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	client := startRT(t, "client", Options{}, nil)
	srec := newRecorder()
	addr, _ := listen(t, server, srec)
	crec := newRecorder()
	onLoop(t, client, func() {
		c := client.Dial(addr, crec)
		if err := c.Send(frameOf(5, 32)); err != nil {
			t.Errorf("send while dialing: %v", err)
		}
	})
	crec.expect(t, "connect")
	if e := srec.expect(t, "frame"); !bytes.Equal(e.frame, frameOf(5, 32)) {
		t.Fatal("frame queued before connect arrived corrupted")
	}
}

func TestSendMalformedFramePanics(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	client := startRT(t, "client", Options{}, nil)
	addr, _ := listen(t, server, newRecorder())
	c := dial(t, client, addr, newRecorder())
	var recovered any
	onLoop(t, client, func() {
		defer func() { recovered = recover() }()
		c.Send([]byte{0, 0, 0, 9, 1, 2}) // prefix says 9, carries 2
	})
	if recovered == nil {
		t.Fatal("a frame whose prefix lies was accepted")
	}
}

func TestAcceptReturningNilRefusesTheConn(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	var addr string
	onLoop(t, server, func() {
		ln, err := server.Listen("127.0.0.1:0", func(runtime.Conn) runtime.ConnHandler { return nil })
		if err != nil {
			t.Errorf("listen: %v", err)
			return
		}
		addr = ln.Addr()
	})
	nc := rawConn(t, addr)
	expectPeerGone(t, nc)
	var n int
	onLoop(t, server, func() { n = len(server.conns) })
	if n != 0 {
		t.Fatalf("a refused conn is still registered (%d)", n)
	}
}

func TestConnIDsAreUnique(t *testing.T) {
	server := startRT(t, "server", Options{}, nil)
	client := startRT(t, "client", Options{}, nil)
	srec := newRecorder()
	addr, _ := listen(t, server, srec)
	seen := map[uint64]bool{}
	for range 5 {
		c := dial(t, client, addr, newRecorder())
		if seen[c.ID()] {
			t.Fatalf("ID %d given twice", c.ID())
		}
		seen[c.ID()] = true
	}
}
