package ha

import (
	"time"

	"rocketsim/runtime"
)

// waitersMax bounds the SYNC_MASTER puts waiting for a slave; beyond it a
// put is answered at once as not replicated (FLUSH_SLAVE_TIMEOUT) rather
// than queued without limit. It matches the store's bound on puts waiting
// for an fsync.
const waitersMax = 1 << 16

// slaveWaiter is a SYNC_MASTER put waiting for a slave (Java
// GroupCommitRequest in GroupTransferService).
type slaveWaiter struct {
	end      int64
	deadline time.Duration // on the monotonic clock
	done     func(ok bool)
}

// waitQueue holds waiting puts in put order, which is offset order: one
// loop appends to the log.
type waitQueue struct {
	m     *Master
	list  []slaveWaiter
	head  int
	timer runtime.Timer
}

func (q *waitQueue) len() int { return len(q.list) - q.head }

func (q *waitQueue) add(end int64, deadline time.Duration, done func(bool)) {
	if q.len() >= waitersMax {
		q.m.Stats.SlaveTimeouts++
		done(false)
		return
	}
	q.list = append(q.list, slaveWaiter{end: end, deadline: deadline, done: done})
	if q.timer == nil {
		q.arm()
	}
}

func (q *waitQueue) pop() slaveWaiter {
	w := q.list[q.head]
	q.list[q.head] = slaveWaiter{}
	q.head++
	if q.head == len(q.list) {
		q.list, q.head = q.list[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.list) {
		n := copy(q.list, q.list[q.head:])
		q.list, q.head = q.list[:n], 0
	}
	return w
}

// answer completes the puts a slave acknowledged. Ends grow along the
// queue, so it stops at the first one not covered.
func (q *waitQueue) answer(acked int64) {
	for q.len() > 0 && q.list[q.head].end <= acked {
		q.pop().done(true)
	}
	if q.len() == 0 && q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
}

// arm sets the timer for the oldest waiter's deadline.
func (q *waitQueue) arm() {
	q.timer = nil
	if q.len() == 0 {
		return
	}
	d := q.list[q.head].deadline - q.m.rt.Monotonic()
	q.timer = q.m.rt.AfterFunc(d, q.expire)
}

// expire answers FLUSH_SLAVE_TIMEOUT to puts past their deadline. Their
// records stay in the master's log and reach the slave later.
func (q *waitQueue) expire() {
	now := q.m.rt.Monotonic()
	for q.len() > 0 && q.list[q.head].deadline <= now {
		q.m.Stats.SlaveTimeouts++
		q.pop().done(false)
	}
	q.arm()
}

func (q *waitQueue) failAll() {
	for q.len() > 0 {
		q.pop().done(false)
	}
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
}
