package mq

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"rocketsim/sim/scenario"
)

// TestScenarioFilesLoad keeps this workload's scenario files valid under
// the CLI's strict loader: the one in the library, and the SYNC_FLUSH ones
// held in testdata until the store stops exposing records that a crash can
// take back (see TestSyncFlushCrashKeepsAcknowledged).
func TestScenarioFilesLoad(t *testing.T) {
	files := []string{filepath.Join("..", "..", "scenarios", "mq-powerloss-async-flush.yaml")}
	held, err := filepath.Glob(filepath.Join("testdata", "mq-*.yaml"))
	require.NoError(t, err)
	require.Len(t, held, 2)
	for _, f := range append(files, held...) {
		s, err := scenario.Load(f)
		require.NoError(t, err, f)
		require.Equal(t, "mq", s.Workload.Kind, f)
		require.NotEmpty(t, s.NodesWithRole("broker"), f)
	}
}
