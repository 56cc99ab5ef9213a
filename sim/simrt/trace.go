package simrt

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// The trace hash is FNV-1a 64 over each delivered event's time, node, kind
// and the digests the event's handlers noted (frame checksums, connection
// ids). Two runs that deliver the same events in the same order agree.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvUint64(h, v uint64) uint64 {
	for range 8 {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// TraceHash is the running hash of every event delivered so far, in hex.
func (w *World) TraceHash() string { return fmt.Sprintf("%016x", w.hash) }

// Events is the number of events delivered so far.
func (w *World) Events() uint64 { return w.events }

// SetTraceWriter makes the world write one line per delivered event to out
// (nil stops it). Write errors are ignored: the trace is for debugging.
func (w *World) SetTraceWriter(out io.Writer) { w.trace = out }

// foldEvent starts the trace entry of an event about to run.
func (w *World) foldEvent(at time.Duration, nodeHash uint64, node string, kind eventKind) {
	h := fnvUint64(w.hash, uint64(at))
	h = fnvUint64(h, nodeHash)
	w.hash = fnvUint64(h, uint64(kind))
	if w.trace != nil {
		w.line = strconv.AppendInt(w.line[:0], int64(at), 10)
		w.line = append(w.line, ' ')
		w.line = append(w.line, node...)
		w.line = append(w.line, ' ')
		w.line = append(w.line, kindNames[kind]...)
	}
}

// Note folds what the running event did into the trace. Lifecycle actions
// and the network call it; tests may too.
func (w *World) Note(what string, digest uint64) {
	w.hash = fnvUint64(fnvString(w.hash, what), digest)
	if w.trace != nil {
		w.line = append(w.line, ' ')
		w.line = append(w.line, what...)
		w.line = append(w.line, '=')
		w.line = strconv.AppendUint(w.line, digest, 16)
	}
}

// flushTrace ends the current trace line.
func (w *World) flushTrace() {
	if w.trace != nil && len(w.line) > 0 {
		w.line = append(w.line, '\n')
		_, _ = w.trace.Write(w.line)
		w.line = w.line[:0]
	}
}
