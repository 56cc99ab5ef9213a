package mq_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"rocketsim/sim/scenario"
)

// TestScenarioFilesLoad keeps this workload's scenario files valid under
// the CLI's strict loader. The SYNC_FLUSH ones wait in testdata until the
// store stops exposing records a crash can take back (see
// TestSyncFlushCrashKeepsAcknowledged); moving them to scenarios/ keeps
// this test passing.
func TestScenarioFilesLoad(t *testing.T) {
	for _, name := range []string{"mq-powerloss-async-flush.yaml", "mq-powerloss-sync-flush.yaml", "mq-crash-sync-flush.yaml"} {
		var found []string
		for _, dir := range []string{filepath.Join("..", "..", "scenarios"), "testdata"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				found = append(found, filepath.Join(dir, name))
			}
		}
		require.Len(t, found, 1, "%s: want it in scenarios/ or sim/mq/testdata/, once", name)
		s, err := scenario.Load(found[0])
		require.NoError(t, err, found[0])
		require.Equal(t, "mq", s.Workload.Kind, found[0])
		require.NotEmpty(t, s.NodesWithRole("broker"), found[0])
	}
}
