// Package client holds what RocketMQ's producer and consumer share: the
// message a user sends, the message a consumer receives (decoded from the
// broker's stored format), the queue address, and the client-side message id
// (UNIQ_KEY) generator.
//
// Subpackages:
//
//   - client/route: the name-server client (topic routes, publish and
//     subscribe queues, the TBW102 fallback);
//   - client/producer: the producer core (async, oneway, batch, ordered and
//     transactional sends, retries, fault avoidance);
//   - client/consumer: the push consumer core (rebalancing, long polling,
//     offsets, concurrent and orderly consumption, retry and DLQ);
//   - client/litepull: the lite pull consumer core (poll, commit, seek);
//   - client/admin: topic creation, deletion and listing;
//   - client/record: what the clients observe, as a jepsen history;
//   - client/blocking: blocking facades of the three on the real runtime, the
//     only package here that uses goroutines and the operating system;
//   - client/clienttest: a simulated cluster (real name server and broker
//     nodes) for tests.
//
// The cores are single-threaded state machines on a runtime.Runtime, so the
// simulator runs hundreds of them deterministically, as it runs the broker.
package client
