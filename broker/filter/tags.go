// Package filter decides which messages a subscription receives: by tag
// (a hash in the consume queue, then the exact tag) or, when the broker runs
// with enablePropertyFilter, by an SQL92 selector over the message's
// properties (package sql92).
package filter

import (
	"strings"
	"unicode/utf16"
)

// SubAll is the subscription expression that takes every message.
const SubAll = "*"

// TagSeparator separates tags in a TAG expression ("TagA || TagB").
const TagSeparator = "||"

// TagsHash is the tags code RocketMQ stores in a consume-queue entry: Java's
// String.hashCode of the tag (s[0]*31^(n-1) + ... over UTF-16 code units,
// with int overflow), widened to a long. An empty tag hashes to 0, which is
// also the code of a message without tags.
//
// It hashes UTF-16 code units as Java does, so codes agree with Java clients
// and brokers for any tag. (rocketmq-client-go hashes UTF-8 bytes instead,
// which differs for non-ASCII tags; Compile therefore recomputes a
// subscription's codes from its tags rather than trusting the client's.)
func TagsHash(tag string) int64 {
	var h int32
	for _, r := range tag {
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			h = 31*h + hi
			h = 31*h + lo
			continue
		}
		h = 31*h + r
	}
	return int64(h)
}

// IsSubAll reports whether a TAG expression takes every message: empty or
// "*". Blanks around it are ignored (Java compares without trimming and
// would treat " * " as the tag "*", which no message carries).
func IsSubAll(expr string) bool {
	e := strings.TrimSpace(expr)
	return e == "" || e == SubAll
}

// ParseTags splits a TAG expression into its distinct tags, trimmed, in
// first-seen order, as FilterAPI.buildSubscriptionData does. It returns nil
// for SubAll.
func ParseTags(expr string) []string {
	if IsSubAll(expr) {
		return nil
	}
	var tags []string
	seen := map[string]bool{}
	for _, t := range strings.Split(expr, TagSeparator) {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		tags = append(tags, t)
	}
	return tags
}
