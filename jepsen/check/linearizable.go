package check

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"rocketsim/jepsen/history"
)

// LinearizableOptions configures the per-queue linearizability checker.
type LinearizableOptions struct {
	// QueueTimeout bounds porcupine's search for one queue; when it runs out
	// the queue's verdict is unknown. 0 means DefaultQueueTimeout.
	QueueTimeout time.Duration `yaml:"queue_timeout" json:"queue_timeout,omitempty"`
	// Budget bounds the whole check; queues left when it is spent are
	// unknown. 0 means DefaultBudget.
	Budget time.Duration `yaml:"budget" json:"budget,omitempty"`
	// UseClientTime orders operations by the clients' clocks, widened by
	// ClockError on both sides, instead of by history index. Index order is
	// the default and the right choice whenever all clients recorded into
	// one recorder (the simulator, one runner process): an event recorded
	// before another really happened before it, whatever the clocks say.
	UseClientTime bool          `yaml:"use_client_time" json:"use_client_time,omitempty"`
	ClockError    time.Duration `yaml:"clock_error" json:"clock_error,omitempty"`
	// VisualizeDir, when set, receives porcupine's HTML visualisation of
	// every queue found not linearizable.
	VisualizeDir string `yaml:"-" json:"-"`

	// untightened skips tighten, for the test that shows it changes no
	// verdict.
	untightened bool
}

// MaxVisualizedOps bounds the queues drawn as HTML: porcupine's verbose
// search keeps every partial linearization, and a page of more operations
// than this is too big to read anyway.
const MaxVisualizedOps = 20000

// DefaultQueueTimeout is the porcupine budget per queue when none is given.
// DefaultBudget bounds the whole check: a pathological history must end in
// "unknown", not hang a seed sweep.
const (
	DefaultQueueTimeout = 10 * time.Second
	DefaultBudget       = 2 * time.Minute
)

// logOp is one operation on a queue's log as porcupine sees it.
type logOp struct {
	write  bool
	offset int64
	// found is a read's result: a message (true) or "no message yet".
	found bool
	// consistent is false for a read whose value can be at that offset in no
	// execution (wrong value, phantom): such a step is always illegal.
	consistent bool
	label      string
	index      int64
}

// logModel is an append-only log that the history describes by offsets:
// the state is the log's length. A write at offset o is legal only at the
// end (o == length: offsets are dense and assigned in order; offsets no
// event names are filled by unobserved writes first, see fillGaps); a read
// that found a message at o needs o inside the log; a read that found
// nothing at o needs o at or beyond the end. Which value sits at each offset
// is fixed before the search (each offset's writer is known), so the state
// stays one integer and porcupine's cache stays small; and since only the
// write at the end can step, porcupine never tries writes in other orders.
var logModel = porcupine.Model{
	Init: func() interface{} { return int64(0) },
	Step: func(state, input, _ interface{}) (bool, interface{}) {
		n := state.(int64)
		in := input.(logOp)
		switch {
		case in.write:
			if in.offset != n {
				return false, n
			}
			return true, n + 1
		case !in.consistent:
			return false, n
		case in.found:
			return in.offset < n, n
		default:
			return in.offset >= n, n
		}
	},
	Equal: func(a, b interface{}) bool { return a.(int64) == b.(int64) },
	Hash:  func(s interface{}) uint64 { return uint64(s.(int64)) },
	DescribeOperation: func(input, _ interface{}) string {
		return input.(logOp).label
	},
	DescribeState: func(s interface{}) string { return fmt.Sprintf("length %d", s.(int64)) },
}

// queueLog collects one queue's operations before the search.
type queueLog struct {
	ops []porcupine.Operation
	// writer of each offset: the value and the op index that declared it.
	value map[int64]string
	by    map[int64]int64
}

