package transaction

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
)

// EndRequest is END_TRANSACTION's header (§8.2).
type EndRequest struct {
	ProducerGroup        string
	TranStateTableOffset int64 // the half message's queue offset
	CommitLogOffset      int64 // the half message's commit log offset
	CommitOrRollback     int32 // StateCommit, StateRollback or StateUnknown
	FromTransactionCheck bool
	MsgID                string
	TransactionID        string
}

// ParseEnd reads END_TRANSACTION's extFields.
func ParseEnd(ext map[string]string) (EndRequest, error) {
	var r EndRequest
	r.ProducerGroup = ext["producerGroup"]
	if r.ProducerGroup == "" {
		return r, fmt.Errorf("the custom field <producerGroup> is null")
	}
	var err error
	if r.TranStateTableOffset, err = strconv.ParseInt(ext["tranStateTableOffset"], 10, 64); err != nil {
		return r, fmt.Errorf("the custom field <tranStateTableOffset> is not a number: %q", ext["tranStateTableOffset"])
	}
	if r.CommitLogOffset, err = strconv.ParseInt(ext["commitLogOffset"], 10, 64); err != nil {
		return r, fmt.Errorf("the custom field <commitLogOffset> is not a number: %q", ext["commitLogOffset"])
	}
	v, err := strconv.ParseInt(ext["commitOrRollback"], 10, 32)
	if err != nil {
		return r, fmt.Errorf("the custom field <commitOrRollback> is not a number: %q", ext["commitOrRollback"])
	}
	r.CommitOrRollback = int32(v)
	switch r.CommitOrRollback {
	case StateUnknown, StateCommit, StateRollback:
	default:
		return r, fmt.Errorf("the custom field <commitOrRollback> is %d, want 0, 8 or 12", v)
	}
	r.FromTransactionCheck = strings.EqualFold(ext["fromTransactionCheck"], "true")
	r.MsgID = ext["msgId"]
	r.TransactionID = ext["transactionId"]
	return r, nil
}

// End serves END_TRANSACTION: it finds the half message at
// req.CommitLogOffset, checks that it belongs to req (Java
// checkPrepareMessage), and commits or rolls it back. done gets nil once
// the outcome is durable (or was already), or an error that says why
// nothing was done. An unknown state does nothing: the check-back will ask
// again. A second End for a transaction already resolved, or being
// resolved, does nothing and succeeds: see the package comment for how a
// commit is kept from being written twice.
func (s *Service) End(req EndRequest, done func(error)) {
	if s.stopped {
		done(ErrStopped)
		return
	}
	rec, _, err := s.st.LookMessageByOffset(req.CommitLogOffset)
	if err != nil {
		done(fmt.Errorf("%w at commit log offset %d: %w", ErrHalfNotFound, req.CommitLogOffset, err))
		return
	}
	if err := checkHalf(&rec, &req); err != nil {
		done(err)
		return
	}
	if req.CommitOrRollback == StateUnknown {
		done(nil)
		return
	}
	if err := s.catchUp(); err != nil {
		done(fmt.Errorf("transaction: read op log: %w", err))
		return
	}
	key := keyOf(&rec)
	if _, ok := s.ending[key]; ok || s.isResolved(key) {
		s.Stats.Duplicates++
		done(nil)
		return
	}
	s.ending[key] = struct{}{}
	finish := func(err error) {
		delete(s.ending, key)
		done(err)
	}
	if req.CommitOrRollback == StateRollback {
		s.writeOp(&rec, key, func(res store.PutResult) {
			if res.Status != store.PutOK {
				finish(fmt.Errorf("transaction: record rollback: %s: %w", res.Status, res.Err))
				return
			}
			s.Stats.Rollbacks++
			s.resolve(&rec, key, res.PhysicalOffset+int64(res.WroteBytes))
			finish(nil)
		})
		return
	}
	if s.committedBefore(&rec, key) {
		// A crash fell between the commit and its op: write only the op.
		s.Stats.CommitsFoundInIndex++
		s.log.Info("commit already in the real topic; recording it", slog.String("key", key))
		s.commitOp(&rec, key, 0, finish)
		return
	}
	m, err := committed(&rec, req.CommitLogOffset)
	if err != nil {
		finish(err)
		return
	}
	s.put(m, func(res store.PutResult) {
		if res.Status != store.PutOK {
			// FLUSH_DISK_TIMEOUT may leave the record in the log: a later
			// End or check-back finds it in the index instead of writing it
			// again.
			finish(fmt.Errorf("transaction: commit: %s: %w", res.Status, res.Err))
			return
		}
		s.commitOp(&rec, key, res.PhysicalOffset+int64(res.WroteBytes), finish)
	})
}

