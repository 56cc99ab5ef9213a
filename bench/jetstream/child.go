package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// child is a server process started by startChild.
type child struct {
	role  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
	log   string
	done  chan error
}

// childStopMax bounds a graceful stop (store flush, checkpoint) before
// the child is killed.
const childStopMax = 30 * time.Second

// startChild re-executes this binary as the server role with data under
// dir and waits for its address. durable selects the synced setting;
// profile, if not empty, is where the child writes a CPU profile.
func startChild(role, dir string, durable bool, profile string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("own executable: %w", err)
	}
	data := filepath.Join(dir, role)
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	logPath := filepath.Join(dir, role+".stderr")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("child log: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor
	sync := "0"
	if durable {
		sync = "1"
	}
	cmd := exec.Command(exe) // the role is in the environment; a child parses no flags
	cmd.Env = append(os.Environ(), roleEnv+"="+role, dirEnv+"="+data, syncEnv+"="+sync, profileEnv+"="+profile)
	cmd.Stderr = logFile
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	c := &child{role: role, cmd: cmd, stdin: stdin, log: logPath, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, readyPrefix) {
				ready <- strings.TrimPrefix(line, readyPrefix)
			}
		}
		close(ready)
	}()
	go func() { c.done <- cmd.Wait() }()
	select {
	case addr, ok := <-ready:
		if ok {
			c.addr = addr
			return c, nil
		}
	case <-time.After(serverStartMax):
	}
	_ = cmd.Process.Kill()
	<-c.done
	return nil, fmt.Errorf("%s did not start; its log %s ends:\n%s", role, logPath, tail(logPath))
}

// stop closes the child's stdin (its signal to stop gracefully) and waits.
func (c *child) stop() error {
	_ = c.stdin.Close()
	select {
	case err := <-c.done:
		if err != nil {
			return fmt.Errorf("%s exited: %w; log %s ends:\n%s", c.role, err, c.log, tail(c.log))
		}
		return nil
	case <-time.After(childStopMax):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within %v: killed", c.role, childStopMax)
	}
}

// tailBytes bounds the log excerpt an error quotes.
const tailBytes = 2000

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
	}
	return string(b)
}
