// Package schedule delivers delayed messages (RocketMQ's delay levels,
// ScheduleMessageService): the store parks a message sent with DELAY=<level>
// in SCHEDULE_TOPIC_XXXX queue level-1, and this service moves it to its
// real topic and queue when the level's delay has passed since it was
// stored.
//
// One scheduler per level walks that level's queue in order. Its progress,
// the next queue offset to deliver, advances only once the re-put of a
// message has been answered OK by the store (under SYNC_FLUSH: after the
// fsync that covers it), and is persisted to delayOffset.json every
// flushDelayOffsetInterval and on Stop, but only as far as the commit log
// is synced: under ASYNC_FLUSH a re-put is answered before its fsync, and a
// file that ran ahead of it would lose, on a power loss, a parked message
// that had long been durable. After a crash the persisted offsets are at
// most one interval stale, so some messages are delivered again:
// duplicates are allowed, loss is not.
//
// Time. A message is due when the broker's own wall clock (rt.Now) reaches
// its store timestamp plus the level's delay: the store timestamp was read
// from the same clock. Jumps of that clock are faults, handled so:
//
//   - A forward jump makes messages due early in real time, but on time by
//     the broker's clock, which is the only clock the broker has. Waiting
//     heads are re-examined at least every recheckIntervalMax, so such a
//     message goes out within that bound of the jump.
//   - A backward jump would make waiting heads wait longer by the size of the
//     jump. RocketMQ's correctDeliverTimestamp sees a deliver time further
//     away than the level's delay (impossible without a backward jump) and
//     delivers at once, which is early in real time. Here, instead, the wait
//     for a head of queue is bounded by the level's delay on the monotonic
//     clock, counted from when the head was first examined: the message is
//     never early in elapsed time and at most one level delay late.
//
// The service is a library on the broker's event loop: it uses only the
// runtime's clock, timers and disk, and never starts a goroutine.
package schedule

import (
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/config/jsonfile"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
)

// Bounds and periods of the scheduler.
const (
	// inflightMax bounds the re-puts one level has waiting for their
	// answer. Puts of one loop turn share a commit log write and an fsync,
	// so a window keeps delivery from costing one fsync per message, and
	// the bound keeps a backlog from flooding the store's waiter queue.
	inflightMax = 32
	// readBatchMax bounds how many consume queue entries one read takes.
	readBatchMax = 32
	// recheckIntervalMax is the longest a waiting head goes unexamined, so
	// that a forward jump of the wall clock is noticed within it.
	recheckIntervalMax = time.Second
	// idleRecheckInterval is how often an empty level looks for new
	// messages when no Notify came (a safety net: the broker notifies).
	idleRecheckInterval = time.Second
	// putRetryDelay is how long a level waits after a failed re-put before
	// it tries the same message again (Java DELAY_FOR_A_PERIOD, 10 s).
	putRetryDelay = 10 * time.Second
	// flushIntervalDefault persists offsets when the configuration says 0.
	flushIntervalDefault = 10 * time.Second
)

// Store is what the service reads: the broker's *store.Store.
type Store interface {
	GetMessage(topic string, queueID int32, offset int64, maxMsgNums int, filter store.Filter) store.GetResult
	MinOffsetInQueue(topic string, queueID int32) int64
	MaxOffsetInQueue(topic string, queueID int32) int64
	// SyncedPhyOffset is how far the commit log is on the media.
	SyncedPhyOffset() int64
}

// Putter stores a due message in its real topic: the broker's put, which
// also wakes pulls held on that queue. done runs on the loop, possibly
// before Putter returns (a refused put).
type Putter func(m *store.Message, done func(store.PutResult))

// Options configure the service.
type Options struct {
	Clock runtime.Clock
	FS    runtime.FS
	Log   *slog.Logger
	// Levels is messageDelayLevel, level 1 first.
	Levels config.DelayLevels
	// Path is delayOffset.json.
	Path string
	// FlushInterval is flushDelayOffsetInterval (0: 10 s).
	FlushInterval time.Duration
	// Buggify, if set, is runtime.Buggify for the broker's runtime: the
	// service asks it where it may take a rare but legal path.
	Buggify func(site string) bool
}

// buggify is Options.Buggify, false without it.
func (s *Service) buggify(site string) bool { return s.opt.Buggify != nil && s.opt.Buggify(site) }

