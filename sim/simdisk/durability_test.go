package simdisk

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/runtime"
)

// TestAcknowledgedAppendsSurvive states the contract a store builds on: an
// append log whose writer counts a record durable only when a SyncAsync
// issued after it reports success keeps every such record through any mix
// of crashes and power losses, under every disk option. Under
// FsyncFailDropsDirty the writer must rewrite what followed its last
// acknowledged offset after a failed fsync (a retry alone would acknowledge
// lost pages), and must not trust a success that was in flight across a
// failure; it does both, and the property holds too.
func TestAcknowledgedAppendsSurvive(t *testing.T) {
	for seed := range uint64(80) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { appendLog(t, seed) })
	}
}

func appendLog(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	opts := Options{
		SectorSize:          []int{512, 4096}[r.IntN(2)],
		TearSubset:          r.IntN(2) == 0,
		FsyncFailProb:       []float64{0, 0.1, 0.3}[r.IntN(3)],
		FsyncFailDropsDirty: r.IntN(2) == 0,
		FsyncLatency:        func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(3000)) * time.Microsecond },
	}
	d, l := newDisk(t, opts, seed)
	fs := d.FS()
	var (
		written []byte // what the writer appended, in order
		acked   int64  // bytes known durable
		fails   int    // failed fsyncs so far
		f       runtime.File
	)
	open := func() {
		var err error
		if f, err = fs.Open("log", runtime.ReadWrite|runtime.Create); err != nil {
			t.Fatal(err)
		}
		// Recovery: a restarted writer trusts only what it acknowledged;
		// whatever follows is rewritten, as a store truncates a torn tail.
		written = written[:acked]
		if err := f.Truncate(acked); err != nil {
			t.Fatal(err)
		}
	}
	open()
	for step := range 400 {
		switch op := r.IntN(20); {
		case op < 12:
			rec := make([]byte, 1+r.IntN(700))
			for i := range rec {
				rec[i] = byte(r.Uint32())
			}
			if _, err := f.WriteAt(rec, int64(len(written))); err != nil {
				t.Fatal(err)
			}
			written = append(written, rec...)
		case op < 16:
			end, file, failsBefore := int64(len(written)), f, fails
			f.SyncAsync(func(err error) {
				if file != f {
					t.Fatalf("step %d: done for a handle of a dead incarnation", step)
				}
				// A success after a failure that happened while this sync
				// was in flight proves nothing about the failed range (it
				// may be clean but lost, and rewritten after this snapshot).
				if err == nil && fails == failsBefore {
					acked = max(acked, end)
					return
				}
				if err == nil {
					return
				}
				fails++
				if opts.FsyncFailDropsDirty {
					// The failed range may be clean yet lost: write it again.
					if _, err := f.WriteAt(written[acked:], acked); err != nil {
						t.Fatal(err)
					}
				}
			})
		case op < 18:
			l.run(time.Duration(r.IntN(3000)) * time.Microsecond)
		case op == 18:
			d.Crash()
			open()
		default:
			d.PowerLoss()
			media, err := d.SyncedContent("log")
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(media)) < acked || !bytes.Equal(media[:acked], written[:acked]) {
				t.Fatalf("step %d: power loss lost acknowledged bytes: media %d bytes, acked %d", step, len(media), acked)
			}
			open()
		}
	}
}