// commitOp writes a commit's op and counts the commit; commitEnd is the
// commit log end of the committed message (0: written by an earlier run).
func (s *Service) commitOp(rec *message.Record, key string, commitEnd int64, finish func(error)) {
	s.writeOp(rec, key, func(res store.PutResult) {
		// The commit itself stands whatever happens to the op: a lost op
		// only costs a check-back, which the index answers.
		end := commitEnd
		if res.Status == store.PutOK {
			end = max(end, res.PhysicalOffset+int64(res.WroteBytes))
		}
		s.Stats.Commits++
		s.resolve(rec, key, end)
		finish(nil)
	})
}

// resolve marks the transaction resolved in memory at once: the op is in
// the op queue already (the store indexes on put), so catchUp reads it
// again, harmlessly.
func (s *Service) resolve(rec *message.Record, key string, end int64) {
	s.remember(key, end)
	if rec.QueueOffset >= s.halfProgress {
		s.passed[rec.QueueOffset] = max(s.passed[rec.QueueOffset], end)
	}
	s.advance()
}

// checkHalf is Java's checkPrepareMessage, plus a check that the record is
// a half message at all.
func checkHalf(rec *message.Record, req *EndRequest) error {
	if rec.Topic != HalfTopic {
		return fmt.Errorf("%w: the message at commit log offset %d is in topic %s, not a half message",
			ErrMismatch, req.CommitLogOffset, rec.Topic)
	}
	if g, _ := message.Property(rec.Properties, PropertyProducerGroup); g != req.ProducerGroup {
		return fmt.Errorf("%w: the producer group wrong (%q, message has %q)", ErrMismatch, req.ProducerGroup, g)
	}
	if rec.QueueOffset != req.TranStateTableOffset {
		return fmt.Errorf("%w: the transaction state table offset wrong (%d, message has %d)",
			ErrMismatch, req.TranStateTableOffset, rec.QueueOffset)
	}
	if rec.PhysicalOffset != req.CommitLogOffset {
		return fmt.Errorf("%w: the commit log offset wrong (%d, message has %d)",
			ErrMismatch, req.CommitLogOffset, rec.PhysicalOffset)
	}
	return nil
}

// committedBefore asks the index whether the real topic already holds a
// COMMIT record of this transaction.
func (s *Service) committedBefore(rec *message.Record, key string) bool {
	if _, ok := message.Property(rec.Properties, message.PropertyUniqKey); !ok {
		return false // keyed by offset: the index cannot tell
	}
	topic, _ := message.Property(rec.Properties, message.PropertyRealTopic)
	hits, err := s.st.QueryMessage(topic, key, queryMaxNum, 0, math.MaxInt64)
	if err != nil {
		s.log.Warn("cannot ask the index for an earlier commit; trusting the op log", slog.Any("err", err))
		return false
	}
	for _, raw := range hits {
		r, err := message.Decode(raw, false)
		if err == nil && message.TransactionType(r.SysFlag) == message.FlagTransCommit {
			if u, _ := message.Property(r.Properties, message.PropertyUniqKey); u == key {
				return true
			}
		}
	}
	return false
}

// committed builds the real message of a half (Java endMessageTransaction):
// its real topic and queue, transaction type COMMIT, the half's commit log
// offset as preparedTransactionOffset. Like RocketMQ, the properties string
// is the half's own, REAL_TOPIC, REAL_QID and TRAN_MSG included (Java
// serialises it before removing them; the Go consumer relies on TRAN_MSG to
// fill TransactionId). A WAIT=false goes: the op must follow a durable
// commit.
func committed(rec *message.Record, halfOffset int64) (*store.Message, error) {
	topic, ok := message.Property(rec.Properties, message.PropertyRealTopic)
	if !ok || topic == "" {
		return nil, fmt.Errorf("transaction: half message at %d has no %s", halfOffset, message.PropertyRealTopic)
	}
	q, _ := message.Property(rec.Properties, message.PropertyRealQueueID)
	qid, err := strconv.ParseInt(q, 10, 32)
	if err != nil || qid < 0 {
		return nil, fmt.Errorf("transaction: half message at %d has bad %s %q", halfOffset, message.PropertyRealQueueID, q)
	}
	props := rec.Properties
	if v, ok := message.Property(props, message.PropertyWaitStoreOK); ok && v == "false" {
		props = message.RemoveProperty(props, message.PropertyWaitStoreOK)
	}
	return &store.Message{
		Topic: topic, QueueID: int32(qid), Flag: rec.Flag, Body: rec.Body, Properties: props,
		SysFlag:       (rec.SysFlag &^ (message.FlagTransMask | message.FlagStoreHostV6)) | message.FlagTransCommit,
		BornTimestamp: rec.BornTimestamp, BornHost: rec.BornHost, ReconsumeTimes: rec.ReconsumeTimes,
		PreparedTransactionOffset: halfOffset,
	}, nil
}
