package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/filter"
)

func sub(topic, expr, typ string, version int64) filter.SubscriptionData {
	return filter.SubscriptionData{Topic: topic, SubString: expr, ExpressionType: typ, SubVersion: version}
}

func consumer(group string, subs ...filter.SubscriptionData) ConsumerData {
	return ConsumerData{GroupName: group, ConsumeType: "CONSUME_PASSIVELY", MessageModel: Clustering,
		ConsumeFromWhere: "CONSUME_FROM_LAST_OFFSET", SubscriptionDataSet: subs}
}

func TestRegisterConsumerReportsMembershipAndSubscriptionChanges(t *testing.T) {
	tb := New(true)
	ch := func(conn uint64, id string, at time.Duration) Channel {
		return Channel{ConnID: conn, ClientID: id, LastUpdate: at}
	}
	require.True(t, tb.RegisterConsumer(consumer("g", sub("T", "*", "TAG", 1)), ch(1, "c1", 0)), "new member")
	require.False(t, tb.RegisterConsumer(consumer("g", sub("T", "*", "TAG", 1)), ch(1, "c1", time.Second)), "same heartbeat again")
	require.True(t, tb.RegisterConsumer(consumer("g", sub("T", "*", "TAG", 1)), ch(2, "c2", time.Second)), "second member")
	g, ok := tb.Consumer("g")
	require.True(t, ok)
	require.Equal(t, []string{"c1", "c2"}, g.ClientIDs())

	// A newer version of a subscription replaces it without a membership
	// change; an older one is ignored.
	require.False(t, tb.RegisterConsumer(consumer("g", sub("T", "a || b", "TAG", 5)), ch(1, "c1", 2*time.Second)))
	s, _ := g.Subscription("T")
	require.Equal(t, "a || b", s.Data.SubString)
	require.False(t, tb.RegisterConsumer(consumer("g", sub("T", "*", "TAG", 3)), ch(1, "c1", 2*time.Second)))
	s, _ = g.Subscription("T")
	require.Equal(t, "a || b", s.Data.SubString)
	require.True(t, s.Filter.MatchMessage("a", nil))
	require.False(t, s.Filter.MatchMessage("c", nil))

	// Adding and dropping a topic are changes.
	require.True(t, tb.RegisterConsumer(consumer("g", sub("T", "a || b", "TAG", 5), sub("U", "*", "TAG", 1)), ch(1, "c1", 3*time.Second)))
	require.True(t, tb.RegisterConsumer(consumer("g", sub("U", "*", "TAG", 1)), ch(1, "c1", 3*time.Second)))
	require.Equal(t, []string{"U"}, g.Topics())

	// A bad SQL92 expression is kept with its error, for pulls to report.
	require.True(t, tb.RegisterConsumer(consumer("h", sub("T", "a >", "SQL92", 1)), ch(1, "c1", 0)))
	h, _ := tb.Consumer("h")
	s, _ = h.Subscription("T")
	require.Error(t, s.Err)
	require.Nil(t, s.Filter)
	tbNoSQL := New(false)
	tbNoSQL.RegisterConsumer(consumer("h", sub("T", "a > 1", "SQL92", 1)), ch(1, "c1", 0))
	h, _ = tbNoSQL.Consumer("h")
	s, _ = h.Subscription("T")
	require.ErrorIs(t, s.Err, filter.ErrUnsupportedType, "SQL92 needs enablePropertyFilter")
}

func TestConnClosedAndExpiry(t *testing.T) {
	tb := New(false)
	tb.RegisterConsumer(consumer("g", sub("T", "*", "TAG", 1)), Channel{ConnID: 1, ClientID: "c1", LastUpdate: 0})
	tb.RegisterConsumer(consumer("g2", sub("T", "*", "TAG", 1)), Channel{ConnID: 1, ClientID: "c1", LastUpdate: 0})
	tb.RegisterConsumer(consumer("g", sub("T", "*", "TAG", 1)), Channel{ConnID: 2, ClientID: "c2", LastUpdate: 50 * time.Second})
	tb.RegisterProducer("pg", Channel{ConnID: 3, ClientID: "p1", LastUpdate: 10 * time.Second})
	require.Equal(t, []uint64{1, 3}, tb.Expired(135*time.Second, 120*time.Second))
	require.Empty(t, tb.Expired(120*time.Second, 120*time.Second))

	require.Equal(t, []string{"g", "g2"}, tb.ConnClosed(1), "groups that lost a member")
	_, ok := tb.Consumer("g2")
	require.False(t, ok, "a group without members is gone")
	g, _ := tb.Consumer("g")
	require.Equal(t, []string{"c2"}, g.ClientIDs())
	require.Len(t, tb.Producers("pg"), 1)
	require.Empty(t, tb.ConnClosed(3))
	require.Empty(t, tb.ProducerGroups())
	require.Equal(t, []uint64{2}, tb.Expired(200*time.Second, 120*time.Second))
}

func TestDecodeHeartbeatFromGoClient(t *testing.T) {
	// Exactly what rocketmq-client-go sends (codeSet as strings, ns subVersion).
	body := `{"clientID":"10.0.0.1@1234#99","producerDataSet":[{"groupName":"pg"}],"consumerDataSet":[{"groupName":"cg",` +
		`"consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",` +
		`"subscriptionDataSet":[{"classFilterMode":false,"topic":"T","subString":"a || b","tagsSet":["a","b"],` +
		`"codeSet":["97","98"],"subVersion":1700000000000000000,"expressionType":"TAG"}],"unitMode":false}]}`
	hb, err := DecodeHeartbeat([]byte(body))
	require.NoError(t, err)
	require.Equal(t, "10.0.0.1@1234#99", hb.ClientID)
	require.Equal(t, int64(1700000000000000000), hb.ConsumerDataSet[0].SubscriptionDataSet[0].SubVersion)
	require.Equal(t, filter.CodeSet{97, 98}, hb.ConsumerDataSet[0].SubscriptionDataSet[0].CodeSet)
	_, err = DecodeHeartbeat([]byte(`{"producerDataSet":[]}`))
	require.Error(t, err, "a heartbeat names its client")
	_, err = DecodeHeartbeat([]byte(`{`))
	require.Error(t, err)
}
