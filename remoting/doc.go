// Package remoting is Apache RocketMQ 4.x's wire protocol: the command frame
// (codec), the request and response codes, and an event-driven RPC endpoint
// that matches responses to requests by opaque over runtime.Conn.
//
// Frame layout (all integers big-endian), the same in both directions:
//
//	int32 length            bytes after this field: 4 + headerLength + bodyLength
//	int32 type<<24|hlen     high byte: header serialization (0 JSON, 1 ROCKETMQ binary)
//	header (hlen bytes)     JSON object or binary header
//	body                    the rest
//
// We always write JSON headers, as the Go client does and as Java does by
// default; we read both, because a Java peer configured for the binary
// serialization sends it.
//
// Everything here runs on a node's event loop: no goroutines, no clocks other
// than the runtime's, no map-order effects.
package remoting
