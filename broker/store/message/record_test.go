package message

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

func sample() Record {
	return Record{
		QueueID:                   3,
		Flag:                      7,
		QueueOffset:               42,
		PhysicalOffset:            4096,
		SysFlag:                   0,
		BornTimestamp:             1700000000123,
		BornHost:                  AddrV4(10, 0, 0, 9, 53211),
		StoreTimestamp:            1700000000456,
		StoreHost:                 AddrV4(192, 168, 0, 1, 10911),
		ReconsumeTimes:            2,
		PreparedTransactionOffset: 0,
		Body:                      []byte("hello"),
		Topic:                     "TopicTest",
		Properties:                "TAGS\x01tagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01C00002022A09000000006f5d9cf00001\x02",
	}
}

// TestGoldenLayout writes the Java v1 layout field by field, independently
// of Append, and compares bytes.
func TestGoldenLayout(t *testing.T) {
	r := sample()
	got, err := Append(nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	be := func(v any) { _ = binary.Write(&w, binary.BigEndian, v) }
	total := 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + 5 + 1 + 9 + 2 + len(r.Properties)
	be(int32(total))
	be(int32(-626843481)) // Java MESSAGE_MAGIC_CODE
	be(int32(0x3610a686 & 0x7fffffff))
	be(int32(3))
	be(int32(7))
	be(int64(42))
	be(int64(4096))
	be(int32(0))
	be(int64(1700000000123))
	w.Write([]byte{10, 0, 0, 9})
	be(int32(53211))
	be(int64(1700000000456))
	w.Write([]byte{192, 168, 0, 1})
	be(int32(10911))
	be(int32(2))
	be(int64(0))
	be(int32(5))
	w.WriteString("hello")
	w.WriteByte(9)
	w.WriteString("TopicTest")
	be(int16(len(r.Properties)))
	w.WriteString(r.Properties)
	if !bytes.Equal(got, w.Bytes()) {
		t.Fatalf("layout differs\n got %x\nwant %x", got, w.Bytes())
	}
	if n, _ := Size(&r); n != total || len(got) != total {
		t.Fatalf("Size %d, encoded %d, want %d", n, len(got), total)
	}
}

// TestBodyCRCJava checks the CRC against values Java's UtilAll.crc32 gives:
// CRC32 of "hello" is 0x3610a686 and of "123456789" 0xcbf43926, whose sign
// bit Java clears.
func TestBodyCRCJava(t *testing.T) {
	if got := BodyCRC([]byte("hello")); got != 0x3610a686 {
		t.Fatalf("crc(hello) = %#x", got)
	}
	if got := BodyCRC([]byte("123456789")); got != 0x4bf43926 {
		t.Fatalf("crc(123456789) = %#x, want sign bit cleared 0x4bf43926", got)
	}
	if BodyCRC(nil) != 0 {
		t.Fatal("crc of empty body must be 0")
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		r := randomRecord(rng)
		b, err := Append([]byte("prefix"), &r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b[6:], true)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if int(got.StoreSize) != len(b)-6 || got.BodyCRC != BodyCRC(r.Body) {
			t.Fatalf("size %d crc %d", got.StoreSize, got.BodyCRC)
		}
		got.StoreSize, got.BodyCRC = 0, 0
		if !equalRecords(got, r) {
			t.Fatalf("record %d:\n got %+v\nwant %+v", i, got, r)
		}
	}
}

func equalRecords(a, b Record) bool {
	return a.QueueID == b.QueueID && a.Flag == b.Flag && a.QueueOffset == b.QueueOffset &&
		a.PhysicalOffset == b.PhysicalOffset && a.SysFlag == b.SysFlag &&
		a.BornTimestamp == b.BornTimestamp && bytes.Equal(a.BornHost.IP, b.BornHost.IP) &&
		a.BornHost.Port == b.BornHost.Port && a.StoreTimestamp == b.StoreTimestamp &&
		bytes.Equal(a.StoreHost.IP, b.StoreHost.IP) && a.StoreHost.Port == b.StoreHost.Port &&
		a.ReconsumeTimes == b.ReconsumeTimes && a.PreparedTransactionOffset == b.PreparedTransactionOffset &&
		bytes.Equal(a.Body, b.Body) && a.Topic == b.Topic && a.Properties == b.Properties
}

func randomRecord(rng *rand.Rand) Record {
	r := Record{
		QueueID: rng.Int32(), Flag: rng.Int32(), QueueOffset: rng.Int64(), PhysicalOffset: rng.Int64(),
		BornTimestamp: rng.Int64(), StoreTimestamp: rng.Int64(), ReconsumeTimes: rng.Int32(),
		PreparedTransactionOffset: rng.Int64(),
	}
	host := func(flag int32) Addr {
		n := 4
		if rng.IntN(3) == 0 {
			n = 16
			r.SysFlag |= flag
		}
		ip := make([]byte, n)
		for i := range ip {
			ip[i] = byte(rng.Uint32())
		}
		return Addr{IP: ip, Port: rng.Int32N(65536)}
	}
	r.BornHost = host(FlagBornHostV6)
	r.StoreHost = host(FlagStoreHostV6)
	r.Body = make([]byte, rng.IntN(300))
	for i := range r.Body {
		r.Body[i] = byte(rng.Uint32())
	}
	r.Topic = strings.Repeat("t", rng.IntN(TopicLenMax+1))
	r.Properties = strings.Repeat("p", rng.IntN(200))
	return r
}

// TestOfficialClientDecodes feeds our records to rocketmq-client-go's own
// decoder, which is what a consumer runs on a pull response body.
func TestOfficialClientDecodes(t *testing.T) {
	a, b := sample(), sample()
	b.PhysicalOffset = 8192
	b.QueueOffset = 43
	b.Body = []byte("world!")
	buf, err := Append(nil, &a)
	if err != nil {
		t.Fatal(err)
	}
	if buf, err = Append(buf, &b); err != nil {
		t.Fatal(err)
	}
	msgs := primitive.DecodeMessage(buf)
	if len(msgs) != 2 {
		t.Fatalf("client decoded %d messages, want 2", len(msgs))
	}
	m := msgs[1]
	if string(m.Body) != "world!" || m.Topic != "TopicTest" || m.QueueOffset != 43 ||
		m.CommitLogOffset != 8192 || m.ReconsumeTimes != 2 || m.StoreSize != int32(len(buf)-int(msgs[0].StoreSize)) {
		t.Fatalf("client decoded %+v", m)
	}
	if m.GetTags() != "tagA" || m.GetKeys() != "k1 k2" {
		t.Fatalf("tags %q keys %q", m.GetTags(), m.GetKeys())
	}
	if m.MsgId != "C00002022A09000000006f5d9cf00001" {
		t.Fatalf("msg id %q", m.MsgId)
	}
	if m.OffsetMsgId != ID(b.StoreHost, 8192) {
		t.Fatalf("client offset id %q, ours %q", m.OffsetMsgId, ID(b.StoreHost, 8192))
	}
	if m.StoreHost != "192.168.0.1:10911" || m.BornHost != "10.0.0.9:53211" {
		t.Fatalf("hosts %q %q", m.StoreHost, m.BornHost)
	}
}

func TestID(t *testing.T) {
	host := AddrV4(192, 168, 0, 1, 10911)
	id := ID(host, 4096)
	if id != "C0A8000100002A9F0000000000001000" {
		t.Fatalf("id %q", id)
	}
	parsed, err := primitive.UnmarshalMsgID([]byte(id))
	if err != nil || parsed.Addr != "192.168.0.1" || parsed.Port != 10911 || parsed.Offset != 4096 {
		t.Fatalf("client parsed %+v, %v", parsed, err)
	}
	a, off, err := ParseID(id)
	if err != nil || a.String() != "192.168.0.1:10911" || off != 4096 {
		t.Fatalf("ParseID: %v %d %v", a, off, err)
	}
	if _, _, err := ParseID("XYZ"); err == nil {
		t.Fatal("short id accepted")
	}
}

func TestDecodeRejects(t *testing.T) {
	r := sample()
	good, _ := Append(nil, &r)
	cases := map[string]func(b []byte) []byte{
		"truncated":   func(b []byte) []byte { return b[:len(b)-1] },
		"zeros":       func(b []byte) []byte { return make([]byte, len(b)) },
		"bad magic":   func(b []byte) []byte { b[4] ^= 1; return b },
		"body flip":   func(b []byte) []byte { b[r.bodyAt()] ^= 0x80; return b },
		"size+1":      func(b []byte) []byte { binary.BigEndian.PutUint32(b, uint32(len(b)-1)); return b },
		"body length": func(b []byte) []byte { binary.BigEndian.PutUint32(b[r.bodyAt()-4:], 900); return b },
	}
	want := map[string]error{"truncated": ErrTruncated, "zeros": ErrCorrupt, "bad magic": ErrCorrupt,
		"body flip": ErrCorrupt, "size+1": ErrCorrupt, "body length": ErrCorrupt}
	for name, mutate := range cases {
		b := mutate(append([]byte(nil), good...))
		if _, err := Decode(b, true); !errors.Is(err, want[name]) {
			t.Errorf("%s: err %v, want %v", name, err, want[name])
		}
	}
	// Without the CRC check a flipped body bit passes: the check is real.
	b := append([]byte(nil), good...)
	b[r.bodyAt()] ^= 0x80
	if _, err := Decode(b, false); err != nil {
		t.Fatalf("no-crc decode: %v", err)
	}
}

func (r *Record) bodyAt() int { return 4*5 + 8*2 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 }

func TestSizeRejects(t *testing.T) {
	r := sample()
	r.Topic = strings.Repeat("x", 128)
	if _, err := Size(&r); !errors.Is(err, ErrTopicTooLong) {
		t.Fatalf("long topic: %v", err)
	}
	r = sample()
	r.Properties = strings.Repeat("x", 32768)
	if _, err := Size(&r); !errors.Is(err, ErrPropertiesTooLong) {
		t.Fatalf("long properties: %v", err)
	}
	r = sample()
	r.SysFlag |= FlagStoreHostV6
	if _, err := Size(&r); !errors.Is(err, ErrBadAddr) {
		t.Fatalf("v6 flag with v4 host: %v", err)
	}
}

func TestPeekBlank(t *testing.T) {
	b := AppendBlank(nil, 100)
	kind, n, err := Peek(b)
	if err != nil || kind != KindBlank || n != 100 {
		t.Fatalf("peek blank: %v %d %v", kind, n, err)
	}
	if hex.EncodeToString(b) != "00000064cbd43194" {
		t.Fatalf("blank bytes %x", b)
	}
}

func TestProperties(t *testing.T) {
	m := map[string]string{"TAGS": "a", "KEYS": "k1 k2", "UNIQ_KEY": "X"}
	s := FormatProperties(m)
	if s != "KEYS\x01k1 k2\x02TAGS\x01a\x02UNIQ_KEY\x01X\x02" {
		t.Fatalf("format %q", s)
	}
	back := ParseProperties(s + "junk\x02a\x01b\x01c\x02")
	if len(back) != 3 || back["KEYS"] != "k1 k2" {
		t.Fatalf("parse %v", back)
	}
	if v, ok := Property(s, "TAGS"); !ok || v != "a" {
		t.Fatalf("Property TAGS = %q %v", v, ok)
	}
	if _, ok := Property(s, "TAG"); ok {
		t.Fatal("prefix matched")
	}
}

// TestTagsCode checks against Java's String.hashCode values.
func TestTagsCode(t *testing.T) {
	cases := map[string]int64{"": 0, "TagA": 2598919, "hello": 99162322,
		"polygenelubricants": -2147483648, "日本": 26085*31 + 26412}
	for s, want := range cases {
		if got := TagsCode(s); got != want {
			t.Errorf("TagsCode(%q) = %d, want %d", s, got, want)
		}
	}
}
