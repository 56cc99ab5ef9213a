package segment

import "fmt"

// Warm-ahead (the commit log under SYNC_FLUSH): the file is filled with
// zeros some way past the last appended byte, through File.WriteAsync, so
// the blocks a record lands on already exist on disk when its fsync runs.
// On ext4 an fdatasync after appending to the end of a file must also
// allocate blocks and record the new size in the journal; after
// overwriting blocks written and synced before, it writes only the data:
// about twice the fsync rate at 64 KiB per fsync on the machine this was
// measured on. Java's warmMapedFileEnable writes a whole new file with
// zeros for the same reason.
//
// Zeros past the end are what recovery already takes as the end of the
// log (message.Peek refuses a zero size) and cuts away.
//
// Order: a zero write starts at or past every byte appended so far, and a
// later record's write is issued after it (a WriteAsync queued behind it,
// or a WriteAt, which the runtime orders after queued writes), so zeros
// never cover a record.

// warmChunk is the size of one zero write.
const warmChunk = 1 << 20

// zeros is the source of every zero write; nothing writes into it.
var zeros = make([]byte, warmChunk)

// warm is a segment's warm-ahead state.
type warm struct {
	ahead  int64 // keep this many bytes past Wrote zero-filled
	zeroed int64 // the file holds records or zeros below this (relative)
	out    int   // zero writes whose done has not run
	failed error // a zero write failed (a full disk): warming stopped
}

// SetWarmAhead keeps ahead bytes past the last appended one zero-filled
// (at most to the segment's capacity); 0 turns it off.
func (s *Segment) SetWarmAhead(ahead int64) {
	if ahead <= 0 {
		s.warm = nil
		return
	}
	size, err := s.file.Size()
	if err != nil {
		size = s.Wrote
	}
	s.warm = &warm{ahead: ahead, zeroed: max(size, s.Wrote)}
}

// WarmFailed is the error that stopped warming this segment, if any.
func (s *Segment) WarmFailed() error {
	if s.warm == nil {
		return nil
	}
	return s.warm.failed
}

// warmUp issues the zero writes that keep the window ahead of Wrote. A
// zero write that fails (ENOSPC) stops warming: the records that follow
// are appended as without it, and the store's own checks see the disk.
func (s *Segment) warmUp() {
	z := s.warm
	if z == nil || z.failed != nil {
		return
	}
	start := max(z.zeroed, s.Wrote)
	// Issue in whole chunks, once a chunk of the window is missing.
	for start+warmChunk <= s.Wrote+z.ahead && start < s.Capacity {
		n := min(int64(warmChunk), s.Capacity-start)
		z.out++
		at := start
		s.file.WriteAsync(zeros[:n], at, func(wrote int, err error) {
			z.out--
			if err != nil && z.failed == nil {
				z.failed = fmt.Errorf("segment %s: zero-fill %d bytes at %d (%d written): %w", s.Path, n, at, wrote, err)
			}
		})
		start += n
		z.zeroed = start
	}
}

// zeroWritesOut reports zero writes still queued.
func (s *Segment) zeroWritesOut() bool { return s.warm != nil && s.warm.out > 0 }
