package history

import (
	"fmt"
	"math"
)

// Never is the completion time of an operation that never completed: it may
// take effect at any time after its invoke.
const Never = math.MaxInt64

// Operation is an invoke joined with its completion, or a point event.
type Operation struct {
	// Invoke is nil for a point event (a completion with no invoke).
	Invoke *Op
	// Completion is nil when the history ends before the operation completed.
	Completion *Op
}

// Type is the operation's outcome: the completion's type, or Info (unknown)
// when it never completed.
func (o Operation) Type() Type {
	if o.Completion == nil {
		return Info
	}
	return o.Completion.Type
}

// Op returns the event that best describes the operation: the completion when
// there is one (it repeats the invoke's values and adds results), else the
// invoke.
func (o Operation) Op() *Op {
	if o.Completion != nil {
		return o.Completion
	}
	return o.Invoke
}

// Start is the client time at which the operation began.
func (o Operation) Start() int64 {
	if o.Invoke != nil {
		return o.Invoke.Time
	}
	return o.Completion.Time
}

// End is the client time at which it completed, or Never.
func (o Operation) End() int64 {
	if o.Completion == nil || o.Completion.Type == Info {
		// An info completion says nothing about when the effect happened: it
		// may still take effect later (a send that timed out may be stored
		// after the client gave up).
		return Never
	}
	return o.Completion.Time
}

// Index is the history index of the operation's first event.
func (o Operation) Index() int64 {
	if o.Invoke != nil {
		return o.Invoke.Index
	}
	return o.Completion.Index
}

// Pair joins invokes with completions. A completion pairs with the
// outstanding invoke of the same process and function; a completion with no
// such invoke is a point event. Operations are returned in the order of their
// first event. An invoke while the same process already has an operation of
// the same function outstanding is an error: the recorder broke the
// one-operation-per-process rule and pairing would be guesswork.
func Pair(ops []Op) ([]Operation, error) {
	type pk struct{ process, f string }
	open := make(map[pk]int) // position in out
	out := make([]Operation, 0, len(ops))
	for i := range ops {
		op := &ops[i]
		k := pk{op.Process, op.F}
		if op.Type == Invoke {
			if j, ok := open[k]; ok {
				return nil, fmt.Errorf("history: index %d: process %q invokes %s while index %d is outstanding",
					op.Index, op.Process, op.F, out[j].Invoke.Index)
			}
			open[k] = len(out)
			out = append(out, Operation{Invoke: op})
			continue
		}
		if j, ok := open[k]; ok {
			out[j].Completion = op
			delete(open, k)
			continue
		}
		out = append(out, Operation{Completion: op})
	}
	return out, nil
}

// End returns the largest client time in the history (0 when empty): the
// moment the observation stopped, used by checkers to tell "never happened"
// from "had no time to happen yet".
func End(ops []Op) int64 {
	var end int64
	for i := range ops {
		if ops[i].Time > end {
			end = ops[i].Time
		}
	}
	return end
}

// UseSimTime returns a copy of ops whose Time is replaced by SimTime where the
// latter is set. It is for analysing a simulated run with perfect clocks (for
// example to measure the checkers' clock-error slack); verdicts of record use
// the clients' own times.
func UseSimTime(ops []Op) []Op {
	out := make([]Op, len(ops))
	copy(out, ops)
	for i := range out {
		if out[i].SimTime != 0 {
			out[i].Time = out[i].SimTime
		}
	}
	return out
}
