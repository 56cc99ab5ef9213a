package consumer

import (
	"slices"

	"rocketsim/client"
)

// Strategy allocates a group's queues (sorted) among its members (sorted
// client ids) and returns the share of member self. It must be a pure
// function of its arguments so every member computes the same split.
type Strategy func(self string, queues []client.Queue, members []string) []client.Queue

// AllocateByAveragely gives each member a contiguous block; the first
// len(queues)%len(members) members get one more (Java
// AllocateMessageQueueAveragely). A member not in the list gets nothing.
func AllocateByAveragely(self string, queues []client.Queue, members []string) []client.Queue {
	index := slices.Index(members, self)
	if index < 0 || len(queues) == 0 {
		return nil
	}
	n, m := len(queues), len(members)
	mod := n % m
	var size int
	switch {
	case n <= m:
		size = 1
	case mod > 0 && index < mod:
		size = n/m + 1
	default:
		size = n / m
	}
	start := index*size + mod
	if mod > 0 && index < mod {
		start = index * size
	}
	var out []client.Queue
	for i := 0; i < min(size, n-start); i++ {
		out = append(out, queues[(start+i)%n])
	}
	return out
}

// AllocateByAveragelyCircle deals queues to members in turn (Java
// AllocateMessageQueueAveragelyByCircle).
func AllocateByAveragelyCircle(self string, queues []client.Queue, members []string) []client.Queue {
	index := slices.Index(members, self)
	if index < 0 {
		return nil
	}
	var out []client.Queue
	for i := index; i < len(queues); i += len(members) {
		out = append(out, queues[i])
	}
	return out
}

func sortQueues(qs []client.Queue) { slices.SortFunc(qs, client.CompareQueues) }
