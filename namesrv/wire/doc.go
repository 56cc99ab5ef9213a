// Package wire holds the name server's request and response bodies as
// RocketMQ 4.x puts them on the wire: route data, cluster info, topic lists,
// KV tables, data versions and the broker registration body (JSON or Java's
// zlib-compressed form).
//
// Encoders write JSON by hand so the bytes are deterministic and match what
// Java's fastjson emits: fields in alphabetical order, no whitespace, and
// integer map keys unquoted ({0:"127.0.0.1:10911"}) unless the peer asked for
// standard JSON. rocketmq-client-go parses brokerAddrs with a hand-written
// splitter that breaks on whitespace and panics when the key is missing, so
// brokerAddrs is always present and compact. Decoders accept both key forms.
package wire
