package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/config"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
)

// Messages of several levels, sent at staggered times, each reach their
// real topic once, never before they are due, promptly after, and in send
// order within a level. Level 0 is not delayed; a level above the table
// clamps to its last level.
func TestDeliveredOnTimeInOrder(t *testing.T) {
	e := newEnv(t, 1, "1s 2s 5s", config.SyncFlush)
	levels := []int{1, 2, 3, 0, 9, 1, 2}
	for i := 0; i < 60; i++ {
		e.send(time.Duration(i)*137*time.Millisecond, uniqName(i), int32(i%2), levels[i%len(levels)])
	}
	e.w.RunFor(20 * time.Second)

	e.checkNotEarly()
	byUniq := map[string]int{}
	for _, d := range e.got {
		byUniq[d.uniq]++
		s := e.sends[d.uniq]
		due := s.trueTime + e.levels[e.effectiveLevel(s.level)-1]
		require.Less(t, d.trueTime-due, 10*time.Millisecond, "%s late by %v", d.uniq, d.trueTime-due)
		require.Equal(t, "T", d.topic)
	}
	for _, u := range e.order {
		s := e.sends[u]
		require.True(t, s.acked)
		if s.level == 0 {
			require.Zero(t, byUniq[u], "level 0 is not delayed")
		} else {
			require.Equal(t, 1, byUniq[u], "%s delivered %d times", u, byUniq[u])
		}
	}
	// Within a level, deliveries follow send order.
	last := map[int]time.Duration{}
	for _, d := range e.got {
		s := e.sends[d.uniq]
		lv := e.effectiveLevel(s.level)
		require.GreaterOrEqual(t, s.trueTime, last[lv], "level %d out of order at %s", lv, d.uniq)
		last[lv] = s.trueTime
	}
	// The real queues hold every message once, with DELAY gone, REAL_*,
	// born host and reconsume times kept.
	total := 0
	for q := int32(0); q < 2; q++ {
		for _, r := range e.realRecords(q) {
			total++
			props := message.ParseProperties(r.Properties)
			s := e.sends[props[message.PropertyUniqKey]]
			require.NotNil(t, s)
			require.Equal(t, "body-"+s.uniq, string(r.Body))
			require.Equal(t, int32(2), r.ReconsumeTimes)
			require.Equal(t, message.AddrV4(10, 0, 0, 2, 4000), r.BornHost)
			_, delayed := props[message.PropertyDelayLevel]
			require.False(t, delayed, "DELAY left on %s", s.uniq)
			if s.level != 0 {
				require.Equal(t, "T", props[message.PropertyRealTopic])
				require.Equal(t, q, mustAtoi32(t, props[message.PropertyRealQueueID]))
			}
		}
	}
	require.Equal(t, 60, total)
	// Clamped level 9 went through the last level's queue.
	n := e.value()
	require.Equal(t, int64(len(e.order)-countLevel(e, 0)), sumMax(n.st, 3))
	require.Equal(t, map[int]int64{1: n.st.MaxOffsetInQueue(store.ScheduleTopic, 0),
		2: n.st.MaxOffsetInQueue(store.ScheduleTopic, 1), 3: n.st.MaxOffsetInQueue(store.ScheduleTopic, 2)}, n.svc.Offsets())
}

func countLevel(e *env, level int) int {
	c := 0
	for _, s := range e.sends {
		if s.level == level {
			c++
		}
	}
	return c
}

func sumMax(st *store.Store, levels int) int64 {
	var n int64
	for q := 0; q < levels; q++ {
		n += st.MaxOffsetInQueue(store.ScheduleTopic, int32(q))
	}
	return n
}

func mustAtoi32(t *testing.T, s string) int32 {
	t.Helper()
	var v int32
	for _, c := range s {
		require.True(t, c >= '0' && c <= '9', "not a number: %q", s)
		v = v*10 + int32(c-'0')
	}
	return v
}
