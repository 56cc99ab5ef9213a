package check

import (
	"sort"
	"strings"

	"rocketsim/jepsen/history"
)

// message gathers everything a history says about one message identity
// (history.Op.MessageID): how it was sent and what consumers saw.
type message struct {
	id    string
	sends []history.Operation
	// receives, acks and dlq events in history order.
	receives []*history.Op
	acks     []*history.Op
	dlq      []*history.Op
	// sendBacks are completed send-back operations (ok or failed).
	sendBacks []*history.Op
}

// outcome summarises the message's sends: OK when any send was
// acknowledged, Info when none was but one may have been stored, Fail when
// every send certainly failed, "" when it was never sent.
func (m *message) outcome() history.Type {
	var out history.Type
	for _, s := range m.sends {
		switch s.Type() {
		case history.OK:
			return history.OK
		case history.Info:
			out = history.Info
		case history.Fail:
			if out == "" {
				out = history.Fail
			}
		}
	}
	return out
}

// firstOK returns the first acknowledged send, if any.
func (m *message) firstOK() (history.Operation, bool) {
	for _, s := range m.sends {
		if s.Type() == history.OK {
			return s, true
		}
	}
	return history.Operation{}, false
}

// sendOp returns the values the message was sent with (the first send's).
func (m *message) sendOp() *history.Op {
	if len(m.sends) == 0 {
		return nil
	}
	if s, ok := m.firstOK(); ok {
		return s.Op()
	}
	return m.sends[0].Op()
}

// messages indexes a history by message identity.
type messages struct {
	byID map[string]*message
	ids  []string // sorted
	// groups that received or dead-lettered anything, sorted.
	groups []string
	end    int64
	ops    []history.Operation
}

func indexMessages(ops []history.Op) (*messages, error) {
	paired, err := history.Pair(ops)
	if err != nil {
		return nil, err
	}
	ms := &messages{byID: map[string]*message{}, end: history.End(ops), ops: paired}
	get := func(id string) *message {
		m := ms.byID[id]
		if m == nil {
			m = &message{id: id}
			ms.byID[id] = m
		}
		return m
	}
	groups := map[string]bool{}
	for _, o := range paired {
		op := o.Op()
		id := op.MessageID()
		if id == "" {
			continue
		}
		switch op.F {
		case history.FSend:
			m := get(id)
			m.sends = append(m.sends, o)
		case history.FReceive:
			if o.Type() != history.OK {
				continue
			}
			get(id).receives = append(get(id).receives, op)
			groups[op.Group] = true
		case history.FAck:
			if op.Type == history.Invoke {
				continue
			}
			get(id).acks = append(get(id).acks, op)
		case history.FDLQ:
			if o.Type() != history.OK {
				continue
			}
			get(id).dlq = append(get(id).dlq, op)
			groups[op.Group] = true
		case history.FSendBack:
			if o.Completion != nil {
				get(id).sendBacks = append(get(id).sendBacks, o.Completion)
			}
		}
	}
	ms.ids = sortedKeys(ms.byID)
	delete(groups, "")
	ms.groups = sortedKeys(groups)
	return ms, nil
}

// isSystemTopic reports whether topic is one the broker writes itself
// (retry, dead-letter, schedule, transaction topics): no client send
// declares its offsets.
func isSystemTopic(topic string) bool {
	return strings.HasPrefix(topic, "%RETRY%") || strings.HasPrefix(topic, "%DLQ%") ||
		strings.HasPrefix(topic, "SCHEDULE_TOPIC") || strings.HasPrefix(topic, "RMQ_SYS_")
}

func sortInt64(s []int64) {
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
}
