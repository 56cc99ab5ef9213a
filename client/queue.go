package client

import (
	"cmp"
	"fmt"
)

// Queue addresses one message queue: a topic's queue on one broker group.
type Queue struct {
	Topic      string
	BrokerName string
	QueueID    int
}

func (q Queue) String() string {
	return fmt.Sprintf("%s@%s#%d", q.Topic, q.BrokerName, q.QueueID)
}

// CompareQueues orders queues by topic, broker name, then queue id, the order
// rebalancing sorts them in so every consumer sees the same list.
func CompareQueues(a, b Queue) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	if c := cmp.Compare(a.BrokerName, b.BrokerName); c != 0 {
		return c
	}
	return cmp.Compare(a.QueueID, b.QueueID)
}
