package store

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"rocketsim/broker/store/consumequeue"
	"rocketsim/broker/store/message"
	"rocketsim/broker/store/segment"
)

// Filter decides which messages a pull returns (the broker's tag and SQL
// filters). MatchTagsCode sees the consume queue's tag hash before the
// record is read; MatchProperties the record's properties after.
type Filter interface {
	MatchTagsCode(tagsCode int64) bool
	MatchProperties(properties string) bool
}

// GetResult is a pull's answer (Java GetMessageResult).
type GetResult struct {
	Status GetStatus
	// Records are the stored bytes of each message, as a pull response
	// body concatenates them.
	Records         [][]byte
	NextBeginOffset int64
	MinOffset       int64
	MaxOffset       int64
	// SuggestPullingFromSlave is never set: this store has no slaves yet.
	SuggestPullingFromSlave bool

	// body is the buffer GetMessage read the records into, end to end:
	// Body returns it as it is while Records still are exactly its
	// pieces, in order.
	body []byte
}

// Body concatenates the records: a PULL_MESSAGE response body. When the
// records are GetMessage's own, back to back in one buffer, that buffer is
// the body and nothing is copied; a caller that replaced or reordered
// Records gets a fresh concatenation.
func (r *GetResult) Body() []byte {
	if r.contiguous() {
		return r.body
	}
	return bytes.Join(r.Records, nil)
}

// contiguous reports whether Records are body's pieces, in order, with
// nothing between or after them.
func (r *GetResult) contiguous() bool {
	if len(r.body) == 0 || len(r.Records) == 0 {
		return false
	}
	at := 0
	for _, rec := range r.Records {
		if len(rec) == 0 || at+len(rec) > len(r.body) || &rec[0] != &r.body[at] {
			return false
		}
		at += len(rec)
	}
	return at == len(r.body)
}

// GetMessage reads up to maxMsgNums messages of topic/queueID from queue
// offset offset (Java DefaultMessageStore.getMessage), bounded also by
// maxTransferCountOnMessageInMemory and maxTransferBytesOnMessageInMemory.
// The bounds apply to what is returned, and at least one message is
// returned whatever its size.
func (s *Store) GetMessage(topic string, queueID int32, offset int64, maxMsgNums int, filter Filter) GetResult {
	q, _ := s.queue(topic, queueID, false)
	if q == nil {
		return GetResult{Status: NoMatchedLogicQueue}
	}
	r := GetResult{MinOffset: q.MinOffset(), MaxOffset: q.MaxOffset()}
	switch {
	case r.MaxOffset == 0:
		r.Status, r.NextBeginOffset = NoMessageInQueue, 0
		return r
	case offset < r.MinOffset:
		r.Status, r.NextBeginOffset = OffsetTooSmall, r.MinOffset
		return r
	case offset == r.MaxOffset:
		r.Status, r.NextBeginOffset = OffsetOverflowOne, offset
		return r
	case offset > r.MaxOffset:
		r.Status = OffsetOverflowBadly
		if r.MinOffset == 0 {
			r.NextBeginOffset = r.MinOffset
		} else {
			r.NextBeginOffset = r.MaxOffset
		}
		return r
	}
	countMax := min(maxMsgNums, s.cfg.MaxTransferCountOnMessageInMemory)
	bytesMax := s.cfg.MaxTransferBytesOnMessageInMemory
	// Filtered-out units cost a read of the queue only; bound how many
	// a pull looks at (Java reads at most 16000 units' worth).
	scanMax := max(countMax, 1) * 16
	if scanMax > 16000 {
		scanMax = 16000
	}
	units, err := q.Get(offset, scanMax)
	if err != nil || len(units) == 0 {
		r.Status, r.NextBeginOffset = OffsetFoundNull, offset
		return r
	}
	r.Status = NoMatchedMessage
	next := offset
	total := 0
	minPhy := s.cl.MinOffset()
	// The records are read back to back into one buffer, sized for the
	// most this pull can return, rather than one allocation each that
	// Body then copies again (a tenth of the broker's CPU when serving
	// pulls). A record that does not fit starts a buffer of its own;
	// one the filter drops gives its room back.
	buf := make([]byte, 0, readBufferFor(units, countMax, bytesMax))
	var origin []byte // the buffer the first record went into
	win := getWindow()
	defer putWindow(win)
	for i, u := range units {
		if len(r.Records) >= countMax || (len(r.Records) > 0 && total+int(u.Size) > bytesMax) {
			break
		}
		next = offset + int64(i) + 1
		if u.Offset < minPhy {
			r.Status = MessageWasRemoving
			continue
		}
		if filter != nil && !filter.MatchTagsCode(u.TagsCode) {
			continue
		}
		if cap(buf)-len(buf) < int(u.Size) {
			buf = make([]byte, 0, u.Size) // earlier records keep the old buffer
		}
		b := buf[len(buf) : len(buf)+int(u.Size)]
		if !win.has(u) {
			win.fill(s, units[i:], countMax-len(r.Records))
		}
		if err := win.copyOut(s, b, u); err != nil {
			if len(r.Records) == 0 {
				r.Status = OffsetFoundNull
			}
			next = offset + int64(i)
			break
		}
		if filter != nil {
			rec, err := message.Decode(b, false)
			if err != nil || !filter.MatchProperties(rec.Properties) {
				continue
			}
		}
		if len(r.Records) == 0 {
			origin = buf[:0:cap(buf)]
		}
		buf = buf[:len(buf)+len(b)]
		r.Records = append(r.Records, b[:len(b):len(b)])
		total += len(b)
	}
	if len(r.Records) > 0 {
		r.Status = Found
		if total <= cap(origin) {
			r.body = origin[:total:total]
			if !r.contiguous() { // a record started a buffer of its own
				r.body = nil
			}
		}
	}
	r.NextBeginOffset = next
	return r
}

