package realrt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"rocketsim/runtime"
)

// FuzzReadFrame feeds arbitrary bytes to the frame splitter: it must never
// panic or allocate past the bound, every frame it returns must carry a
// prefix that matches its length, and it must end with one of the errors
// the runtime promises.
func FuzzReadFrame(f *testing.F) {
	f.Add(frameOf(1, 16))
	f.Add(append(frameOf(1, 12), frameOf(2, 30)...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 3, 1, 2, 3})
	f.Add([]byte{0, 0, 4, 1, 0, 0, 0, 4})
	f.Add(frameOf(3, 40)[:20])
	f.Fuzz(func(t *testing.T, data []byte) {
		rt := New("fuzz", Options{MaxFrameSize: 1024})
		c := &conn{rt: rt, id: 1, remote: "fuzz"}
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		consumed := 0
		for {
			frame, err := c.readFrame(br)
			if err != nil {
				switch {
				case errors.Is(err, runtime.ErrClosed):
					if consumed != len(data) {
						t.Fatalf("clean EOF after %d of %d bytes", consumed, len(data))
					}
				case errors.Is(err, runtime.ErrReset), errors.Is(err, runtime.ErrBadFrame), errors.Is(err, runtime.ErrFrameTooLarge):
				default:
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(frame) > 1024 || int(binary.BigEndian.Uint32(frame)) != len(frame)-4 {
				t.Fatalf("frame of %d bytes with prefix %d", len(frame), binary.BigEndian.Uint32(frame))
			}
			if !bytes.Equal(frame, data[consumed:consumed+len(frame)]) {
				t.Fatal("frame differs from the input")
			}
			consumed += len(frame)
		}
	})
}
