package remoting

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// randomString draws valid UTF-8 with the awkward cases: quotes,
// backslashes, control characters (RocketMQ's \x01/\x02 property
// separators), multi-byte and astral runes.
func randomString(rng *rand.Rand) string {
	alphabet := []rune{'a', 'Z', '0', ' ', '"', '\\', '/', '\x00', '\x01', '\x02', '\n', '\t', '\x7f', 'é', '中', '😀', '\u2028', '\ufffd'}
	var b strings.Builder
	for n := rng.IntN(12); n > 0; n-- {
		b.WriteRune(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

// TestRandomCommandsRoundTrip: Decode(Encode(c)) == c for both header
// serializations, over commands drawn at random.
func TestRandomCommandsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	for i := 0; i < 5000; i++ {
		c := &Command{
			Code:     int16(rng.Uint32()),
			Language: []string{"JAVA", "GO", "CPP", "RUST"}[rng.IntN(4)],
			Version:  int16(rng.Uint32()),
			Opaque:   int32(rng.Uint32()),
			Flag:     int32(rng.Uint32()),
			Remark:   randomString(rng),
		}
		if rng.IntN(4) > 0 {
			c.ExtFields = map[string]string{}
			for n := rng.IntN(6); n > 0; n-- {
				c.ExtFields[randomString(rng)] = randomString(rng)
			}
		}
		if rng.IntN(2) == 0 {
			c.Body = []byte(randomString(rng) + "x")
		}
		if !utf8.ValidString(c.Remark) {
			t.Fatal("generator made invalid UTF-8")
		}
		got, err := Decode(Encode(c), 0)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("JSON round trip\n got %+v\nwant %+v", got, c)
		}
		got, err = Decode(EncodeROCKETMQ(c), 0)
		if err != nil {
			t.Fatalf("binary %+v: %v", c, err)
		}
		want := *c
		if len(want.ExtFields) == 0 {
			want.ExtFields = nil
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("binary round trip\n got %+v\nwant %+v", got, &want)
		}
	}
}
