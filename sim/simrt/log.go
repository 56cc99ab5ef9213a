package simrt

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// logHandler writes a node's records to the world's log writer, stamped
// with simulated time and the node's name. It never reads the real clock:
// the record's own (real) time is dropped.
type logHandler struct {
	w      *World
	node   string
	prefix []byte
	inner  slog.Handler
}

func (w *World) newLogHandler(node string) slog.Handler {
	h := &logHandler{w: w, node: node}
	if w.opts.LogWriter != nil {
		h.inner = slog.NewTextHandler(w.opts.LogWriter, &slog.HandlerOptions{Level: w.opts.LogLevel})
	}
	return h
}

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner != nil && h.inner.Enabled(ctx, l)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.inner == nil {
		return nil
	}
	out := slog.NewRecord(time.Time{}, r.Level, r.Message, r.PC)
	out.AddAttrs(slog.String("sim", strconv.FormatFloat(h.w.now.Seconds(), 'f', 6, 64)), slog.String("node", h.node))
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(a)
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if h.inner == nil {
		return h
	}
	c := *h
	c.inner = h.inner.WithAttrs(as)
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if h.inner == nil {
		return h
	}
	c := *h
	c.inner = h.inner.WithGroup(name)
	return &c
}
