package mq

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// shortSpec is a small run that still crosses several flush intervals.
func shortSpec() Spec {
	s := DefaultSpec()
	s.Duration = 10 * time.Second
	s.Drain = 30 * time.Second
	return s
}

func TestRunWithoutFaultsDeliversEverything(t *testing.T) {
	res, err := Run(1, shortSpec(), Options{})
	require.NoError(t, err)
	t.Logf("%s; sim %v, %d events", res.Report.Summary(), res.SimTime, res.Events)
	require.Empty(t, res.Problems)
	require.Equal(t, "pass", string(res.Report.Verdict), res.Report.Explain(5))
	acked := res.Metric("delivery", "acknowledged")
	require.Greater(t, acked, 500.0, "two producers every 20 ms for 10 s")
	require.Equal(t, 0, res.Lost())
	// Both groups read every acknowledged message.
	require.Equal(t, acked, res.Metric("stats", "sends-ok"))
}

// TestCoreClientsWithoutFaults: the project's producer and push consumer
// cores, routed by the name server, deliver every acknowledged message.
func TestCoreClientsWithoutFaults(t *testing.T) {
	s := shortSpec()
	s.Clients = CoreClients
	res, err := Run(1, s, Options{})
	require.NoError(t, err)
	t.Logf("%s", res.Report.Summary())
	require.True(t, res.Passed(), "%v %s", res.Problems, res.Report.Explain(5))
	require.Greater(t, res.Metric("delivery", "acknowledged"), 500.0)
}
