package history

import (
	"io"
	"sync"
)

// Synced is a Recorder shared by goroutines (real clients in multi-process
// mode). Simulated clients use a plain Recorder from the event loop.
type Synced struct {
	mu sync.Mutex
	r  Recorder
}

// Add appends an event; see Recorder.Add.
func (s *Synced) Add(op Op) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Add(op)
}

// Invoke records an invoke; see Recorder.Invoke.
func (s *Synced) Invoke(op Op) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Invoke(op)
}

// Complete records a completion; see Recorder.Complete.
func (s *Synced) Complete(invoke int64, t Type, time int64, update func(*Op)) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Complete(invoke, t, time, update)
}

// Snapshot returns a copy of the events recorded so far.
func (s *Synced) Snapshot() []Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Op(nil), s.r.ops...)
}

// WriteTo writes the history as JSON lines.
func (s *Synced) WriteTo(w io.Writer) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.WriteTo(w)
}
