package wire

import (
	"strconv"
	"testing"

	"rocketsim/namesrv/routes"
)

// A broker with 10k topics registers every 30 s with every name server.
func BenchmarkDecodeRegisterBody10k(b *testing.B) {
	body := RegisterBody{Topics: map[string]routes.TopicConfig{}}
	for i := 0; i < 10000; i++ {
		name := "topic-" + strconv.Itoa(i)
		body.Topics[name] = routes.TopicConfig{TopicName: name, ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6}
	}
	for _, compressed := range []bool{false, true} {
		data := EncodeRegisterBody(body, compressed)
		b.Run("compressed="+strconv.FormatBool(compressed), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if _, err := DecodeRegisterBody(data, compressed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
