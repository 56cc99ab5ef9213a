package checkpoint

import (
	"testing"

	"rocketsim/broker/store/internal/memfs"
	"rocketsim/runtime"
)

func TestNewestValidCopyWins(t *testing.T) {
	fs := memfs.New(0, 1)
	f, _, ok, err := Open(fs, "checkpoint")
	if err != nil || ok {
		t.Fatalf("new checkpoint: ok=%v %v", ok, err)
	}
	for i := int64(1); i <= 3; i++ {
		if err := f.Write(Checkpoint{PhysicOffset: i * 10, LogicsOffset: i, IndexOffset: i}); err != nil {
			t.Fatal(err)
		}
	}
	_, cp, ok, _ := Open(fs, "checkpoint")
	if !ok || cp.PhysicOffset != 30 {
		t.Fatalf("reopen: %+v %v", cp, ok)
	}
	// Tear the newest copy (sequence 3 sits in slot 1): the older one is
	// used, never a mix.
	raw, _ := fs.Open("checkpoint", runtime.ReadWrite)
	raw.WriteAt([]byte{0xff, 0xff}, slotStride+20)
	_, cp, ok, _ = Open(fs, "checkpoint")
	if !ok || cp.PhysicOffset != 20 || cp.LogicsOffset != 2 {
		t.Fatalf("after tearing the newest copy: %+v %v", cp, ok)
	}
	// Both torn: no checkpoint, and the store recovers from scratch.
	raw.WriteAt([]byte{0xff, 0xff}, 20)
	if _, _, ok, _ = Open(fs, "checkpoint"); ok {
		t.Fatal("a torn checkpoint was trusted")
	}
}
