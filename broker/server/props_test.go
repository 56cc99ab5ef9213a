package server

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/remoting"
)

// withProperty's answer, when it gives one, is exactly what parsing and
// formatting give; it declines every string that is not in FormatProperties'
// form.
func TestWithPropertyMatchesParseAndFormat(t *testing.T) {
	check := func(props, name, value string) (ok bool) {
		t.Helper()
		got, ok := withProperty(props, name, value)
		m := message.ParseProperties(props)
		m[name] = value
		want := message.FormatProperties(m)
		canonical := props == message.FormatProperties(message.ParseProperties(props))
		if ok != canonical {
			t.Fatalf("%q: ok=%v, but canonical=%v", props, ok, canonical)
		}
		if ok && got != want {
			t.Fatalf("%q + %s=%q:\n got %q\nwant %q", props, name, value, got, want)
		}
		return ok
	}
	for _, p := range []string{
		"", "A\x01a\x02", "CLUSTER\x01old\x02", "A\x01a\x02CLUSTER\x01old\x02Z\x01z\x02",
		"UNIQ_KEY\x01C0A8\x02WAIT\x01true\x02", "A\x01\x02", "\x01v\x02", "A\x01a\x02B\x01b\x02C\x01c\x02",
		"DELAY\x013\x02TAGS\x01t\x02", "ZZ\x01z\x02", "CLUSTEQ\x011\x02CLUSTES\x012\x02",
	} {
		if !check(p, "CLUSTER", "DefaultCluster") {
			t.Errorf("%q declined", p)
		}
	}
	for _, p := range []string{
		"A\x01a", "B\x01b\x02A\x01a\x02", "A\x01a\x02A\x01b\x02", "A\x02", "A\x01a\x01b\x02", "\x02", "A\x01a\x02\x02",
	} {
		if check(p, "CLUSTER", "c") {
			t.Errorf("%q accepted", p)
		}
	}
	// Random strings over a small alphabet hit every shape.
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"A", "B", "CLUSTER", "Z", "\x01", "\x02", "x"}
	accepted := 0
	for range 20000 {
		var b strings.Builder
		for range r.IntN(10) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		if check(b.String(), "CLUSTER", "c") {
			accepted++
		}
	}
	// And canonical strings from random maps, which must all be accepted.
	for range 2000 {
		m := map[string]string{}
		for range r.IntN(6) {
			m[alphabet[r.IntN(4)]+alphabet[r.IntN(4)]] = []string{"v", "w", ""}[r.IntN(3)]
		}
		if !check(message.FormatProperties(m), "CLUSTER", "c") {
			t.Fatalf("canonical %q declined", message.FormatProperties(m))
		}
	}
	if accepted == 0 {
		t.Error("no random string was canonical: the random check proves nothing")
	}
}

func BenchmarkWithProperty(b *testing.B) {
	props := "UNIQ_KEY\x01C0A80001000000000000000000000001\x02WAIT\x01true\x02"
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			withProperty(props, "CLUSTER", "DefaultCluster")
		}
	})
	b.Run("parse+format", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			m := message.ParseProperties(props)
			m["CLUSTER"] = "DefaultCluster"
			message.FormatProperties(m)
		}
	})
}

// Send answers carry their custom header as an ExtList; on the wire it must
// be the map Java's broker and ours wrote before, for a stored send (five
// entries) and a refused one (two).
func TestSendResponseBytesMatchTheMap(t *testing.T) {
	b := &Broker{}
	req := &remoting.Request{Cmd: &remoting.Command{Code: remoting.ReqSendMessage, Opaque: 77}}
	for _, st := range []store.PutStatus{store.PutOK, store.OSPageCacheBusy, store.FlushDiskTimeout} {
		resp := b.sendResponse(req, store.PutResult{Status: st})
		want := remoting.NewResponse(req.Cmd, resp.Code, resp.Remark)
		want.ExtFields = map[string]string{propMsgRegion: regionDefault, propTraceSwitch: "true"}
		if stored(st) {
			resp.ExtList = append(resp.ExtList,
				remoting.Field{Key: "msgId", Value: "C0A8000100002A9F0000000000000064"},
				remoting.Field{Key: "queueId", Value: "3"},
				remoting.Field{Key: "queueOffset", Value: "12"})
			want.ExtFields["msgId"], want.ExtFields["queueId"], want.ExtFields["queueOffset"] = "C0A8000100002A9F0000000000000064", "3", "12"
		}
		if got, w := remoting.Encode(resp), remoting.Encode(want); !bytes.Equal(got, w) {
			t.Errorf("%v:\n got %q\nwant %q", st, got, w)
		}
	}
}
