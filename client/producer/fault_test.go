package producer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFaultTableFollowsJavaTables(t *testing.T) {
	f := newFaultTable()
	now := time.Minute
	f.update("fast", 40*time.Millisecond, false, now)
	require.True(t, f.available("fast", now), "under 550 ms: never avoided")
	f.update("slow", 600*time.Millisecond, false, now)
	require.False(t, f.available("slow", now+29*time.Second))
	require.True(t, f.available("slow", now+30*time.Second), "550 ms..1 s: 30 s")
	f.update("dead", time.Millisecond, true, now)
	require.False(t, f.available("dead", now+9*time.Minute))
	require.True(t, f.available("dead", now+10*time.Minute), "a failure isolates for 10 minutes")
	require.True(t, f.available("unknown", now))
	require.Equal(t, "fast", f.leastBad(), "recovers first")
	f.update("fast", 20*time.Second, false, now)
	require.Equal(t, "slow", f.leastBad())
}
