package ha

import (
	"time"

	"rocketsim/broker/fifo"
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
	list  fifo.Queue[slaveWaiter]
	timer runtime.Timer
}

func (q *waitQueue) len() int { return q.list.Len() }

func (q *waitQueue) add(end int64, deadline time.Duration, done func(bool)) {
	if q.len() >= waitersMax {
		q.m.Stats.SlaveTimeouts++
		done(false)
		return
	}
	q.list.Push(slaveWaiter{end: end, deadline: deadline, done: done})
	if q.timer == nil {
		q.arm()
	}
}

func (q *waitQueue) pop() slaveWaiter { return q.list.Pop() }

// answer completes the puts a slave acknowledged. Ends grow along the
// queue, so it stops at the first one not covered.
func (q *waitQueue) answer(acked int64) {
	for q.len() > 0 && q.list.Front().end <= acked {
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
	d := q.list.Front().deadline - q.m.rt.Monotonic()
	q.timer = q.m.rt.AfterFunc(d, q.expire)
}

// expire answers FLUSH_SLAVE_TIMEOUT to puts past their deadline. Their
// records stay in the master's log and reach the slave later.
func (q *waitQueue) expire() {
	now := q.m.rt.Monotonic()
	for q.len() > 0 && q.list.Front().deadline <= now {
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
