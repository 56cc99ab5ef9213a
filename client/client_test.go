package client_test

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/store/message"
	"rocketsim/client"
)

func TestUniqIDShapeAndUniqueness(t *testing.T) {
	g := client.NewUniqIDGenerator([]byte{10, 0, 2, 7}, 0x1234, 0xCAFEBABE)
	now := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	shape := regexp.MustCompile(`^0A0002071234CAFEBABE[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := 0; i < 70000; i++ { // past the 16-bit counter's wrap
		id := g.Next(now.Add(time.Duration(i/1000) * time.Millisecond))
		require.Regexp(t, shape, id)
		require.False(t, seen[id], "duplicate %s at %d", id, i)
		seen[id] = true
	}
	// The suffix counts milliseconds from the start of the month.
	g2 := client.NewUniqIDGenerator([]byte{1, 2, 3, 4}, 1, 0)
	id := g2.Next(time.Date(2026, 11, 1, 0, 0, 1, 0, time.UTC))
	require.Equal(t, "000003e80000", id[20:])
	id = g2.Next(time.Date(2026, 12, 1, 0, 0, 0, 5e6, time.UTC)) // a new month restarts the count
	require.Equal(t, "000000050001", id[20:])
}

func TestDecodeMessagesRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("z"), 10000)
	z, err := client.Compress(big, 5)
	require.NoError(t, err)
	store := message.AddrV4(10, 0, 1, 1, 10911)
	recs := []message.Record{
		{QueueID: 2, QueueOffset: 7, PhysicalOffset: 1000, BornHost: message.AddrV4(10, 0, 2, 1, 5000), StoreHost: store,
			Body: []byte("hello"), Topic: "T", Properties: message.FormatProperties(map[string]string{"TAGS": "a", "UNIQ_KEY": "U1"})},
		{QueueID: 2, QueueOffset: 8, PhysicalOffset: 2000, SysFlag: 1, ReconsumeTimes: 3, BornHost: message.AddrV4(10, 0, 2, 1, 5000),
			StoreHost: store, Body: z, Topic: "T"},
	}
	var body []byte
	for i := range recs {
		body, err = message.Append(body, &recs[i])
		require.NoError(t, err)
	}
	msgs, err := client.DecodeMessages(body, "broker-a")
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	require.Equal(t, "U1", msgs[0].MsgID)
	require.Equal(t, "a", msgs[0].Tag())
	require.Equal(t, []byte("hello"), msgs[0].Body)
	require.Equal(t, client.Queue{Topic: "T", BrokerName: "broker-a", QueueID: 2}, msgs[0].Queue())
	require.Equal(t, message.ID(store, 2000), msgs[1].MsgID, "no UNIQ_KEY: the offset id")
	require.Equal(t, big, msgs[1].Body, "inflated")
	require.EqualValues(t, 3, msgs[1].ReconsumeTimes)
	require.EqualValues(t, 8, msgs[1].QueueOffset)

	_, err = client.DecodeMessages(body[:len(body)-3], "broker-a")
	require.Error(t, err, "a truncated record is an error")

	// Host texts are reused across a pull only while the address stays
	// the same.
	hosts := []message.Addr{message.AddrV4(10, 0, 2, 1, 5000), message.AddrV4(10, 0, 2, 1, 5001),
		message.AddrV4(10, 0, 2, 9, 5001), message.AddrV4(10, 0, 2, 9, 5001), message.AddrV4(10, 0, 2, 1, 5000)}
	body = nil
	for i, h := range hosts {
		r := message.Record{QueueOffset: int64(i), BornHost: h, StoreHost: hosts[len(hosts)-1-i], Body: []byte("b"), Topic: "T"}
		body, err = message.Append(body, &r)
		require.NoError(t, err)
	}
	msgs, err = client.DecodeMessages(body, "broker-a")
	require.NoError(t, err)
	require.Len(t, msgs, len(hosts))
	for i, m := range msgs {
		require.Equal(t, hosts[i].String(), m.BornHost, "message %d", i)
		require.Equal(t, hosts[len(hosts)-1-i].String(), m.StoreHost, "message %d", i)
	}
}

// BenchmarkDecodeMessages is a consumer's decoding of one pull: 32
// records of 1 KiB with a producer's properties.
func BenchmarkDecodeMessages(b *testing.B) {
	var body []byte
	for i := 0; i < 32; i++ {
		r := message.Record{QueueID: 3, QueueOffset: int64(i), PhysicalOffset: int64(i) * 1200,
			BornHost: message.AddrV4(10, 0, 2, 1, 5000), StoreHost: message.AddrV4(10, 0, 1, 1, 10911),
			Body: make([]byte, 1024), Topic: "BenchTopic",
			Properties: "CLUSTER\x01DefaultCluster\x02UNIQ_KEY\x01C0A80001000000000000000000000001\x02WAIT\x01true\x02"}
		var err error
		if body, err = message.Append(body, &r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if msgs, err := client.DecodeMessages(body, "broker-a"); err != nil || len(msgs) != 32 {
			b.Fatalf("%d messages, %v", len(msgs), err)
		}
	}
}

func TestInflateBound(t *testing.T) {
	bomb, err := client.Compress(make([]byte, client.InflatedBodyMax+1), 9)
	require.NoError(t, err)
	_, err = client.Inflate(bomb)
	require.ErrorIs(t, err, client.ErrInflatedTooLarge)
}

// A pull body from a broken or hostile broker never panics the decoder.
func FuzzDecodeMessages(f *testing.F) {
	rec := message.Record{Body: []byte("x"), Topic: "T", StoreHost: message.AddrV4(1, 2, 3, 4, 5), BornHost: message.AddrV4(1, 2, 3, 4, 5)}
	good, err := message.Append(nil, &rec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:20])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := client.DecodeMessages(b, "b")
		if err == nil {
			for _, m := range msgs {
				require.NotEmpty(t, m.MsgID)
			}
		}
	})
}
