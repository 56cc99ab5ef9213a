package realrt

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"rocketsim/runtime"
)

// readBufferSize is the reader's buffer: small frames (most RocketMQ
// requests) are split out of one read syscall; large ones mostly bypass it.
const readBufferSize = 64 << 10

// frameBodyMin is the smallest legal value of a length prefix: a RocketMQ
// frame always carries its own 4-byte header-length field after it.
const frameBodyMin = 4

// readLoop is the conn's reader goroutine: it splits the stream into frames
// and posts each to the loop, pausing while RecvQueueMax bytes wait there.
func (c *conn) readLoop() {
	defer c.rt.wg.Done()
	r := c.rt
	br := bufio.NewReaderSize(c.nc, readBufferSize)
	max := int64(r.opts.RecvQueueMax)
	var prefix [4]byte
	for {
		if _, err := io.ReadFull(br, prefix[:]); err != nil {
			c.postFail(readError(c, err))
			return
		}
		n := int64(int32(binary.BigEndian.Uint32(prefix[:])))
		if n < frameBodyMin {
			c.postFail(fmt.Errorf("realrt: conn %d from %s: length prefix %d: %w", c.id, c.remote, n, runtime.ErrBadFrame))
			return
		}
		if n+4 > int64(r.opts.MaxFrameSize) {
			c.postFail(fmt.Errorf("realrt: conn %d from %s: %d-byte frame over the %d-byte bound: %w",
				c.id, c.remote, n+4, r.opts.MaxFrameSize, runtime.ErrFrameTooLarge))
			return
		}
		frame := make([]byte, 4+n)
		copy(frame, prefix[:])
		if _, err := io.ReadFull(br, frame[4:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // the peer left mid-frame
			}
			c.postFail(readError(c, err))
			return
		}
		if !r.post(func() { c.deliver(frame) }) {
			return
		}
		if c.rbytes.Add(int64(len(frame))) > max {
			// Stop reading until the loop drains below the bound; the
			// kernel's socket buffer then fills and TCP pushes back.
			for c.rbytes.Load() > max {
				select {
				case <-c.rwake:
				case <-c.done:
					return
				}
			}
		}
	}
}

// deliver runs on the loop for each received frame.
func (c *conn) deliver(frame []byte) {
	left := c.rbytes.Add(-int64(len(frame)))
	if left <= int64(c.rt.opts.RecvQueueMax) && left+int64(len(frame)) > int64(c.rt.opts.RecvQueueMax) {
		select {
		case c.rwake <- struct{}{}:
		default:
		}
	}
	if c.state != connOpen {
		return // closed locally; frames still in flight are dropped
	}
	c.h.OnFrame(c, frame)
}

// postFail hands a connection failure to the loop.
func (c *conn) postFail(err error) {
	c.rt.post(func() { c.fail(err) })
}

// writeLoop is the conn's writer goroutine: it takes every queued frame at
// once and writes them with one vectored write, so a burst of small frames
// costs one syscall, and flushes as soon as the queue is empty.
func (c *conn) writeLoop() {
	defer c.rt.wg.Done()
	defer c.nc.Close()
	var bufs net.Buffers
	for {
		c.wmu.Lock()
		for len(c.wq) == 0 && !c.wclosed {
			c.wcond.Wait()
		}
		batch, closing, abort := c.wq, c.wclosed, c.wabort
		c.wq, c.wspare = c.wspare, nil
		c.wmu.Unlock()
		if abort {
			return
		}
		if len(batch) > 0 {
			size := 0
			for _, f := range batch {
				size += len(f)
			}
			bufs = append(bufs[:0], batch...)
			_, err := bufs.WriteTo(c.nc)
			clear(batch)
			c.wmu.Lock()
			c.wbytes -= size
			c.wspare = batch[:0]
			c.wmu.Unlock()
			if err != nil {
				// Post before the deferred Close so that this error, not
				// the reader's "use of closed connection", reaches OnClose.
				c.postFail(writeError(c, err))
				return
			}
		}
		if closing {
			return
		}
	}
}

// readError maps a read failure to the runtime's sentinel errors.
func readError(c *conn, err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("realrt: conn %d: closed by peer %s: %w", c.id, c.remote, runtime.ErrClosed)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return fmt.Errorf("realrt: conn %d to %s: %w: %w", c.id, c.remote, runtime.ErrTimeout, err)
	default:
		return fmt.Errorf("realrt: conn %d to %s: %w: %w", c.id, c.remote, runtime.ErrReset, err)
	}
}

// writeError maps a write failure to the runtime's sentinel errors.
func writeError(c *conn, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) {
		return fmt.Errorf("realrt: conn %d to %s: write: %w: %w", c.id, c.remote, runtime.ErrTimeout, err)
	}
	return fmt.Errorf("realrt: conn %d to %s: write: %w: %w", c.id, c.remote, runtime.ErrReset, err)
}

// dialError maps a Dial failure: a timeout is ErrTimeout, anything else
// (refused, unreachable, unknown host) means nobody accepted: ErrRefused.
func dialError(ctx context.Context, addr string, err error) error {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("realrt: dial %s: %w: %w", addr, runtime.ErrTimeout, err)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("realrt: dial %s: %w: %w", addr, runtime.ErrClosed, err)
	}
	return fmt.Errorf("realrt: dial %s: %w: %w", addr, runtime.ErrRefused, err)
}
