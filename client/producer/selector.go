package producer

import (
	"hash/fnv"

	"rocketsim/client"
)

// Selector picks the queue a message goes to among a topic's writable queues
// (sorted by broker name and queue id, never empty). The queues slice is
// the route cache's own: Select must not change it.
type Selector interface {
	Select(msg *client.Message, queues []client.Queue) client.Queue
}

// RoundRobin spreads messages over the queues in turn.
type RoundRobin struct{ next map[string]int }

// NewRoundRobin returns a round-robin selector.
func NewRoundRobin() *RoundRobin { return &RoundRobin{next: map[string]int{}} }

// Select implements Selector.
func (r *RoundRobin) Select(msg *client.Message, queues []client.Queue) client.Queue {
	i := r.next[msg.Topic]
	r.next[msg.Topic] = i + 1
	return queues[i%len(queues)]
}

// Hash sends every message with the same sharding key to the same queue (as
// long as the queue count does not change), so a consumer sees them in send
// order. Messages without a key all hash "" to one queue; rocketmq-client-go
// picks a random queue for them instead.
type Hash struct{}

// Select implements Selector: FNV-1a of the sharding key modulo the queue
// count, as rocketmq-client-go's hash selector does.
func (Hash) Select(msg *client.Message, queues []client.Queue) client.Queue {
	h := fnv.New32a()
	h.Write([]byte(msg.ShardingKey()))
	return queues[int(h.Sum32()%uint32(len(queues)))]
}

// Manual sends to the queue the caller names; when that queue is not in the
// route, it falls back to the queue with the same id modulo the count.
type Manual struct{ Queue client.Queue }

// Select implements Selector.
func (m Manual) Select(msg *client.Message, queues []client.Queue) client.Queue {
	for _, q := range queues {
		if q.BrokerName == m.Queue.BrokerName && q.QueueID == m.Queue.QueueID {
			return q
		}
	}
	return queues[m.Queue.QueueID%len(queues)]
}