// Linearizable checks every message queue as an append-only log: an
// acknowledged send took the offset its ack names, and a read at an offset
// returns what was written there. Delayed and transactional sends (whose
// ack names a system-topic offset), sends with unknown outcome, and
// internal client retries enter a queue where reads show them.
func Linearizable(ops []history.Op, opt LinearizableOptions) Result {
	b := newBuilder("linearizable")
	b.ensure(countNames["linearizable"]...)
	paired, err := history.Pair(ops)
	if err != nil {
		b.fail(err.Error())
		return b.result()
	}
	if opt.QueueTimeout <= 0 {
		opt.QueueTimeout = DefaultQueueTimeout
	}
	if opt.Budget <= 0 {
		opt.Budget = DefaultBudget
	}
	span := func(o history.Operation) (int64, int64) {
		if !opt.UseClientTime {
			end := int64(history.Never)
			if o.End() != history.Never {
				end = o.Completion.Index
			}
			return o.Index(), end
		}
		e := int64(opt.ClockError)
		start, end := o.Start()-e, o.End()
		if end != history.Never {
			end += e
		}
		return start, end
	}

	// Every send, by the value it carries, for reads that name no declared
	// writer.
	sends := map[string][]sent{}
	queues := map[string]*queueLog{}
	queue := func(k string) *queueLog {
		q := queues[k]
		if q == nil {
			q = &queueLog{value: map[int64]string{}, by: map[int64]int64{}}
			queues[k] = q
		}
		return q
	}
	for _, o := range paired {
		op := o.Op()
		if op.F != history.FSend {
			continue
		}
		v := valueOf(op)
		sends[op.MessageID()] = append(sends[op.MessageID()], sent{o, v})
		if o.Type() != history.OK || op.Queue == nil || op.Offset == nil || op.DelayLevel > 0 || op.TxnID != "" || isSystemTopic(op.Topic) {
			continue
		}
		qk, off := op.QueueKey(), *op.Offset
		q := queue(qk)
		if prev, dup := q.by[off]; dup {
			b.anomaly("offset_reused", qk, fmt.Sprintf("two acknowledged sends got offset %d of %s", off, qk), prev, o.Index())
		} else {
			q.value[off], q.by[off] = v, o.Index()
		}
		start, end := span(o)
		q.ops = append(q.ops, porcupine.Operation{
			Input: logOp{write: true, offset: off, label: fmt.Sprintf("send %s @%d [%d]", op.MessageID(), off, o.Index()), index: o.Index()},
			Call:  start, Return: end, Metadata: o.Index(),
		})
		b.add("writes", 1)
	}

	// Reads, in history order; values never declared at their offset are
	// resolved against all sends.
	for _, o := range paired {
		op := o.Op()
		var found bool
		switch {
		case op.F == history.FReceive && o.Type() == history.OK && op.Reconsume == 0:
			found = true
		case op.F == history.FPull && o.Type() == history.OK && op.Status == history.PullNoNewMsg:
			found = false
		default:
			continue
		}
		if op.Queue == nil || op.Offset == nil || isSystemTopic(op.Topic) {
			continue
		}
		qk, off := op.QueueKey(), *op.Offset
		q := queue(qk)
		in := logOp{offset: off, found: found, consistent: true, index: o.Index()}
		if found {
			v := valueOf(op)
			in.label = fmt.Sprintf("read @%d = %s [%d]", off, op.MessageID(), o.Index())
			if want, ok := q.value[off]; ok {
				if !sameValue(want, v) {
					in.consistent = false
					b.anomaly("wrong_value", qk, fmt.Sprintf("read at offset %d of %s returned %s, but %s was written there", off, qk, v, want), q.by[off], o.Index())
				}
			} else if writers := sends[op.MessageID()]; len(writers) == 0 {
				in.consistent = false
				b.anomaly("phantom", qk, fmt.Sprintf("read at offset %d of %s returned %s, which no client sent", off, qk, v), o.Index())
			} else if w, ok := plausibleWriter(writers); !ok {
				in.consistent = false
				b.anomaly("failed_send_visible", qk, fmt.Sprintf("read at offset %d of %s returned %s, whose every send failed", off, qk, v), w.Index(), o.Index())
			} else if !sentAs(writers, v) {
				in.consistent = false
				b.anomaly("wrong_value", qk, fmt.Sprintf("read at offset %d of %s returned %s, but it was sent as %s", off, qk, v, writers[0].value), writers[0].op.Index(), o.Index())
			} else {
				// The first read of an offset no ack named: the message was
				// stored there by a send we cannot place more precisely than
				// "after it was invoked".
				q.value[off], q.by[off] = v, w.Index()
				start, _ := span(w)
				q.ops = append(q.ops, porcupine.Operation{
					Input: logOp{write: true, offset: off, label: fmt.Sprintf("store %s @%d [%d]", op.MessageID(), off, w.Index()), index: w.Index()},
					Call:  start, Return: history.Never, Metadata: w.Index(),
				})
				b.add("writes_inferred", 1)
			}
		} else {
			in.label = fmt.Sprintf("read @%d = none [%d]", off, o.Index())
		}
		start, end := span(o)
		if end == history.Never {
			continue // a read that never returned constrains nothing
		}
		q.ops = append(q.ops, porcupine.Operation{Input: in, Call: start, Return: end, Metadata: o.Index()})
		b.add("reads", 1)
	}

	started := time.Now()
	for _, qk := range sortedKeys(queues) {
		q := queues[qk]
		b.add("queues", 1)
		if n, ok := fillGaps(q); !ok {
			b.add("queues_unknown", 1)
			b.unknown(fmt.Sprintf("%s: %d offsets never observed, more than %d", qk, n, MaxUnobservedOffsets))
			continue
		} else {
			b.add("writes_unobserved", n)
		}
		if !opt.untightened {
			tighten(q.ops)
		}
		if tightenHook != nil {
			tightenHook(q.ops)
		}
		assignClients(q.ops)
		// Only the search's duration reads the machine's clock: it can turn
		// a verdict into unknown, never into pass or fail.
		left := opt.Budget - time.Since(started)
		if left <= 0 {
			b.add("queues_unknown", 1)
			b.unknown(fmt.Sprintf("%s: not checked, the %v budget was spent", qk, opt.Budget))
			continue
		}
		res := porcupine.CheckOperationsTimeout(logModel, q.ops, min(opt.QueueTimeout, left))
		switch res {
		case porcupine.Ok:
			b.add("queues_ok", 1)
		case porcupine.Unknown:
			b.add("queues_unknown", 1)
			b.unknown(fmt.Sprintf("%s: porcupine gave up after %v", qk, min(opt.QueueTimeout, left)))
		case porcupine.Illegal:
			b.add("queues_illegal", 1)
			expl := fmt.Sprintf("%s has no linearization as an append-only log", qk)
			switch {
			case opt.VisualizeDir == "":
			case len(q.ops) > MaxVisualizedOps:
				expl += fmt.Sprintf(" (%d operations: too many to visualise)", len(q.ops))
			default:
				if path, err := visualize(opt.VisualizeDir, qk, q.ops, opt.QueueTimeout); err != nil {
					expl += fmt.Sprintf(" (visualisation failed: %v)", err)
				} else {
					expl += "; see " + path
				}
			}
			b.anomaly("nonlinearizable", qk, expl)
		}
	}
	if n := b.count("queues_illegal"); n > 0 {
		b.fail(fmt.Sprintf("%d queue(s) not linearizable", n))
	}
	// These anomalies are certain on their own, even when porcupine timed out.
	for _, kind := range []string{"offset_reused", "wrong_value", "phantom", "failed_send_visible"} {
		b.limit(kind, 0)
	}
	return b.result()
}

