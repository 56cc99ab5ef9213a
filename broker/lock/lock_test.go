package lock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLockExclusiveRenewAndExpire(t *testing.T) {
	tb := New(60 * time.Second)
	q0 := Queue{"T", "b", 0}
	q1 := Queue{"T", "b", 1}
	require.Equal(t, []Queue{q0, q1}, tb.TryLock("g", "c1", []Queue{q1, q0}, 0))
	require.Empty(t, tb.TryLock("g", "c2", []Queue{q0}, 10*time.Second), "held by c1")
	require.Equal(t, []Queue{q0}, tb.TryLock("g", "c1", []Queue{q0}, 50*time.Second), "renewal by the holder")
	// q1 was not renewed: at 61 s it is free, q0 (renewed at 50 s) is not.
	require.Equal(t, []Queue{q1}, tb.TryLock("g", "c2", []Queue{q0, q1}, 61*time.Second))
	require.Equal(t, "c1", tb.Holder("g", q0, 61*time.Second))
	require.Equal(t, "c2", tb.Holder("g", q1, 61*time.Second))
	// Other groups are independent.
	require.Equal(t, []Queue{q0}, tb.TryLock("g2", "c2", []Queue{q0}, 61*time.Second))
}

func TestUnlockOnlyOwnLocks(t *testing.T) {
	tb := New(0)
	q0 := Queue{"T", "b", 0}
	tb.TryLock("g", "c1", []Queue{q0}, 0)
	tb.Unlock("g", "c2", []Queue{q0})
	require.Equal(t, "c1", tb.Holder("g", q0, time.Second))
	tb.Unlock("g", "c1", []Queue{q0})
	require.Equal(t, "", tb.Holder("g", q0, time.Second))
	require.Equal(t, []Queue{q0}, tb.TryLock("g", "c2", []Queue{q0}, time.Second))
}

func TestSweep(t *testing.T) {
	tb := New(time.Minute)
	tb.TryLock("g", "c1", []Queue{{"T", "b", 0}, {"T", "b", 1}}, 0)
	require.Equal(t, 0, tb.Sweep(time.Minute))
	require.Equal(t, 2, tb.Sweep(time.Minute+1))
	require.Empty(t, tb.groups)
}
