package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUsageAndRefusals(t *testing.T) {
	var out, errs strings.Builder
	require.Equal(t, 2, realMain(nil, &out, &errs))
	require.Contains(t, errs.String(), "usage: procrun")

	// A scenario the simulator runs but processes cannot: refused before
	// anything is built or started, naming the fault.
	errs.Reset()
	require.Equal(t, 2, realMain([]string{"../../../../scenarios/mq-powerloss-sync-flush.yaml"}, &out, &errs))
	require.Contains(t, errs.String(), "power")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: x\nduraton: 5s\n"), 0o644))
	errs.Reset()
	require.Equal(t, 2, realMain([]string{bad}, &out, &errs))
	require.Contains(t, errs.String(), "duraton")

	// --plain runs the servers without control sockets: disk and clock
	// faults are refused up front.
	errs.Reset()
	require.Equal(t, 2, realMain([]string{"--plain", "../../../../scenarios/proc-fsync-fail.yaml"}, &out, &errs))
	require.Contains(t, errs.String(), "control socket")
	require.Contains(t, errs.String(), "--plain")
	require.Empty(t, out.String(), "nothing ran")
}
