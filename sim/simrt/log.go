package simrt

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"time"
)

// logHandler writes a node's records to the world's log writer as slog text
// lines prefixed with the simulated time and the node's name:
//
//	12.000350 broker-a level=INFO msg="flush done" bytes=4096
//
// It never reads the real clock: the record's own (real) time is dropped.
type logHandler struct {
	inner slog.Handler // nil when the world discards logs
}

// prefixWriter puts the simulated time and node name before each line.
// TextHandler writes each record with exactly one Write call.
type prefixWriter struct {
	w    *World
	node string
	out  io.Writer
	buf  []byte
}

func (p *prefixWriter) Write(line []byte) (int, error) {
	p.buf = strconv.AppendFloat(p.buf[:0], p.w.now.Seconds(), 'f', 6, 64)
	p.buf = append(p.buf, ' ')
	p.buf = append(p.buf, p.node...)
	p.buf = append(p.buf, ' ')
	p.buf = append(p.buf, line...)
	if _, err := p.out.Write(p.buf); err != nil {
		return 0, err
	}
	return len(line), nil
}

func (w *World) newLogHandler(node string) slog.Handler {
	if w.opts.LogWriter == nil {
		return logHandler{}
	}
	pw := &prefixWriter{w: w, node: node, out: w.opts.LogWriter}
	return logHandler{inner: slog.NewTextHandler(pw, &slog.HandlerOptions{Level: w.opts.LogLevel})}
}

func (h logHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner != nil && h.inner.Enabled(ctx, l)
}

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.inner == nil {
		return nil
	}
	r.Time = time.Time{} // TextHandler omits a zero time
	return h.inner.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if h.inner == nil {
		return h
	}
	return logHandler{inner: h.inner.WithAttrs(as)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	if h.inner == nil {
		return h
	}
	return logHandler{inner: h.inner.WithGroup(name)}
}
