package mq

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
)

// TestWriteOutRoundTrips: the written history reads back to the same
// events, and judging the file gives the run's verdict.
func TestWriteOutRoundTrips(t *testing.T) {
	s := shortSpec()
	s.Duration = 3 * time.Second
	res, err := Run(5, s, Options{})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "out")
	require.NoError(t, res.WriteOut(dir))

	f, err := os.Open(filepath.Join(dir, HistoryFile))
	require.NoError(t, err)
	defer f.Close()
	ops, err := history.Read(f, HistoryFile)
	require.NoError(t, err)
	require.Equal(t, historyBytes(t, res.Ops), historyBytes(t, ops))

	again, err := check.RunFile(filepath.Join(dir, HistoryFile), check.Config{Delivery: check.DeliveryOptions{Groups: []string{s.Group, VerifyGroup}}})
	require.NoError(t, err)
	require.Equal(t, res.Report.Verdict, again.Verdict)
	_, err = os.Stat(filepath.Join(dir, check.VerdictFile))
	require.NoError(t, err)

	lines := res.Lines()
	require.Equal(t, "verdict: PASS", lines[len(lines)-1])
	require.Equal(t, "trace-hash: "+res.TraceHash, lines[len(lines)-2])
}
