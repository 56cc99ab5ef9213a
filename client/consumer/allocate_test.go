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
	for name, s := range map[string]Strategy{"averagely": AllocateByAveragely, "circle": AllocateByAveragelyCircle} {
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
