package history

import (
	"fmt"
	"io"
)

// Recorder collects a history in memory as clients run. It never reads a
// clock: callers pass each event's time, so a recorder driven by simulated
// clients is deterministic. It assigns indices in call order and is not safe
// for concurrent use (simulated clients run on one event loop; real clients
// wrap it in a mutex, see Synced).
type Recorder struct {
	ops []Op
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Add appends an event, sets its index and returns it.
func (r *Recorder) Add(op Op) int64 {
	if err := op.Validate(); err != nil {
		// A client that records a malformed event is a programmer error.
		panic(fmt.Sprintf("history: recording invalid event: %v", err))
	}
	op.Index = int64(len(r.ops))
	r.ops = append(r.ops, op)
	return op.Index
}

// Invoke records an invoke event of op (whose Type is overwritten).
func (r *Recorder) Invoke(op Op) int64 {
	op.Type = Invoke
	return r.Add(op)
}

// Complete records a completion of the given type for the operation that
// invoke (an index returned by Invoke) began. It starts from a copy of the
// invoke so the completion repeats the operation's values, then applies
// update (which may be nil) to set the results, and stamps the time.
func (r *Recorder) Complete(invoke int64, t Type, time int64, update func(*Op)) int64 {
	if invoke < 0 || invoke >= int64(len(r.ops)) || r.ops[invoke].Type != Invoke {
		panic(fmt.Sprintf("history: completing %d, which is not an invoke", invoke))
	}
	if t == Invoke {
		panic("history: completing with type invoke")
	}
	op := r.ops[invoke].clone()
	op.Type, op.Time, op.SimTime, op.Error = t, time, 0, ""
	if update != nil {
		update(&op)
	}
	return r.Add(op)
}

// Len is the number of events recorded.
func (r *Recorder) Len() int { return len(r.ops) }

// Ops returns the events recorded so far. The slice is shared: do not modify.
func (r *Recorder) Ops() []Op { return r.ops }

// WriteTo writes the history as JSON lines.
func (r *Recorder) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	err := Write(cw, r.ops)
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
