package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rocketsim/namesrv/server"
)

func TestExampleConfigIsTheDefaults(t *testing.T) {
	cfg, err := loadConfig("namesrv.properties")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != server.DefaultConfig() {
		t.Fatalf("example config %+v differs from the defaults %+v", cfg, server.DefaultConfig())
	}
}

func TestConfigErrorsNameFileLineAndKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ns.properties")
	os.WriteFile(p, []byte("listenPort=10000\n# comment\nlistenPortt=1\nbrokerChannelExpiredTime=soon\n"), 0o644)
	_, err := loadConfig(p)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	msg := err.Error()
	for _, want := range []string{p + ":3: unknown key listenPortt", p + ":4: key brokerChannelExpiredTime"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	os.WriteFile(p, []byte("scanNotActiveBrokerInterval=0\n"), 0o644)
	if _, err := loadConfig(p); err == nil || !strings.Contains(err.Error(), "scanNotActiveBrokerInterval") {
		t.Fatalf("invalid value: %v", err)
	}
	os.WriteFile(p, []byte("scanNotActiveBrokerInterval=5s\nlistenPort=1234\n"), 0o644)
	cfg, err := loadConfig(p)
	if err != nil || cfg.ScanNotActiveBrokerInterval != 5*time.Second || cfg.ListenPort != 1234 {
		t.Fatalf("cfg %+v err %v", cfg, err)
	}
}

func TestRunPrintsConfigAndRejectsBadFlags(t *testing.T) {
	if code := run([]string{"-p"}); code != 0 {
		t.Fatalf("-p exit %d", code)
	}
	if code := run([]string{"-c", "/nonexistent/ns.properties"}); code != 2 {
		t.Fatalf("missing file exit %d", code)
	}
	if code := run([]string{"-bogus"}); code != 2 {
		t.Fatalf("bad flag exit %d", code)
	}
}
