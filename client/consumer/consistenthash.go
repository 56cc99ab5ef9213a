package consumer

import (
	"crypto/md5"
	"fmt"
	"slices"
	"strconv"

	"rocketsim/client"
)

// VirtualNodesDefault is Java AllocateMessageQueueConsistentHash's default
// virtual node count per member.
const VirtualNodesDefault = 10

// AllocateByConsistentHash returns Java's consistent-hash allocation with
// virtualNodes virtual nodes per member: a queue goes to the member whose
// virtual node follows the queue's hash on the ring. Adding or removing a
// member moves only the queues next to it. Hashes are MD5's first four bytes,
// keys are Java's ("clientId-i" and MessageQueue.toString()), so a mixed
// group of Java and our consumers agrees.
func AllocateByConsistentHash(virtualNodes int) Strategy {
	if virtualNodes <= 0 {
		virtualNodes = VirtualNodesDefault
	}
	return func(self string, queues []client.Queue, members []string) []client.Queue {
		if !slices.Contains(members, self) {
			return nil
		}
		type point struct {
			hash   uint32
			member string
		}
		var ring []point
		for _, m := range members {
			for i := 0; i < virtualNodes; i++ {
				ring = append(ring, point{md5Hash(m + "-" + strconv.Itoa(i)), m})
			}
		}
		// Java's TreeMap keeps the last put of equal hashes; sort stably by
		// hash with later members after earlier ones, then keep the last.
		slices.SortStableFunc(ring, func(a, b point) int {
			switch {
			case a.hash < b.hash:
				return -1
			case a.hash > b.hash:
				return 1
			}
			return 0
		})
		var dedup []point
		for i, p := range ring {
			if i+1 < len(ring) && ring[i+1].hash == p.hash {
				continue
			}
			dedup = append(dedup, p)
		}
		var out []client.Queue
		for _, q := range queues {
			h := md5Hash(fmt.Sprintf("MessageQueue [topic=%s, brokerName=%s, queueId=%d]", q.Topic, q.BrokerName, q.QueueID))
			i, _ := slices.BinarySearchFunc(dedup, h, func(p point, h uint32) int {
				switch {
				case p.hash < h:
					return -1
				case p.hash > h:
					return 1
				}
				return 0
			})
			if i == len(dedup) {
				i = 0
			}
			if dedup[i].member == self {
				out = append(out, q)
			}
		}
		return out
	}
}

func md5Hash(key string) uint32 {
	d := md5.Sum([]byte(key))
	return uint32(d[0])<<24 | uint32(d[1])<<16 | uint32(d[2])<<8 | uint32(d[3])
}