var tightenHook func([]porcupine.Operation)

// MaxUnobservedOffsets bounds the offsets of one queue that fillGaps may
// fill: each becomes an operation for porcupine.
const MaxUnobservedOffsets = 1 << 20

// fillGaps makes a queue's offsets dense. Offsets between the lowest and
// highest a write names that no event names were taken by writes the
// history does not show (a timed-out send nobody read, a delayed message
// not yet delivered): each gets an unobserved write that may happen any
// time before the writes above it. Offsets are then counted from the
// lowest one seen, so a history that starts mid-queue needs no filling
// below. It returns how many writes it added, and false when there would
// be more than MaxUnobservedOffsets.
func fillGaps(q *queueLog) (int64, bool) {
	if len(q.ops) == 0 {
		return 0, true
	}
	base, top := int64(math.MaxInt64), int64(-1)
	earliest := int64(math.MaxInt64)
	written := map[int64]bool{}
	for _, op := range q.ops {
		in := op.Input.(logOp)
		base = min(base, in.offset)
		earliest = min(earliest, op.Call)
		if in.write {
			top = max(top, in.offset)
			written[in.offset] = true
		}
	}
	missing := top - base + 1 - int64(len(written))
	if top < 0 || missing <= 0 {
		missing = 0
	}
	if missing > MaxUnobservedOffsets {
		return missing, false
	}
	for off := base; off <= top && missing > 0; off++ {
		if written[off] {
			continue
		}
		q.ops = append(q.ops, porcupine.Operation{
			Input: logOp{write: true, offset: off, consistent: true, label: fmt.Sprintf("unobserved @%d", off), index: -1},
			Call:  earliest, Return: history.Never, Metadata: int64(-1),
		})
	}
	for i := range q.ops {
		in := q.ops[i].Input.(logOp)
		in.offset -= base
		q.ops[i].Input = in
	}
	return missing, true
}

