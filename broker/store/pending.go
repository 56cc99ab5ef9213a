package store

import "rocketsim/broker/store/message"

// dispatchPendingMax bounds the records kept in memory between their put
// and their dispatch (one loop turn, or one fsync under serveOnlyFlushed);
// records beyond it are read back from the commit log when their turn
// comes.
const dispatchPendingMax = 1 << 14

// pendingRecord is a put record waiting to be dispatched.
type pendingRecord struct {
	rec  message.Record
	off  int64
	size int
}

// pendingRecords is a FIFO of put records in commit log order.
type pendingRecords struct {
	list []pendingRecord
	head int
}

func (q *pendingRecords) len() int { return len(q.list) - q.head }

func (q *pendingRecords) push(p pendingRecord) { q.list = append(q.list, p) }

// dropBefore forgets records below off (dispatched another way) and
// returns the first one left, or nil.
func (q *pendingRecords) dropBefore(off int64) *pendingRecord {
	for q.len() > 0 && q.list[q.head].off < off {
		q.pop()
	}
	if q.len() == 0 {
		return nil
	}
	return &q.list[q.head]
}

func (q *pendingRecords) pop() {
	q.list[q.head] = pendingRecord{} // let the body go
	q.head++
	if q.head == len(q.list) {
		q.list, q.head = q.list[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.list) {
		n := copy(q.list, q.list[q.head:])
		q.list, q.head = q.list[:n], 0
	}
}
