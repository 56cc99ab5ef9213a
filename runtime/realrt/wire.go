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
	"time"

	"rocketsim/runtime"
)

// readBufferSize is the reader's buffer: small frames (most RocketMQ
// requests) are split out of one read syscall; large ones mostly bypass it.
const readBufferSize = 64 << 10

// frameBodyMin is the smallest legal value of a length prefix: a RocketMQ
// frame always carries its own 4-byte header-length field after it.
const frameBodyMin = 4

// readBatchMax bounds how many frames the reader hands to the loop in one
// event. Frames already in the read buffer go together, so a pipelining
// peer costs one queue operation per batch rather than per frame; the bound
// keeps one connection from holding the loop for long.
const readBatchMax = 256

// readLoop is the conn's reader goroutine: it splits the stream into frames
// and posts them to the loop, pausing while RecvQueueMax bytes wait there.
func (c *conn) readLoop() {
	defer c.rt.wg.Done()
	r := c.rt
	br := bufio.NewReaderSize(c.nc, readBufferSize)
	max := int64(r.opts.RecvQueueMax)
	for {
		frame, err := c.readFrame(br)
		if err != nil {
			c.postFail(err)
			return
		}
		batch, size := [][]byte{frame}, len(frame)
		for len(batch) < readBatchMax && c.rbytes.Load()+int64(size) < max && c.frameBuffered(br) {
			if frame, err = c.readFrame(br); err != nil {
				break // deliver what came before the bad frame, then fail
			}
			batch = append(batch, frame)
			size += len(frame)
		}
		readAt := time.Now()
		if !r.post(func() { c.deliver(batch, size, readAt) }) {
			return
		}
		if err != nil {
			c.postFail(err)
			return
		}
		if c.rbytes.Add(int64(size)) > max {
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

// readFrame reads one frame, validating its length prefix before it
// allocates anything.
func (c *conn) readFrame(br *bufio.Reader) ([]byte, error) {
	var prefix [4]byte
	if _, err := io.ReadFull(br, prefix[:]); err != nil {
		return nil, readError(c, err)
	}
	n := int64(int32(binary.BigEndian.Uint32(prefix[:])))
	if err := c.checkLength(n); err != nil {
		return nil, err
	}
	frame := make([]byte, 4+n)
	copy(frame, prefix[:])
	if _, err := io.ReadFull(br, frame[4:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the peer left mid-frame
		}
		return nil, readError(c, err)
	}
	return frame, nil
}

// checkLength validates a length prefix n (the bytes after the prefix).
func (c *conn) checkLength(n int64) error {
	if n < frameBodyMin {
		return fmt.Errorf("realrt: conn %d from %s: length prefix %d: %w", c.id, c.remote, n, runtime.ErrBadFrame)
	}
	if n+4 > int64(c.rt.opts.MaxFrameSize) {
		return fmt.Errorf("realrt: conn %d from %s: %d-byte frame over the %d-byte bound: %w",
			c.id, c.remote, n+4, c.rt.opts.MaxFrameSize, runtime.ErrFrameTooLarge)
	}
	return nil
}

// frameBuffered reports whether readFrame would return without a read
// syscall: a whole frame, or a bad length prefix, is already buffered.
func (c *conn) frameBuffered(br *bufio.Reader) bool {
	if br.Buffered() < 4 {
		return false
	}
	prefix, _ := br.Peek(4)
	n := int64(int32(binary.BigEndian.Uint32(prefix)))
	if c.checkLength(n) != nil {
		return true
	}
	return int64(br.Buffered()) >= 4+n
}

// deliver runs on the loop for each batch of received frames.
func (c *conn) deliver(batch [][]byte, size int, readAt time.Time) {
	c.waited = time.Since(readAt)
	limit := int64(c.rt.opts.RecvQueueMax)
	left := c.rbytes.Add(-int64(size))
	if left <= limit && left+int64(size) > limit {
		select {
		case c.rwake <- struct{}{}:
		default:
		}
	}
	for _, frame := range batch {
		if c.state != connOpen {
			return // closed by an earlier handler or locally; drop the rest
		}
		c.h.OnFrame(c, frame)
	}
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
	var vec [][]byte // backing array for the vectored write, reused
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
			vec = append(vec[:0], batch...)
			bufs := net.Buffers(vec) // WriteTo consumes bufs, not vec's array
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