// buggifyLate is how much later a level runs when schedule/deliver-late
// fires.
const buggifyLate = 100 * time.Millisecond

// Stats count what the service did, for tests and reports.
type Stats struct {
	Delivered   int64 // re-puts answered OK
	PutFailures int64 // re-puts refused or failed
	Skipped     int64 // records without a usable REAL_TOPIC/REAL_QID
	Lost        int64 // entries removed by retention before delivery
	Persists    int64
}

// Service is the delay-level scheduler. Call its methods on the loop only.
type Service struct {
	opt     Options
	st      Store
	put     Putter
	log     *slog.Logger
	levels  []*level
	extra   map[int]int64 // offsets of levels the current table lacks, kept for the file
	flushT  runtime.Timer
	dirty   bool
	stopped bool
	// Stats counts what the service did.
	Stats Stats
}

// level is one delay level's scheduler.
type level struct {
	n     int // 1-based level
	qid   int32
	delay time.Duration

	// offset is the next queue offset not yet delivered for sure: what
	// delayOffset.json records.
	offset int64
	// next is the next queue offset to read; next-offset puts are in flight.
	next int64
	// issued are the in-flight re-puts, oldest first.
	issued []issue
	// unsynced are answered re-puts the commit log may not hold on the
	// media yet (ASYNC_FLUSH answers before the fsync), oldest first:
	// the file records progress only as far as the fsync reached.
	unsynced []synced
	// gen changes when the in-flight puts are abandoned after a failure, so
	// their late answers are ignored.
	gen uint64
	// failed: a re-put failed; the level waits putRetryDelay.
	failed bool
	// running guards run against re-entry from a synchronous put answer.
	running bool

	// headOffset is the queue offset whose monotonic deadline headDue
	// holds (the backward-jump bound); headKnown says it is set.
	headOffset int64
	headDue    time.Duration
	headKnown  bool

	timer runtime.Timer
}

type issue struct {
	offset int64
	done   bool
	end    int64 // commit log offset just past the re-put; 0 when nothing was put
}

// synced says: the level's delivered offset moved past from with re-puts
// that end at end in the commit log; until the log is synced that far,
// only from is durable.
type synced struct {
	from, end int64
}

// unsyncedMax bounds a level's unsynced list; past it neighbours merge,
// which only makes the recorded progress lag (more re-deliveries after a
// power loss), never lead.
const unsyncedMax = 1024

