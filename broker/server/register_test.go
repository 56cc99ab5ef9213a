package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/remoting"
	"rocketsim/sim/simnet"
)

// TestTopicCreatedDuringRegistrationIsRegisteredPromptly: a topic created
// while the broker's previous registration is still awaiting the name
// server's answer reaches the name server as soon as that answer is in, not
// at the next 30 s period. (The registrar keeps one registration in flight
// per name server and skips a RegisterNow that finds one; the official
// client tests, which create topics back to back on a loaded machine, saw
// the second topic unrouted for 30 s.)
func TestTopicCreatedDuringRegistrationIsRegisteredPromptly(t *testing.T) {
	e := newEnv(t, 41, nil)
	e.w.RunFor(2 * time.Second) // the start-up registration is answered
	// The name server's answers take 1 s to reach the broker, so a
	// registration stays in flight that long after the name server
	// applied it.
	require.NoError(t, e.w.Net().SetLinkOneWay("namesrv", "broker-a", simnet.LinkConfig{Min: time.Second, Max: time.Second}))
	create := func(topic string) {
		r := e.invoke(remoting.ReqUpdateAndCreateTopic, map[string]string{"topic": topic, "readQueueNums": "2",
			"writeQueueNums": "2", "perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"}, nil)
		require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	}
	create("First")
	create("Second") // answered well within the second the first registration's answer takes
	routed := func(topic string) bool {
		return e.invokeNS(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": topic}).Code == remoting.RespSuccess
	}
	deadline := e.w.Now() + 5*time.Second
	for !(routed("First") && routed("Second")) {
		require.Less(t, e.w.Now(), deadline, "both topics routed within 5 s (the registration period is 30 s)")
		e.w.RunFor(100 * time.Millisecond)
	}
}
