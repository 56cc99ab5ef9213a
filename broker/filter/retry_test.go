package filter

import "testing"

func TestMatchRetry(t *testing.T) {
	sql, err := Compile(SubscriptionData{Topic: "orders", SubString: "amount > 100", ExpressionType: TypeSQL92}, true)
	if err != nil {
		t.Fatal(err)
	}
	tags, _ := Compile(SubscriptionData{Topic: "audit", SubString: "TagA"}, false)
	lookup := func(topic string) *Filter {
		switch topic {
		case "orders":
			return sql
		case "audit":
			return tags
		}
		return nil
	}
	tests := []struct {
		props map[string]string
		want  bool
	}{
		{map[string]string{PropertyRetryTopic: "orders", "amount": "150"}, true},
		{map[string]string{PropertyRetryTopic: "orders", "amount": "50"}, false},
		{map[string]string{PropertyRetryTopic: "orders"}, false},
		{map[string]string{PropertyRetryTopic: "audit", "TAGS": "TagB"}, true},
		{map[string]string{PropertyRetryTopic: "other", "amount": "1"}, true},
		{map[string]string{"amount": "1"}, true},
	}
	for _, tt := range tests {
		if got := MatchRetry(tt.props, lookup); got != tt.want {
			t.Errorf("MatchRetry(%v) = %v, want %v", tt.props, got, tt.want)
		}
	}
}
