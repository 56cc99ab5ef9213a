package transaction

import (
	"log/slog"
	"strconv"
	"time"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
)

// CheckNow runs one check round (the timer runs one every CheckInterval):
// it walks the half queue from the progress offset and, for every half
// message no op resolved that is older than its immunity, re-puts it with
// one more check counted and asks a producer of its group about it, or
// discards it after CheckMax checks. Age is measured on the broker's own
// clock from the message's store timestamp (RocketMQ uses the producer's
// born timestamp, which mixes two clocks); a check copy is stored anew, so
// a message is checked again no sooner than its immunity after the last
// check. A message whose age is negative (the clock went back) is checked
// at once, as in RocketMQ: a check is harmless, a stuck one is not.
func (s *Service) CheckNow() {
	if s.stopped {
		return
	}
	s.Stats.Rounds++
	if err := s.catchUp(); err != nil {
		s.log.Error("reading the op log failed; skipping this check round", slog.Any("err", err))
		return
	}
	s.advance()
	now := s.opt.Clock.Now().UnixMilli()
	off := s.halfProgress
	scanned := 0
scan:
	for scanned < checkScanMax && len(s.inflight) < checkInflightMax {
		res := s.st.GetMessage(HalfTopic, 0, off, readBatchMax, nil)
		switch res.Status {
		case store.Found:
		case store.OffsetTooSmall:
			// Retention removed these half messages: nothing is left to check.
			for o := off; o < res.NextBeginOffset; o++ {
				s.passed[o] = 0
			}
			off = res.NextBeginOffset
			continue
		default:
			break scan
		}
		for _, raw := range res.Records {
			scanned++
			rec, err := message.Decode(raw, true)
			if err != nil {
				s.log.Error("half message does not decode; skipping the round", slog.Int64("offset", off), slog.Any("err", err))
				break scan
			}
			if rec.QueueOffset != off {
				s.log.Error("half queue out of step", slog.Int64("want", off), slog.Int64("got", rec.QueueOffset))
				break scan
			}
			off++
			if s.examine(&rec, now) || len(s.inflight) >= checkInflightMax {
				break scan
			}
		}
	}
	s.advance()
}

// examine decides about one half message; it reports true when the round
// should stop because this and (by store order) later messages are too young.
func (s *Service) examine(rec *message.Record, nowMs int64) bool {
	off := rec.QueueOffset
	if _, ok := s.passed[off]; ok {
		return false
	}
	if _, ok := s.inflight[off]; ok {
		return false
	}
	key := keyOf(rec)
	if s.isResolved(key) {
		s.passed[off] = s.resolved[key] // a copy of a resolved transaction
		return false
	}
	if _, ok := s.ending[key]; ok {
		return false // an End is writing its outcome
	}
	age := time.Duration(nowMs-rec.StoreTimestamp) * time.Millisecond
	immunity, custom := s.opt.TimeOut, false
	if v, ok := message.Property(rec.Properties, PropertyCheckImmunity); ok {
		if secs, err := strconv.ParseInt(v, 10, 32); err == nil && secs > 0 {
			immunity, custom = time.Duration(secs)*time.Second, true
		}
	}
	if age >= 0 && age < immunity {
		// Young only by its own longer immunity: later messages may be
		// due, so look on; this one keeps the progress from passing it.
		return !(custom && age >= s.opt.TimeOut)
	}
	times := 0
	if v, ok := message.Property(rec.Properties, PropertyCheckTimes); ok {
		times, _ = strconv.Atoi(v)
	}
	if times >= s.opt.CheckMax {
		s.discard(rec, times)
		return false
	}
	if group, _ := message.Property(rec.Properties, PropertyProducerGroup); s.opt.ProducerOnline != nil && !s.opt.ProducerOnline(group) {
		s.Stats.CheckNoProducer++
		return false // nobody to ask: not counted, asked again next round
	}
	s.recheck(rec, key, times+1)
	return false
}

