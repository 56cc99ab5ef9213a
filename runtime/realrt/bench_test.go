package realrt

import (
	"errors"
	"testing"
	"time"

	"rocketsim/runtime"
)

// benchPair starts an echo server and a client connected to it.
func benchPair(b *testing.B, onClientFrame func(c runtime.Conn, frame []byte)) (*Runtime, runtime.Conn) {
	b.Helper()
	server := startRT(b, "server", Options{}, nil)
	client := startRT(b, "client", Options{}, nil)
	// Not the recorder-based echo(): its event channel would fill up and
	// stall the server loop after a few thousand frames.
	echoQuiet := handlerFunc{frame: func(c runtime.Conn, frame []byte) {
		if err := c.Send(frame); err != nil {
			panic(err)
		}
	}}
	var addr string
	onLoop(b, server, func() {
		ln, err := server.Listen("127.0.0.1:0", func(runtime.Conn) runtime.ConnHandler { return echoQuiet })
		if err != nil {
			panic(err)
		}
		addr = ln.Addr()
	})
	connected := make(chan struct{})
	var c runtime.Conn
	onLoop(b, client, func() {
		c = client.Dial(addr, handlerFunc{
			connect: func(runtime.Conn) { close(connected) },
			frame:   onClientFrame,
		})
	})
	select {
	case <-connected:
	case <-timeAfter():
		b.Fatal("dial did not connect")
	}
	return client, c
}

// handlerFunc adapts functions to a ConnHandler without recording, so the
// benchmark measures the runtime and not a channel per frame.
type handlerFunc struct {
	connect func(runtime.Conn)
	frame   func(runtime.Conn, []byte)
}

func (h handlerFunc) OnConnect(c runtime.Conn)             { h.connect(c) }
func (h handlerFunc) OnFrame(c runtime.Conn, frame []byte) { h.frame(c, frame) }
func (h handlerFunc) OnClose(runtime.Conn, error)          {}

// BenchmarkEcho measures one connection over loopback: round trips one at a
// time, and frames pipelined one way (echoed back, counted on return).
func BenchmarkEcho(b *testing.B) {
	b.Run("roundtrip", func(b *testing.B) {
		left := 0
		done := make(chan struct{})
		client, c := benchPair(b, func(c runtime.Conn, frame []byte) {
			left--
			if left == 0 {
				close(done)
				return
			}
			if err := c.Send(frame); err != nil {
				panic(err)
			}
		})
		b.ResetTimer()
		client.Post(func() {
			left = b.N
			if err := c.Send(frameOf(0, 128)); err != nil {
				panic(err)
			}
		})
		<-done
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
	})
	b.Run("pipelined", func(b *testing.B) {
		var received, sent int
		done := make(chan struct{})
		client, c := benchPair(b, func(runtime.Conn, []byte) {
			received++
			if received == b.N {
				close(done)
			}
		})
		b.SetBytes(128)
		b.ResetTimer()
		var pump func()
		pump = func() {
			for sent < b.N {
				err := c.Send(frameOf(uint32(sent), 128))
				if errors.Is(err, runtime.ErrSendQueueFull) {
					client.AfterFunc(100*time.Microsecond, pump)
					return
				}
				if err != nil {
					panic(err)
				}
				sent++
			}
		}
		client.Post(pump)
		<-done
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
}

// BenchmarkSyncAsync appends 1 KiB records with up to inflightMax SyncAsync
// calls outstanding, as a broker under SYNC_FLUSH load does, and reports how
// many requests each fsync covered.
func BenchmarkSyncAsync(b *testing.B) {
	const inflightMax = 64
	rt := startRT(b, "disk", Options{DataDir: b.TempDir()}, nil)
	var f runtime.File
	onLoop(b, rt, func() {
		var err error
		f, err = rt.Disk().Open("commitlog", runtime.ReadWrite|runtime.Create)
		if err != nil {
			panic(err)
		}
	})
	record := make([]byte, 1024)
	done := make(chan struct{})
	issued, completed, inflight := 0, 0, 0
	var off int64
	var fill func()
	fill = func() {
		for inflight < inflightMax && issued < b.N {
			if _, err := f.WriteAt(record, off); err != nil {
				panic(err)
			}
			off += int64(len(record))
			issued++
			inflight++
			f.SyncAsync(func(err error) {
				if err != nil {
					panic(err)
				}
				inflight--
				completed++
				if completed == b.N {
					close(done)
					return
				}
				fill()
			})
		}
	}
	before := rt.Stats().Fsyncs
	b.SetBytes(int64(len(record)))
	b.ResetTimer()
	rt.Post(fill)
	<-done
	b.StopTimer()
	fsyncs := rt.Stats().Fsyncs - before
	b.ReportMetric(float64(b.N)/float64(max(fsyncs, 1)), "requests/fsync")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "syncs/s")
}
