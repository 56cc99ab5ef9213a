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
