// Package client holds what RocketMQ's producer and consumer share: the
// message a user sends, the message a consumer receives (decoded from the
// broker's stored format), the queue address, and the client-side message id
// (UNIQ_KEY) generator.
//
// The producer and consumer cores live in client/producer and client/consumer;
// they are single-threaded state machines on a runtime.Runtime, so the
// simulator runs them as it runs the broker. client/blocking wraps them in a
// blocking API on the real runtime.
package client