// Start loads delayOffset.json, corrects each level's offset into its
// queue's bounds (entries removed by retention are gone; a queue shorter
// than the file says, after a power loss under ASYNC_FLUSH, restarts at its
// end) and starts every level's scheduler.
func Start(st Store, put Putter, opt Options) (*Service, error) {
	if opt.FlushInterval <= 0 {
		opt.FlushInterval = flushIntervalDefault
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	table, err := loadOffsets(opt.FS, opt.Path)
	if err != nil {
		return nil, err
	}
	s := &Service{opt: opt, st: st, put: put, log: opt.Log.With(slog.String("component", "schedule")),
		extra: map[int]int64{}}
	for l, off := range table {
		if l > len(opt.Levels) {
			s.extra[l] = off
		}
	}
	for i, d := range opt.Levels {
		l := &level{n: i + 1, qid: int32(i), delay: d, offset: table[i+1]}
		minOff := st.MinOffsetInQueue(store.ScheduleTopic, l.qid)
		maxOff := st.MaxOffsetInQueue(store.ScheduleTopic, l.qid)
		switch {
		case l.offset < minOff:
			s.log.Warn("delay offset below the queue's first entry; skipping to it",
				slog.Int("level", l.n), slog.Int64("offset", l.offset), slog.Int64("min", minOff))
			l.offset = minOff
			s.dirty = true
		case l.offset > maxOff:
			s.log.Warn("delay offset past the queue's end; restarting at the end",
				slog.Int("level", l.n), slog.Int64("offset", l.offset), slog.Int64("max", maxOff))
			l.offset = maxOff
			s.dirty = true
		}
		l.next = l.offset
		s.levels = append(s.levels, l)
		s.arm(l, 0)
	}
	s.armFlush()
	return s, nil
}

// Notify tells the service that delayed messages may have been stored:
// idle levels look at once instead of at their next recheck.
func (s *Service) Notify() {
	if s.stopped {
		return
	}
	for _, l := range s.levels {
		if l.failed || l.running || len(l.issued) > 0 {
			continue
		}
		if s.st.MaxOffsetInQueue(store.ScheduleTopic, l.qid) > l.next && !l.headKnown {
			s.run(l)
		}
	}
}

// Offsets returns each level's delivered offset as far as the commit log
// is synced: what delayOffset.json holds after the next persist.
func (s *Service) Offsets() map[int]int64 {
	out := make(map[int]int64, len(s.levels)+len(s.extra))
	for l, off := range s.extra {
		out[l] = off
	}
	synced := s.st.SyncedPhyOffset()
	for _, l := range s.levels {
		out[l.n] = l.durableOffset(synced)
	}
	return out
}

// durableOffset is the delivered offset whose re-puts are all synced.
func (l *level) durableOffset(synced int64) int64 {
	n := 0
	for n < len(l.unsynced) && l.unsynced[n].end <= synced {
		n++
	}
	l.unsynced = append(l.unsynced[:0], l.unsynced[n:]...)
	if len(l.unsynced) == 0 {
		return l.offset
	}
	return l.unsynced[0].from
}

// Adopt takes table as the recorded offsets and persists them if they
// changed: a slave copying its master's delayOffset.json (Java's
// SlaveSynchronize.syncDelayOffset), so that a slave restarted as master
// resumes delivery where its master was instead of delivering again from
// the start. Only a service that schedules no level (a slave's) adopts: a
// scheduling one owns its offsets.
func (s *Service) Adopt(table map[int]int64) error {
	if len(s.levels) > 0 {
		return fmt.Errorf("adopt delay offsets: this service schedules %d levels itself", len(s.levels))
	}
	if maps.Equal(s.extra, table) {
		return nil
	}
	s.extra = maps.Clone(table)
	return s.Persist()
}

// Persist writes delayOffset.json now.
func (s *Service) Persist() error {
	if err := jsonfile.Write(s.opt.FS, s.opt.Path, encodeOffsets(s.Offsets())); err != nil {
		return fmt.Errorf("persist delay offsets: %w", err)
	}
	s.dirty = false
	for _, l := range s.levels {
		if len(l.unsynced) > 0 {
			s.dirty = true // more to record once the fsync catches up
		}
	}
	s.Stats.Persists++
	return nil
}

// Stop ends scheduling and persists the offsets. Re-puts still in flight
// may be answered later (the store answers pending puts as it closes):
// their offsets advance in memory but are not persisted, so those messages
// are delivered again after the restart. Stopping after the store closed
// persists them too.
func (s *Service) Stop() error {
	if s.stopped {
		return nil
	}
	s.stopped = true
	if s.flushT != nil {
		s.flushT.Stop()
	}
	for _, l := range s.levels {
		if l.timer != nil {
			l.timer.Stop()
		}
	}
	return s.Persist()
}

func (s *Service) armFlush() {
	s.flushT = s.opt.Clock.AfterFunc(s.opt.FlushInterval, func() {
		if s.stopped {
			return
		}
		// Buggify: the offsets persisted a round late; a crash now
		// delivers more delayed messages twice (Java persists every 10 s
		// too, so this is within what a consumer must expect).
		if s.dirty && !s.buggify("schedule/persist-late") {
			if err := s.Persist(); err != nil {
				s.log.Error("persisting delay offsets", slog.Any("err", err))
			}
		}
		s.armFlush()
	})
}

// arm (re)sets the level's timer.
func (s *Service) arm(l *level, d time.Duration) {
	if l.timer != nil {
		l.timer.Stop()
	}
	if s.buggify("schedule/deliver-late") {
		// Later than due is allowed (a busy broker); earlier never.
		d += buggifyLate
	}
	l.timer = s.opt.Clock.AfterFunc(d, func() {
		l.timer = nil
		if s.stopped {
			return
		}
		if l.failed {
			l.failed = false
			l.next = l.offset
			l.headKnown = false
		}
		s.run(l)
	})
}

// run reads the level's queue from l.next and re-puts every due message,
// up to the in-flight bound; at the first message not yet due it sets the
// timer for it and stops, so delivery keeps queue order.
func (s *Service) run(l *level) {
	if s.stopped || l.failed || l.running {
		return
	}
	l.running = true
	defer func() { l.running = false }()
	for !l.failed && len(l.issued) < inflightMax {
		res := s.st.GetMessage(store.ScheduleTopic, l.qid, l.next, min(readBatchMax, inflightMax-len(l.issued)), nil)
		switch res.Status {
		case store.Found:
		case store.OffsetTooSmall:
			s.lost(l, res.NextBeginOffset)
			continue
		case store.OffsetOverflowBadly:
			if len(l.issued) == 0 && res.MaxOffset < l.next {
				s.log.Warn("delay offset past the queue's end; restarting at the end",
					slog.Int("level", l.n), slog.Int64("offset", l.next), slog.Int64("max", res.MaxOffset))
				l.offset, l.next, l.headKnown, s.dirty = res.MaxOffset, res.MaxOffset, false, true
			}
			s.armIdle(l)
			return
		default: // nothing (more) to read
			s.armIdle(l)
			return
		}
		for _, raw := range res.Records {
			wait, ok := s.deliverOne(l, raw)
			if !ok {
				return // failed: the failure armed the retry
			}
			if wait > 0 {
				s.arm(l, wait)
				return
			}
			if l.failed || len(l.issued) >= inflightMax {
				return
			}
		}
	}
}

// armIdle waits for new messages when nothing is in flight; in-flight
// answers run the level again themselves.
func (s *Service) armIdle(l *level) {
	if len(l.issued) == 0 && !l.failed {
		s.arm(l, idleRecheckInterval)
	}
}

// lost skips entries retention removed before they were delivered.
func (s *Service) lost(l *level, to int64) {
	s.log.Error("delayed messages removed by retention before their time",
		slog.Int("level", l.n), slog.Int64("from", l.next), slog.Int64("to", to))
	s.Stats.Lost += to - l.next
	l.next = to
	if len(l.issued) == 0 {
		l.offset = to
		s.dirty = true
	}
	l.headKnown = false
}

// deliverOne handles the record at l.next: it reports how long to wait
// when the record is not due, or issues its re-put. ok is false when the
// level failed.
func (s *Service) deliverOne(l *level, raw []byte) (wait time.Duration, ok bool) {
	rec, err := message.Decode(raw, true)
	if err != nil {
		// A corrupt record (a bad disk) can never be delivered; like a
		// message without its real topic, it is logged and passed.
		s.log.Error("delayed message does not decode; skipping it", slog.Int("level", l.n),
			slog.Int64("offset", l.next), slog.Any("err", err))
		s.Stats.Skipped++
		l.issued = append(l.issued, issue{offset: l.next, done: true})
		l.next++
		l.headKnown = false
		s.advance(l)
		return 0, true
	}
	if rec.QueueOffset != l.next {
		// The consume queue and the commit log disagree: a store bug.
		panic(fmt.Sprintf("schedule: level %d: read offset %d but the record says %d", l.n, l.next, rec.QueueOffset))
	}
	if wait := s.wait(l, &rec); wait > 0 {
		return wait, true
	}
	m, err := realMessage(&rec)
	if err != nil {
		// Java logs and moves on (messageTimeup's exception is caught):
		// such a message can never be delivered.
		s.log.Error("delayed message cannot be delivered; skipping it", slog.Int("level", l.n),
			slog.Int64("offset", rec.QueueOffset), slog.Any("err", err))
		s.Stats.Skipped++
		l.issued = append(l.issued, issue{offset: l.next, done: true})
		l.next++
		l.headKnown = false
		s.advance(l)
		return 0, true
	}
	off, gen := l.next, l.gen
	l.issued = append(l.issued, issue{offset: off})
	l.next++
	l.headKnown = false
	s.put(m, func(res store.PutResult) { s.answered(l, gen, off, res) })
	return 0, !l.failed
}

// wait is how long the record has left: by the wall clock, but for a
// head of queue never longer than the level's delay counted on the
// monotonic clock from the first time it was examined (the backward-jump
// bound), and never longer than recheckIntervalMax between looks.
func (s *Service) wait(l *level, rec *message.Record) time.Duration {
	wall := time.Duration(rec.StoreTimestamp)*time.Millisecond + l.delay - time.Duration(s.opt.Clock.Now().UnixNano())
	if wall <= 0 {
		return 0
	}
	mono := s.opt.Clock.Monotonic()
	if !l.headKnown || l.headOffset != rec.QueueOffset {
		l.headKnown, l.headOffset, l.headDue = true, rec.QueueOffset, mono+min(wall, l.delay)
	}
	bound := l.headDue - mono
	if bound <= 0 {
		return 0
	}
	return min(wall, bound, recheckIntervalMax)
}

// answered takes a re-put's answer. Offsets advance over the answered
// prefix only, so the persisted offset never passes an unanswered put.
func (s *Service) answered(l *level, gen uint64, off int64, res store.PutResult) {
	if gen != l.gen {
		return // abandoned after an earlier failure; a duplicate at most
	}
	if res.Status != store.PutOK {
		s.Stats.PutFailures++
		s.log.Warn("re-putting a delayed message failed; retrying later", slog.Int("level", l.n),
			slog.Int64("offset", off), slog.String("status", res.Status.String()), slog.Any("err", res.Err),
			slog.Duration("retryIn", putRetryDelay))
		// Everything from this message on is re-read after the retry delay;
		// later puts of this window that still succeed are duplicates, and
		// they come after this one's first attempt (the commit log keeps
		// call order), so first deliveries stay in queue order.
		l.gen++
		l.issued = l.issued[:0]
		l.failed = true
		l.next = l.offset
		l.headKnown = false
		s.arm(l, putRetryDelay)
		return
	}
	s.Stats.Delivered++
	for i := range l.issued {
		if l.issued[i].offset == off {
			l.issued[i].done = true
			l.issued[i].end = res.PhysicalOffset + int64(res.WroteBytes)
			break
		}
	}
	s.advance(l)
	if !l.running && !s.stopped && !l.failed {
		s.run(l)
	}
}

// advance moves the offset over the answered prefix.
func (s *Service) advance(l *level) {
	n := 0
	for n < len(l.issued) && l.issued[n].done {
		n++
	}
	if n == 0 {
		return
	}
	var end int64
	for _, is := range l.issued[:n] {
		end = max(end, is.end)
	}
	from := l.offset
	l.offset = l.issued[n-1].offset + 1
	l.issued = append(l.issued[:0], l.issued[n:]...)
	s.dirty = true
	if end > 0 {
		l.unsynced = append(l.unsynced, synced{from: from, end: end})
		if len(l.unsynced) > unsyncedMax {
			// Merge the two oldest into one step from the first's start.
			l.unsynced[1].from = l.unsynced[0].from
			l.unsynced[1].end = max(l.unsynced[0].end, l.unsynced[1].end)
			l.unsynced = l.unsynced[1:]
		}
	}
}

// realMessage rebuilds the message for its real topic (Java messageTimeup):
// body, flag, sysFlag, born time and host and reconsume times are kept;
// DELAY goes (else the store would park it again); REAL_TOPIC and REAL_QID
// stay, as in RocketMQ. A WAIT=false the producer set goes too: the service
// must know the re-put is durable before its offset moves past it.
func realMessage(rec *message.Record) (*store.Message, error) {
	topic, ok := message.Property(rec.Properties, message.PropertyRealTopic)
	if !ok || topic == "" {
		return nil, fmt.Errorf("no %s property", message.PropertyRealTopic)
	}
	q, ok := message.Property(rec.Properties, message.PropertyRealQueueID)
	if !ok {
		return nil, fmt.Errorf("no %s property", message.PropertyRealQueueID)
	}
	qid, err := strconv.ParseInt(q, 10, 32)
	if err != nil || qid < 0 {
		return nil, fmt.Errorf("bad %s %q", message.PropertyRealQueueID, q)
	}
	props := message.RemoveProperty(rec.Properties, message.PropertyDelayLevel)
	if v, ok := message.Property(props, message.PropertyWaitStoreOK); ok && v == "false" {
		props = message.RemoveProperty(props, message.PropertyWaitStoreOK)
	}
	return &store.Message{
		Topic: topic, QueueID: int32(qid), Flag: rec.Flag, Body: rec.Body, Properties: props,
		// The store sets the store-host width bit from its own address.
		SysFlag:       rec.SysFlag &^ message.FlagStoreHostV6,
		BornTimestamp: rec.BornTimestamp, BornHost: rec.BornHost, ReconsumeTimes: rec.ReconsumeTimes,
	}, nil
}