// recheck re-puts the half message with its check count raised (Java
// putBackHalfMsgQueue) and, once the copy is stored, asks a producer about
// the copy. The original is passed only then, so a half message is never
// left without a stored successor.
func (s *Service) recheck(rec *message.Record, key string, times int) {
	off := rec.QueueOffset
	group, _ := message.Property(rec.Properties, PropertyProducerGroup)
	props := message.SetProperty(rec.Properties, PropertyCheckTimes, strconv.Itoa(times))
	m := &store.Message{Topic: HalfTopic, QueueID: rec.QueueID, Flag: rec.Flag, Body: rec.Body, Properties: props,
		SysFlag: rec.SysFlag &^ message.FlagStoreHostV6, BornTimestamp: rec.BornTimestamp, BornHost: rec.BornHost,
		ReconsumeTimes: rec.ReconsumeTimes}
	s.inflight[off] = struct{}{}
	s.put(m, func(res store.PutResult) {
		delete(s.inflight, off)
		if res.Status != store.PutOK {
			s.log.Warn("re-putting a half message for its check failed; the next round retries",
				slog.Int64("half", off), slog.String("status", res.Status.String()), slog.Any("err", res.Err))
			return
		}
		s.passed[off] = res.PhysicalOffset + int64(res.WroteBytes)
		s.advance()
		s.sendCheck(group, key, res)
	})
}

// sendCheck asks a producer of group about the half message copy res
// stored: the header names the copy, the body is the copy as stored with
// its real topic and queue (Java sendCheckMessage).
func (s *Service) sendCheck(group, key string, res store.PutResult) {
	s.Stats.Checks++
	rec, _, err := s.st.LookMessageByOffset(res.PhysicalOffset)
	if err != nil {
		s.log.Error("reading back a check copy failed", slog.Int64("offset", res.PhysicalOffset), slog.Any("err", err))
		return
	}
	if topic, ok := message.Property(rec.Properties, message.PropertyRealTopic); ok {
		rec.Topic = topic
	}
	if q, ok := message.Property(rec.Properties, message.PropertyRealQueueID); ok {
		if v, err := strconv.ParseInt(q, 10, 32); err == nil {
			rec.QueueID = int32(v)
		}
	}
	rec.Properties = message.RemoveProperty(rec.Properties, message.CRCProperty)
	rec.SysFlag &^= message.FlagStoreHostV6
	if len(rec.StoreHost.IP) == 16 {
		rec.SysFlag |= message.FlagStoreHostV6
	}
	body, err := message.Append(nil, &rec)
	if err != nil {
		s.log.Error("encoding a check body failed", slog.Any("err", err))
		return
	}
	uniq, _ := message.Property(rec.Properties, message.PropertyUniqKey)
	req := CheckRequest{CommitLogOffset: res.PhysicalOffset, TranStateTableOffset: res.QueueOffset,
		OffsetMsgID: res.MsgID, MsgID: uniq, TransactionID: uniq}
	if err := s.check(group, req, body); err != nil {
		s.Stats.CheckNoProducer++
		s.log.Warn("cannot check a transaction", slog.String("group", group), slog.String("key", key), slog.Any("err", err))
	}
}

// discard gives up a half message checked CheckMax times: it goes to
// CheckMaxTimeTopic (Java resolveDiscardMsg) and is passed. The transaction
// is not marked resolved: a late END_TRANSACTION for it still works, as in
// RocketMQ.
func (s *Service) discard(rec *message.Record, times int) {
	off := rec.QueueOffset
	m := &store.Message{Topic: CheckMaxTimeTopic, QueueID: 0, Flag: rec.Flag, Body: rec.Body, Properties: rec.Properties,
		SysFlag: rec.SysFlag &^ message.FlagStoreHostV6, BornTimestamp: rec.BornTimestamp, BornHost: rec.BornHost,
		ReconsumeTimes: rec.ReconsumeTimes}
	s.inflight[off] = struct{}{}
	s.put(m, func(res store.PutResult) {
		delete(s.inflight, off)
		if res.Status != store.PutOK {
			s.log.Warn("discarding a half message failed; the next round retries", slog.Int64("half", off),
				slog.String("status", res.Status.String()), slog.Any("err", res.Err))
			return
		}
		s.Stats.Discarded++
		s.log.Warn("half message checked too many times; discarded", slog.Int64("half", off),
			slog.Int("checks", times), slog.String("topic", CheckMaxTimeTopic))
		s.passed[off] = res.PhysicalOffset + int64(res.WroteBytes)
		s.advance()
	})
}