// readInto reads the record at commit log offset off into b, which is
// exactly its size (commitlog.Log.Read, without the allocation).
func (s *Store) readInto(b []byte, off int64) error {
	seg := s.cl.Segments().Find(off)
	if seg == nil {
		return fmt.Errorf("commit log: offset %d outside [%d,%d): %w", off, s.cl.MinOffset(), s.cl.MaxOffset(), segment.ErrBeyondEnd)
	}
	if err := seg.ReadAt(b, off-seg.Base); err != nil {
		return fmt.Errorf("commit log: %w", err)
	}
	return nil
}

// A pull reads its records through a window: one read of the commit log
// span that holds the next records of the queue, when they lie close
// together, instead of one read each. A queue's records are interleaved
// with other queues' (a producer sends round robin), so the span holds
// other records too; it is read only while it is at most
// windowAmplificationMax times the bytes wanted and windowMax long.
// Reading a record was nearly half the broker's CPU when serving pulls, a
// read syscall per message.
const (
	windowMax              = 512 << 10
	windowAmplificationMax = 16
)

// readWindow is a span of the commit log read at once.
type readWindow struct {
	off  int64 // commit log offset of data[0]
	data []byte
	buf  []byte // data's backing store, reused across pulls
}

// windows keeps read windows between pulls: a store runs on one loop, but
// a process may run several stores (realrt nodes) at once.
var windows = sync.Pool{New: func() any { return &readWindow{} }}

func getWindow() *readWindow { return windows.Get().(*readWindow) }

func putWindow(w *readWindow) {
	w.data = nil
	windows.Put(w)
}

// has reports whether u's bytes are in the window.
func (w *readWindow) has(u consumequeue.Unit) bool {
	return w.data != nil && u.Offset >= w.off && u.Offset+int64(u.Size) <= w.off+int64(len(w.data))
}

