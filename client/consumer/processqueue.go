package consumer

import (
	"slices"
	"time"

	"rocketsim/client"
)

// processQueue is one owned queue: where to pull next and the messages
// pulled but not yet consumed (Java ProcessQueue).
type processQueue struct {
	q          client.Queue
	nextOffset int64
	// msgs are cached messages by queue offset, handed to the handler or
	// waiting for it; bytes is the size of their bodies.
	msgs  map[int64]*client.MessageExt
	bytes int
	// maxOffset is the highest offset pulled (or skipped by a filter); once
	// msgs is empty everything up to it is consumed.
	maxOffset int64
	// dispatched marks messages already handed to a concurrent handler.
	dispatched map[int64]bool
	dropped    bool
	// brokerID is the broker the last pull suggested (0: master).
	brokerID int64

	// Orderly consumption.
	locked    bool
	lockedAt  time.Duration
	consuming bool
	// waking is set while a suspended orderly queue waits to retry.
	waking bool
}

func newProcessQueue(q client.Queue, offset int64) *processQueue {
	return &processQueue{q: q, nextOffset: offset, msgs: map[int64]*client.MessageExt{},
		maxOffset: offset - 1, dispatched: map[int64]bool{}}
}

func (pq *processQueue) add(msgs []*client.MessageExt) {
	for _, m := range msgs {
		if _, ok := pq.msgs[m.QueueOffset]; ok {
			continue
		}
		pq.msgs[m.QueueOffset] = m
		pq.bytes += len(m.Body)
		pq.maxOffset = max(pq.maxOffset, m.QueueOffset)
	}
}

// offsets are the cached offsets, ascending.
func (pq *processQueue) offsets() []int64 {
	out := make([]int64, 0, len(pq.msgs))
	for off := range pq.msgs {
		out = append(out, off)
	}
	slices.Sort(out)
	return out
}

// span is the distance between the lowest and highest cached offsets.
func (pq *processQueue) span() int64 {
	if len(pq.msgs) == 0 {
		return 0
	}
	offs := pq.offsets()
	return offs[len(offs)-1] - offs[0]
}

// remove drops consumed messages and returns the offset to commit: the
// lowest still cached, or one past the highest pulled when none is.
func (pq *processQueue) remove(msgs []*client.MessageExt) int64 {
	for _, m := range msgs {
		if cached, ok := pq.msgs[m.QueueOffset]; ok {
			pq.bytes -= len(cached.Body)
			delete(pq.msgs, m.QueueOffset)
			delete(pq.dispatched, m.QueueOffset)
		}
	}
	if len(pq.msgs) == 0 {
		return pq.maxOffset + 1
	}
	low := int64(-1)
	for off := range pq.msgs {
		if low < 0 || off < low {
			low = off
		}
	}
	return low
}

// lockValid reports whether an orderly queue's lock is held and fresh.
func (pq *processQueue) lockValid(now time.Duration) bool {
	return pq.locked && now-pq.lockedAt <= LockMaxLive
}
