package topic

import "strings"

// Permission bits of a topic (and of a broker), RocketMQ's PermName.
const (
	PermPriority = 1 << 3
	PermRead     = 1 << 2
	PermWrite    = 1 << 1
	// PermInherit marks a template: a topic created from it (auto-creation
	// from TBW102) copies its other bits.
	PermInherit = 1 << 0
	// PermReadWrite is the default of an ordinary topic.
	PermReadWrite = PermRead | PermWrite
)

// Readable reports whether consumers may pull.
func Readable(perm int) bool { return perm&PermRead != 0 }

// Writable reports whether producers may send.
func Writable(perm int) bool { return perm&PermWrite != 0 }

// Inherited reports whether new topics may be created from this one.
func Inherited(perm int) bool { return perm&PermInherit != 0 }

// PermString renders perm as RocketMQ's admin tools do: "RWX" with a dash
// for each missing bit (X is inherit).
func PermString(perm int) string {
	var b strings.Builder
	for _, bit := range []struct {
		mask int
		c    byte
	}{{PermRead, 'R'}, {PermWrite, 'W'}, {PermInherit, 'X'}} {
		if perm&bit.mask != 0 {
			b.WriteByte(bit.c)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}