// fill reads the span from units[0] to the end of the last of the next
// records worth reading together (at most count), or empties the window
// when units[0] is best read alone.
func (w *readWindow) fill(s *Store, units []consumequeue.Unit, count int) {
	w.data = nil
	first := units[0]
	seg := s.cl.Segments().Find(first.Offset)
	if seg == nil {
		return
	}
	end, wanted := first.Offset+int64(first.Size), int64(first.Size)
	for _, v := range units[1:min(len(units), max(count, 1))] {
		vEnd := v.Offset + int64(v.Size)
		if v.Offset < first.Offset || vEnd > seg.End() {
			break
		}
		span := max(end, vEnd) - first.Offset
		if span > windowMax || span > windowAmplificationMax*(wanted+int64(v.Size)) {
			break
		}
		end, wanted = max(end, vEnd), wanted+int64(v.Size)
	}
	if wanted == int64(first.Size) {
		return // one record: read it in place
	}
	n := int(end - first.Offset)
	if cap(w.buf) < n {
		w.buf = make([]byte, max(n, windowMax/4))
	}
	if err := seg.ReadAt(w.buf[:n], first.Offset-seg.Base); err != nil {
		return // each record is read alone, and reports its own error
	}
	w.off, w.data = first.Offset, w.buf[:n]
}

// copyOut fills b with u's record, from the window when it holds it.
func (w *readWindow) copyOut(s *Store, b []byte, u consumequeue.Unit) error {
	if w.has(u) {
		copy(b, w.data[u.Offset-w.off:])
		return nil
	}
	return s.readInto(b, u.Offset)
}

// readBufferFor is the buffer a pull needs for the records of units it
// may return: the first countMax sizes, cut at bytesMax (at least one
// record whatever its size).
func readBufferFor(units []consumequeue.Unit, countMax, bytesMax int) int {
	n := 0
	for i, u := range units {
		if i >= countMax || (i > 0 && n+int(u.Size) > bytesMax) {
			break
		}
		n += int(u.Size)
	}
	return n
}

// MinOffsetInQueue is the first queue offset still served (0 if none).
func (s *Store) MinOffsetInQueue(topic string, queueID int32) int64 {
	if q, _ := s.queue(topic, queueID, false); q != nil {
		return q.MinOffset()
	}
	return 0
}

// MaxOffsetInQueue is the queue offset the next message gets.
func (s *Store) MaxOffsetInQueue(topic string, queueID int32) int64 {
	if q, _ := s.queue(topic, queueID, false); q != nil {
		return q.MaxOffset()
	}
	return 0
}

// OffsetInQueueByTime is the first queue offset stored at or after ts
// (milliseconds), MaxOffset past the end (Java getOffsetInQueueByTime).
func (s *Store) OffsetInQueueByTime(topic string, queueID int32, ts int64) (int64, error) {
	q, _ := s.queue(topic, queueID, false)
	if q == nil {
		return 0, nil
	}
	return q.OffsetByTime(ts, func(u consumequeue.Unit) (int64, error) {
		return s.storeTimestampAt(u.Offset, u.Size)
	})
}

// storeTimestampAt reads one record's STORETIMESTAMP.
func (s *Store) storeTimestampAt(off int64, size int32) (int64, error) {
	b, err := s.cl.Read(off, size)
	if err != nil {
		return 0, err
	}
	rec, err := message.Decode(b, false)
	if err != nil {
		return 0, fmt.Errorf("store: record at %d: %w", off, err)
	}
	return rec.StoreTimestamp, nil
}

// MessageStoreTimestamp is the store time of the message at a queue offset.
func (s *Store) MessageStoreTimestamp(topic string, queueID int32, offset int64) (int64, error) {
	q, _ := s.queue(topic, queueID, false)
	if q == nil {
		return 0, fmt.Errorf("store: no queue %s-%d", topic, queueID)
	}
	us, err := q.Get(offset, 1)
	if err != nil || len(us) == 0 {
		return 0, fmt.Errorf("store: %s-%d has no offset %d: %v", topic, queueID, offset, err)
	}
	return s.storeTimestampAt(us[0].Offset, us[0].Size)
}

