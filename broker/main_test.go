package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadConfigShippedExample(t *testing.T) {
	cfg, warnings, err := loadConfig("testdata/broker.conf", "")
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, "broker-a", cfg.BrokerName)
	require.Equal(t, []string{"127.0.0.1:9876"}, cfg.NamesrvAddr)
	require.Equal(t, "127.0.0.1:10911", cfg.ClientAddr())
}

func TestLoadConfigOverridesAndProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	// -n wins over the file; an unknown key is a warning naming file:line.
	cfg, warnings, err := loadConfig(write("a.conf", "brokerName=b1\nnamesrvAddr=1.1.1.1:9876\nlistenPot=1\n"),
		"10.0.0.1:9876;10.0.0.2:9876")
	require.NoError(t, err)
	require.Equal(t, []string{"10.0.0.1:9876", "10.0.0.2:9876"}, cfg.NamesrvAddr)
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0], "a.conf:3")
	require.Contains(t, warnings[0], "listenPot")
	// A bad value is an error naming the key.
	_, _, err = loadConfig(write("b.conf", "brokerName=b1\nflushDiskType=SOMETIMES\n"), "")
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "flushDiskType") && strings.Contains(err.Error(), "b.conf:2"), err.Error())
	// A missing file is an error too.
	_, _, err = loadConfig(filepath.Join(dir, "missing.conf"), "")
	require.Error(t, err)
}
