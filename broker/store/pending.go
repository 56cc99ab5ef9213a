package store

import (
	"rocketsim/broker/fifo"
	"rocketsim/broker/store/message"
)

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
type pendingRecords struct{ q fifo.Queue[pendingRecord] }

func (p *pendingRecords) len() int { return p.q.Len() }

func (p *pendingRecords) push(r pendingRecord) { p.q.Push(r) }

// dropBefore forgets records below off (dispatched another way) and
// returns the first one left, or nil.
func (p *pendingRecords) dropBefore(off int64) *pendingRecord {
	for p.q.Len() > 0 && p.q.Front().off < off {
		p.q.Pop()
	}
	if p.q.Len() == 0 {
		return nil
	}
	return p.q.Front()
}

func (p *pendingRecords) pop() { p.q.Pop() }
