// Package message is the commit log's record format: RocketMQ 4.x's stored
// message (magic code v1), byte for byte, because a pull response carries
// these records unchanged and the official clients decode them.
//
// A record is validated twice (TigerBeetle's paired checks): before it is
// written (Size refuses what the format cannot hold) and after it is read
// back (Decode checks magic code, total size and body CRC).
package message
