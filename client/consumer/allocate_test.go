package consumer

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
)

func queues(n int) []client.Queue {
	out := make([]client.Queue, n)
	for i := range out {
		out[i] = client.Queue{Topic: "T", BrokerName: "b", QueueID: i}
	}
	return out
}

// Every queue is owned by exactly one member, for any queue and member count.
func TestStrategiesPartitionQueues(t *testing.T) {
	for name, s := range map[string]Strategy{"averagely": AllocateByAveragely, "circle": AllocateByAveragelyCircle, "hash": AllocateByConsistentHash(0)} {
		for nq := 0; nq <= 9; nq++ {
			for nm := 1; nm <= 5; nm++ {
				qs := queues(nq)
				var members []string
				for i := 0; i < nm; i++ {
					members = append(members, fmt.Sprintf("c%d", i))
				}
				owner := map[client.Queue]string{}
				for _, m := range members {
					for _, q := range s(m, qs, members) {
						require.Empty(t, owner[q], "%s: %s owned twice", name, q)
						owner[q] = m
					}
				}
				require.Len(t, owner, nq, "%s: %d queues %d members", name, nq, nm)
			}
		}
		require.Nil(t, s("stranger", queues(4), []string{"a", "b"}))
	}
	// Java's split of 5 queues among 2 members: [0 1 2] and [3 4].
	require.Equal(t, queues(5)[:3], AllocateByAveragely("a", queues(5), []string{"a", "b"}))
	require.Equal(t, queues(5)[3:], AllocateByAveragely("b", queues(5), []string{"a", "b"}))
}

// Consistent hashing moves few queues when a member joins.
func TestConsistentHashMovesFewQueues(t *testing.T) {
	s := AllocateByConsistentHash(10)
	qs := queues(64)
	before := []string{"c0", "c1", "c2"}
	after := []string{"c0", "c1", "c2", "c3"}
	owner := func(members []string) map[client.Queue]string {
		m := map[client.Queue]string{}
		for _, c := range members {
			for _, q := range s(c, qs, members) {
				m[q] = c
			}
		}
		return m
	}
	a, b := owner(before), owner(after)
	moved := 0
	for q, c := range a {
		if b[q] != c {
			moved++
			require.Equal(t, "c3", b[q], "a queue only moves to the new member")
		}
	}
	require.Greater(t, moved, 0)
	require.Less(t, moved, 40)
}