// tighten narrows each write's interval to what every valid linearization
// allows, so porcupine has less to try. In the model a write at offset k
// comes after every write at a lower offset and after every read that found
// nothing at an offset <= k; and it comes before every write at a higher
// offset and every read that found a message at an offset >= k. So its
// call may rise to the latest call among the former, and its return fall to
// the earliest return among the latter. No valid linearization is excluded:
// this changes speed, not verdicts. When the bounds cross, the history is
// illegal anyway and the write keeps its own interval, for an honest
// visualisation.
//
// It matters most for inferred writes (delayed, transactional and timed-out
// sends), which have no return of their own: left to float from their
// invoke to the end of the history, each can be tried at every point, and
// porcupine's search grows exponentially with how many float at once.
func tighten(ops []porcupine.Operation) {
	type point struct {
		off  int64
		time int64
	}
	var calls, returns []point // lower bounds from below, upper bounds from above
	for _, op := range ops {
		in := op.Input.(logOp)
		switch {
		case in.write:
			calls = append(calls, point{in.offset + 1, op.Call})       // binds writes at offsets > k
			returns = append(returns, point{in.offset - 1, op.Return}) // binds writes at offsets < k
		case !in.consistent:
		case in.found:
			returns = append(returns, point{in.offset, op.Return}) // binds writes at offsets <= j
		default:
			calls = append(calls, point{in.offset, op.Call}) // binds writes at offsets >= j
		}
	}
	// latestCall(k): max time over calls with off <= k.
	sort.Slice(calls, func(i, j int) bool { return calls[i].off < calls[j].off })
	prefix := make([]int64, len(calls))
	for i, c := range calls {
		prefix[i] = c.time
		if i > 0 {
			prefix[i] = max(prefix[i], prefix[i-1])
		}
	}
	// earliestReturn(k): min time over returns with off >= k.
	sort.Slice(returns, func(i, j int) bool { return returns[i].off < returns[j].off })
	suffix := make([]int64, len(returns)+1)
	suffix[len(returns)] = history.Never
	for i := len(returns) - 1; i >= 0; i-- {
		suffix[i] = min(suffix[i+1], returns[i].time)
	}
	for i := range ops {
		in := ops[i].Input.(logOp)
		if !in.write {
			continue
		}
		call, ret := ops[i].Call, ops[i].Return
		if n := sort.Search(len(calls), func(j int) bool { return calls[j].off > in.offset }); n > 0 {
			call = max(call, prefix[n-1])
		}
		ret = min(ret, suffix[sort.Search(len(returns), func(j int) bool { return returns[j].off >= in.offset })])
		if call <= ret {
			ops[i].Call, ops[i].Return = call, ret
		}
	}
}

// valueOf is what a send wrote and a read returns: identity plus body
// digest, so a corrupted body is a different value.
func valueOf(op *history.Op) string {
	return op.MessageID() + "#" + op.BodyDigest
}

// sameValue compares two values; a side recorded without a body digest
// matches any body of the same message.
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	idA, digA, _ := strings.Cut(a, "#")
	idB, digB, _ := strings.Cut(b, "#")
	return idA == idB && (digA == "" || digB == "")
}

// sent is one send operation and the value it carries.
type sent struct {
	op    history.Operation
	value string
}

// sentAs reports whether some send of the message carried value v.
func sentAs(ws []sent, v string) bool {
	for _, w := range ws {
		if sameValue(w.value, v) {
			return true
		}
	}
	return false
}

// plausibleWriter picks the send that may have stored a value found at an
// offset no ack named: any send that was not a certain failure. When all
// failed it returns the first, for the anomaly's op list.
func plausibleWriter(ws []sent) (history.Operation, bool) {
	for _, w := range ws {
		if w.op.Type() != history.Fail {
			return w.op, true
		}
	}
	return ws[0].op, false
}

// assignClients numbers operations for porcupine's visualisation: one
// client lane per run of non-overlapping operations, deterministic.
func assignClients(ops []porcupine.Operation) {
	var busyUntil []int64
	for i := range ops {
		lane := -1
		for l, until := range busyUntil {
			if until < ops[i].Call {
				lane = l
				break
			}
		}
		if lane < 0 {
			lane = len(busyUntil)
			busyUntil = append(busyUntil, 0)
		}
		busyUntil[lane] = ops[i].Return
		ops[i].ClientId = lane
	}
}

// visualize writes porcupine's HTML for one queue and returns its path.
// Porcupine needs the verbose search, which is repeated here only for
// failing queues.
func visualize(dir, queue string, ops []porcupine.Operation, timeout time.Duration) (string, error) {
	_, info := porcupine.CheckOperationsVerbose(logModel, ops, timeout)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("visualise %s: %w", queue, err)
	}
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, queue)
	path := filepath.Join(dir, "linearizability-"+name+".html")
	if err := porcupine.VisualizePath(logModel, info, path); err != nil {
		return "", fmt.Errorf("visualise %s: %w", queue, err)
	}
	return path, nil
}
