// Package jepsen is the home of histories and checkers: what clients observed
// (jepsen/history) and the judges of it (jepsen/check). Checkers read histories
// only, never broker internals, so they can judge any RocketMQ-protocol
// cluster, Apache's own included.
package jepsen
