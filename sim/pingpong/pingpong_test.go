package pingpong

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

func TestFrameRoundTrip(t *testing.T) {
	req := remoting.NewRequest(CodePing, map[string]string{"seq": "7", "session": "9"})
	req.Opaque, req.Body = 42, []byte("hello")
	f := encodeFrame(req)
	if n := binary.BigEndian.Uint32(f); int(n) != len(f)-4 {
		t.Fatalf("length prefix %d, frame %d bytes: the prefix must count the bytes after it", n, len(f))
	}
	if f[4] != 0 {
		t.Errorf("serialize type %d, want 0 (JSON)", f[4])
	}
	got, err := decodeFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Code != CodePing || got.Opaque != 42 || got.ExtFields["seq"] != "7" || got.IsResponse() || !bytes.Equal(got.Body, req.Body) {
		t.Errorf("round trip: %+v", got)
	}
}

func TestDecodeFrameRejectsDamage(t *testing.T) {
	good := encodeFrame(remoting.NewRequest(CodePing, nil))
	bad := map[string][]byte{
		"short":      good[:6],
		"truncated":  good[:len(good)-1],
		"serialize":  append([]byte{}, good...),
		"hdr length": append([]byte{}, good...),
		"json":       append([]byte{}, good...),
	}
	bad["serialize"][4] = 7
	binary.BigEndian.PutUint32(bad["hdr length"][4:], uint32(len(good)))
	bad["json"][8] = '['
	for name, f := range bad {
		if _, err := decodeFrame(f); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestParseRequestChecksBody(t *testing.T) {
	body := make([]byte, 16)
	binary.BigEndian.PutUint64(body, 9)
	binary.BigEndian.PutUint64(body[8:], 7)
	h := remoting.NewRequest(CodePing, map[string]string{"session": "9", "seq": "7"})
	h.Body = body
	if r, err := parseRequest(h); err != nil || r != (Record{9, 7}) {
		t.Fatalf("good request: %v %v", r, err)
	}
	body[15] ^= 1
	if _, err := parseRequest(h); err == nil {
		t.Error("a body that disagrees with the header was accepted")
	}
	h.ExtFields["seq"] = "x"
	if _, err := parseRequest(h); err == nil {
		t.Error("a non-numeric seq was accepted")
	}
}

func testDisk() *simdisk.Disk {
	d := simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, 2)))
	d.Bind(func(time.Duration, func()) {})
	return d
}

func TestRecoverStopsAtTornTail(t *testing.T) {
	d := testDisk()
	f, err := d.FS().Open(LogName, runtime.ReadWrite|runtime.Create)
	if err != nil {
		t.Fatal(err)
	}
	var want []Record
	for i := range 5 {
		r := Record{Session: 3, Seq: uint64(i + 1)}
		want = append(want, r)
		if _, err := f.WriteAt(r.encode(), int64(i*recordSize)); err != nil {
			t.Fatal(err)
		}
	}
	// A torn sixth record: half of it, then a damaged seventh after it.
	sixth := Record{Session: 3, Seq: 6}.encode()
	f.WriteAt(sixth[:recordSize/2], 5*recordSize)
	seventh := Record{Session: 3, Seq: 7}.encode()
	seventh[20] ^= 0xFF
	f.WriteAt(seventh, 6*recordSize)

	recs, end, err := recoverLog(f)
	if err != nil {
		t.Fatal(err)
	}
	if end != 5*recordSize || len(recs) != 5 {
		t.Fatalf("recovered %d records ending at %d, want 5 ending at %d", len(recs), end, 5*recordSize)
	}
	for i := range want {
		if recs[i] != want[i] {
			t.Errorf("record %d: %v, want %v", i, recs[i], want[i])
		}
	}
}

func TestCheckFindsLostAndUnexpected(t *testing.T) {
	ev := func(at time.Duration, client string, seq uint64, o Outcome) Timed {
		return Timed{At: at, Event: Event{Client: client, Session: 1, Seq: seq, Outcome: o}}
	}
	history := []Timed{
		ev(1, "c1", 1, Invoked), ev(2, "c1", 1, OK),
		ev(3, "c1", 2, Invoked), ev(4, "c1", 2, OK),
		ev(5, "c1", 3, Invoked), ev(6, "c1", 3, Failed),
		ev(7, "c1", 4, Invoked), ev(8, "c1", 4, Unknown),
		ev(20, "c1", 5, Invoked), ev(21, "c1", 5, OK),
	}
	// 2 is acknowledged but missing: lost. 3 failed yet is durable, and
	// (1,99) was never sent: both unexpected. 4 is unknown: either way is fine.
	durable := []Record{{1, 1}, {1, 3}, {1, 4}, {1, 5}, {1, 99}, {1, 1}}
	res := Check(history, durable, 10, []string{"c1", "c2"})
	if len(res.Lost) != 1 || res.Lost[0] != (Record{1, 2}) {
		t.Errorf("lost %v, want [{1 2}]", res.Lost)
	}
	if len(res.Unexpected) != 2 || res.Unexpected[0] != (Record{1, 3}) || res.Unexpected[1] != (Record{1, 99}) {
		t.Errorf("unexpected %v, want [{1 3} {1 99}]", res.Unexpected)
	}
	if res.Sent != 5 || res.Acked != 3 || res.Failed != 1 || res.Unknown != 1 || res.Durable != 5 {
		t.Errorf("counts %+v", res)
	}
	if res.AcksAfterHeal["c1"] != 1 || res.AcksAfterHeal["c2"] != 0 {
		t.Errorf("acks after heal %v", res.AcksAfterHeal)
	}
	m := res.Metrics()
	if m["durability"]["lost"] != 1 || m["integrity"]["unexpected"] != 2 || m["liveness"]["acks-after-heal"] != 0 {
		t.Errorf("metrics %v", m)
	}

	clean := Check(history[:4], []Record{{1, 1}, {1, 2}}, 0, []string{"c1"})
	if len(clean.Lost)+len(clean.Unexpected) != 0 || clean.Metrics()["liveness"]["acks-after-heal"] != 2 {
		t.Errorf("a clean history was judged %+v", clean)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	for _, c := range []Config{{Port: 70000}, {Window: WindowMax + 1}, {Interval: -time.Second}, {Payload: -1}, {Flush: "SYNC_FLUSH"}, {FlushInterval: -time.Second}} {
		if err := c.WithDefaults().Validate(); err == nil {
			t.Errorf("%+v validated", c)
		}
	}
}