// CommitLogOffsetInQueue is the commit log offset of a queue offset.
func (s *Store) CommitLogOffsetInQueue(topic string, queueID int32, offset int64) (int64, error) {
	q, _ := s.queue(topic, queueID, false)
	if q == nil {
		return 0, fmt.Errorf("store: no queue %s-%d", topic, queueID)
	}
	us, err := q.Get(offset, 1)
	if err != nil || len(us) == 0 {
		return 0, fmt.Errorf("store: %s-%d has no offset %d: %v", topic, queueID, offset, err)
	}
	return us[0].Offset, nil
}

// LookMessageByOffset reads the record at a commit log offset (a message
// id's offset), checking its CRC, and returns its decoded form and bytes.
func (s *Store) LookMessageByOffset(phy int64) (message.Record, []byte, error) {
	if phy < s.cl.MinOffset() || phy >= s.cl.MaxOffset() {
		return message.Record{}, nil, fmt.Errorf("store: offset %d outside [%d,%d)", phy, s.cl.MinOffset(), s.cl.MaxOffset())
	}
	return s.cl.ReadRecord(phy)
}

// QueryMessage finds up to maxNum messages of topic whose KEYS contain key
// or whose UNIQ_KEY is key, stored within [begin, end] milliseconds, newest
// index file first (Java queryMessage). Each hit is checked against the
// record itself, so hash collisions and stale index entries never leak.
func (s *Store) QueryMessage(topic, key string, maxNum int, begin, end int64) ([][]byte, error) {
	if s.ix == nil {
		return nil, fmt.Errorf("store: messageIndexEnable is false")
	}
	maxNum = min(maxNum, queryMaxNum)
	offs, err := s.ix.Query(topic, key, maxNum*2, begin, end)
	if err != nil {
		return nil, fmt.Errorf("store: query %s#%s: %w", topic, key, err)
	}
	var out [][]byte
	seen := map[int64]bool{}
	for _, off := range offs {
		if len(out) >= maxNum {
			break
		}
		if seen[off] || off < s.cl.MinOffset() || off >= s.cl.MaxOffset() {
			continue
		}
		seen[off] = true
		rec, b, err := s.cl.ReadRecord(off)
		if err != nil || rec.Topic != topic || !hasKey(rec.Properties, key) {
			continue
		}
		out = append(out, b)
	}
	return out, nil
}

func hasKey(props, key string) bool {
	if v, ok := message.Property(props, message.PropertyUniqKey); ok && v == key {
		return true
	}
	if v, ok := message.Property(props, message.PropertyKeys); ok {
		for k := range strings.FieldsSeq(v) {
			if k == key {
				return true
			}
		}
	}
	return false
}

// MinPhyOffset and MaxPhyOffset bound the commit log.
func (s *Store) MinPhyOffset() int64 { return s.cl.MinOffset() }
func (s *Store) MaxPhyOffset() int64 { return s.cl.MaxOffset() }

// SyncedPhyOffset is the commit log offset a finished fsync covers.
func (s *Store) SyncedPhyOffset() int64 { return s.flush.synced }

// DiskUsageRatio is the store volume's used share at the last check
// (Java's commitLogDiskRatio).
func (s *Store) DiskUsageRatio() float64 { return s.lastUsage }

// DispatchedPhyOffset is how far consume queues and index are built.
func (s *Store) DispatchedPhyOffset() int64 { return s.dispatched }

// Topics lists the topic-queues the store holds, sorted.
func (s *Store) Topics() map[string][]int32 {
	out := map[string][]int32{}
	for _, q := range s.sortedQueues() {
		out[q.Topic] = append(out[q.Topic], q.QueueID)
	}
	return out
}

// DeleteTopic drops a topic's consume queues (Java cleanUnusedTopic); its
// records stay in the commit log until retention.
func (s *Store) DeleteTopic(topic string) error {
	for _, q := range s.sortedQueues() {
		if q.Topic != topic {
			continue
		}
		if err := q.Destroy(); err != nil {
			return fmt.Errorf("store: delete topic %s: %w", topic, err)
		}
		s.dropQueue(qkey{q.Topic, q.QueueID})
		delete(s.queueOffsets, qkey{q.Topic, q.QueueID})
	}
	return nil
}
