package filter

import "testing"

// The pull path runs these per message; keep an eye on their cost.

func BenchmarkMatchTagsCode(b *testing.B) {
	f, _ := Compile(SubscriptionData{SubString: "TagA || TagB || TagC"}, false)
	code := TagsHash("TagB")
	for b.Loop() {
		if !f.MatchTagsCode(code) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchPropertiesTag(b *testing.B) {
	f, _ := Compile(SubscriptionData{SubString: "TagA || TagB"}, false)
	props := "KEYS\x01order-1\x02UNIQ_KEY\x01AC1100010001\x02TAGS\x01TagB\x02WAIT\x01true\x02"
	for b.Loop() {
		if !f.MatchProperties(props) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchPropertiesSQL92(b *testing.B) {
	f, _ := Compile(SubscriptionData{SubString: "region IN ('eu', 'us') AND amount BETWEEN 10 AND 1000", ExpressionType: TypeSQL92}, true)
	props := "KEYS\x01order-1\x02region\x01eu\x02amount\x01250\x02TAGS\x01TagB\x02"
	for b.Loop() {
		if !f.MatchProperties(props) {
			b.Fatal("no match")
		}
	}
}
