package transaction

import (
	"fmt"
	"log/slog"
	"strconv"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
)

// catchUp reads the op messages written since opRead: after a restart the
// whole unpassed op log, later the ops this run wrote itself. The op queue
// is the only record of resolutions, so memory is rebuilt from it rather
// than trusted.
func (s *Service) catchUp() error {
	for {
		res := s.st.GetMessage(OpTopic, 0, s.opRead, readBatchMax, nil)
		switch res.Status {
		case store.Found:
		case store.OffsetTooSmall:
			// Retention removed ops nobody passed: their halves are older
			// than the commit log itself, so nothing is left to resolve.
			s.log.Warn("op log entries removed by retention", slog.Int64("from", s.opRead),
				slog.Int64("to", res.NextBeginOffset))
			s.opRead = res.NextBeginOffset
			s.opProgress = max(s.opProgress, res.NextBeginOffset)
			continue
		default:
			return nil
		}
		for _, raw := range res.Records {
			rec, err := message.Decode(raw, true)
			if err != nil {
				return fmt.Errorf("op at %d: %w", s.opRead, err)
			}
			if rec.QueueOffset != s.opRead {
				panic(fmt.Sprintf("transaction: read op offset %d but the record says %d", s.opRead, rec.QueueOffset))
			}
			s.applyOp(&rec)
			s.opRead++
		}
	}
}

// applyOp takes one op message into memory.
func (s *Service) applyOp(rec *message.Record) {
	half, err := strconv.ParseInt(string(rec.Body), 10, 64)
	if err != nil || half < 0 {
		s.log.Error("op message with a bad body; ignoring it", slog.Int64("op", rec.QueueOffset),
			slog.String("body", string(rec.Body)))
		half = -1
	}
	s.opHalf[rec.QueueOffset] = half
	end := rec.PhysicalOffset + int64(rec.StoreSize)
	if half >= s.halfProgress {
		s.passed[half] = max(s.passed[half], end)
	}
	if k, ok := message.Property(rec.Properties, PropertyOpKey); ok {
		s.remember(k, end)
	}
}

// writeOp records that the half message rec is resolved (Java
// putOpMessage): an op message in OpTopic queue rec.QueueID whose body is
// the half's queue offset, tagged "d", naming the transaction key. done
// gets the put's answer.
func (s *Service) writeOp(rec *message.Record, key string, done func(store.PutResult)) {
	props := message.FormatProperties(map[string]string{
		message.PropertyTags: RemoveTag,
		PropertyOpKey:        key,
	})
	m := &store.Message{Topic: OpTopic, QueueID: rec.QueueID, Body: []byte(strconv.FormatInt(rec.QueueOffset, 10)),
		Properties: props, BornTimestamp: s.opt.Clock.Now().UnixMilli(), BornHost: s.opt.StoreHost}
	s.put(m, func(res store.PutResult) {
		if res.Status != store.PutOK {
			s.log.Warn("writing a transaction op failed; a check-back will resolve the half message again",
				slog.Int64("half", rec.QueueOffset), slog.String("status", res.Status.String()), slog.Any("err", res.Err))
		}
		done(res)
	})
}

// advance moves the progress offsets over what is passed and durable, and
// commits them.
func (s *Service) advance() {
	synced := s.st.SyncedPhyOffset()
	for {
		if end, ok := s.passed[s.halfProgress]; !ok || end > synced {
			break
		}
		delete(s.passed, s.halfProgress)
		s.halfProgress++
	}
	for {
		half, ok := s.opHalf[s.opProgress]
		if !ok || half >= s.halfProgress {
			break
		}
		delete(s.opHalf, s.opProgress)
		s.opProgress++
	}
	s.commitProgress()
}

// commitProgress hands changed offsets to the offset table (which then
// has something to persist; unchanged ones would make it write for nothing).
func (s *Service) commitProgress() {
	if s.halfProgress != s.halfCommitted {
		s.prog.Commit(SysGroup, HalfTopic, 0, s.halfProgress)
		s.halfCommitted = s.halfProgress
	}
	if s.opProgress != s.opCommitted {
		s.prog.Commit(SysGroup, OpTopic, 0, s.opProgress)
		s.opCommitted = s.opProgress
	}
}
