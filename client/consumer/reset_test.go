package consumer

import (
	"testing"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
)

func TestParseResetBodyBothForms(t *testing.T) {
	fast := []byte(`{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:-1}}`)
	gson := []byte(`{"offsetTable":[[{"topic":"T","brokerName":"b","queueId":0},5],[{"topic":"T","brokerName":"b","queueId":1},-1]]}`)
	want := map[client.Queue]int64{
		{Topic: "T", BrokerName: "b", QueueID: 0}: 5,
		{Topic: "T", BrokerName: "b", QueueID: 1}: -1,
	}
	require.Equal(t, want, parseResetBody(fast))
	require.Equal(t, want, parseResetBody(gson))
	require.Empty(t, parseResetBody([]byte(`garbage {"x":1}:`)))
}
