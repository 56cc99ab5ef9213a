package longpoll

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

type idle struct{}

func (idle) Stop() {}

// world returns a simulated node's runtime to drive timers with.
func world(t *testing.T) (*simrt.World, runtime.Runtime) {
	w := simrt.New(1, simrt.Options{})
	n := w.AddNode("n", simrt.NodeConfig{}, func(runtime.Runtime) (runtime.Node, error) { return idle{}, nil })
	n.Start()
	return w, n.Runtime()
}

func TestNotifyWakesOnlyItsQueueInOrder(t *testing.T) {
	w, rt := world(t)
	h := New(rt, 0)
	var woke []string
	hold := func(name, topic string, q int32) {
		require.True(t, h.Hold(topic, q, 1, 10*time.Second, func(timedOut bool) {
			if timedOut {
				name += " (timeout)"
			}
			woke = append(woke, name)
		}))
	}
	hold("a", "T", 0)
	hold("b", "T", 1)
	hold("c", "T", 0)
	require.Equal(t, 3, h.Len())
	h.Notify("T", 0)
	require.Equal(t, []string{"a", "c"}, woke)
	require.Equal(t, 1, h.Len())
	h.Notify("T", 0)
	require.Equal(t, []string{"a", "c"}, woke, "a woken request is gone")
	w.RunFor(20 * time.Second) // a and c's timers were stopped: only b times out
	require.Equal(t, []string{"a", "c", "b (timeout)"}, woke)
}

func TestTimeoutWakesOnceAndMayHoldAgain(t *testing.T) {
	w, rt := world(t)
	h := New(rt, 0)
	var events []string
	var wake Wake
	wake = func(timedOut bool) {
		events = append(events, map[bool]string{true: "timeout", false: "notify"}[timedOut])
		if len(events) == 1 {
			require.True(t, h.Hold("T", 0, 1, 5*time.Second, wake)) // held again with the time left
		}
	}
	require.True(t, h.Hold("T", 0, 1, 5*time.Second, wake))
	w.RunFor(4 * time.Second)
	require.Empty(t, events)
	w.RunFor(2 * time.Second)
	require.Equal(t, []string{"timeout"}, events)
	require.Equal(t, 1, h.Len())
	h.Notify("T", 0)
	require.Equal(t, []string{"timeout", "notify"}, events)
	require.Equal(t, 0, h.Len())
}

func TestBoundAndDropConn(t *testing.T) {
	w, rt := world(t)
	h := New(rt, 2)
	woken := 0
	wake := func(bool) { woken++ }
	require.True(t, h.Hold("T", 0, 1, time.Second, wake))
	require.True(t, h.Hold("T", 1, 2, time.Second, wake))
	require.False(t, h.Hold("T", 2, 3, time.Second, wake), "past the bound nothing is held")
	require.Equal(t, 1, h.DropConn(1))
	require.Equal(t, 1, h.Len())
	w.RunFor(2 * time.Second)
	require.Equal(t, 1, woken, "only the request of the live connection times out")
	require.True(t, h.Hold("T", 0, 4, time.Second, wake))
	h.Close()
	w.RunFor(2 * time.Second)
	require.Equal(t, 1, woken, "Close wakes nobody")
	require.Equal(t, 0, h.Len())
}
