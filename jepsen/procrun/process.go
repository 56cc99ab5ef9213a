package procrun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Bounds on a process's life.
const (
	// BootTimeout bounds how long a process may take from exec to its boot
	// line and an accepted connection; generous, since the machine is
	// shared and a broker recovering a commit log takes a while.
	BootTimeout = 30 * time.Second
	// StopTimeout bounds a graceful stop (SIGTERM) before SIGKILL.
	StopTimeout = 10 * time.Second
	// controlTimeout bounds one control-socket request.
	controlTimeout = 5 * time.Second
	// bootLine is what both binaries print once they serve.
	bootLine = "boot success"
)

// ErrNotRunning is returned by signals sent to a process that is down.
var ErrNotRunning = errors.New("process not running")

// Process is one node as an OS process: a binary with fixed arguments,
// started again with the same ones (and so the same data dir and port)
// after a crash.
type Process struct {
	Name string
	// Addr is where the process serves (host:port), to know it is up.
	Addr string
	// ControlAddr is its failpoint control socket ("" when it has none).
	ControlAddr string
	// ExtraArgs, when set, adds arguments to each start (the nemesis's
	// -fault flags: the machine's failpoints from boot on).
	ExtraArgs func() []string

	bin  string
	args []string
	env  []string
	log  string // stdout and stderr of every incarnation, appended

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current incarnation's Wait returned
	paused bool
	starts int
}

// NewProcess describes a process; nothing runs until Start.
func NewProcess(name, addr, bin string, args, env []string, logPath string) *Process {
	return &Process{Name: name, Addr: addr, bin: bin, args: args, env: env, log: logPath}
}

// Running reports whether an incarnation is alive (paused counts).
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

func (p *Process) runningLocked() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Paused reports whether the process is stopped by SIGSTOP.
func (p *Process) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused && p.runningLocked()
}

// Starts counts the incarnations started so far.
func (p *Process) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// bootWatch is a writer that closes seen once the boot line went by.
type bootWatch struct {
	mu   sync.Mutex
	tail []byte
	seen chan struct{}
	done bool
}

func (w *bootWatch) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(b), nil
	}
	w.tail = append(w.tail, b...)
	if bytes.Contains(w.tail, []byte(bootLine)) {
		w.done = true
		close(w.seen)
		w.tail = nil
	} else if len(w.tail) > 4<<10 {
		w.tail = w.tail[len(w.tail)-len(bootLine):]
	}
	return len(b), nil
}

// Start execs a new incarnation and waits until it printed its boot line
// and accepts connections on Addr. A process that is running is an error.
func (p *Process) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.runningLocked() {
		p.mu.Unlock()
		return fmt.Errorf("start %s: already running", p.Name)
	}
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.mu.Unlock()
		return fmt.Errorf("start %s: log: %w", p.Name, err)
	}
	p.starts++
	fmt.Fprintf(logf, "=== procrun: incarnation %d of %s at %s\n", p.starts, p.Name, time.Now().Format(time.RFC3339Nano))
	watch := &bootWatch{seen: make(chan struct{})}
	args := p.args
	if p.ExtraArgs != nil {
		args = append(slices.Clone(args), p.ExtraArgs()...)
	}
	cmd := exec.Command(p.bin, args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout = io.MultiWriter(logf, watch)
	cmd.Stderr = logf
	// Its own process group, so a terminal's ^C reaches only the runner,
	// which stops its children itself; and killed with the runner, so a
	// runner that dies (a test binary's timeout) leaves no broker behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		logf.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.paused = cmd, exited, false
	p.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()

	deadline := time.NewTimer(BootTimeout)
	defer deadline.Stop()
	seen := watch.seen
	for {
		select {
		case <-exited:
			return fmt.Errorf("start %s: exited during boot (%v); see %s", p.Name, cmd.ProcessState, p.log)
		case <-deadline.C:
			_ = p.Kill()
			return fmt.Errorf("start %s: not serving on %s within %v; see %s", p.Name, p.Addr, BootTimeout, p.log)
		case <-ctx.Done():
			_ = p.Kill()
			return fmt.Errorf("start %s: %w", p.Name, ctx.Err())
		case <-seen:
			seen = nil
		case <-time.After(20 * time.Millisecond):
		}
		if seen == nil && dialable(p.Addr) {
			return nil
		}
	}
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// signal sends sig to the running incarnation.
func (p *Process) signal(sig syscall.Signal) (chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return nil, fmt.Errorf("%s: %w", p.Name, ErrNotRunning)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return nil, fmt.Errorf("%s: %v: %w", p.Name, sig, err)
	}
	switch sig {
	case syscall.SIGSTOP:
		p.paused = true
	case syscall.SIGCONT:
		p.paused = false
	}
	return p.exited, nil
}

// Kill sends SIGKILL and waits for the process to be gone: no handler runs,
// nothing is flushed; what the process wrote stays in the page cache.
func (p *Process) Kill() error {
	exited, err := p.signal(syscall.SIGKILL)
	if err != nil {
		return err
	}
	<-exited
	return nil
}

// Pause stops the process with SIGSTOP; its sockets stay open. A signal
// is delivered asynchronously, so Pause waits (at most stopWait) until the
// kernel reports the process stopped: a fault at t holds from t on.
func (p *Process) Pause() error {
	if _, err := p.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	p.mu.Lock()
	pid := p.cmd.Process.Pid
	p.mu.Unlock()
	deadline := time.Now().Add(stopWait)
	for time.Now().Before(deadline) {
		state, ok := procState(pid)
		if !ok || state == 'T' || state == 't' {
			return nil // stopped, or no /proc to ask
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("pause %s: not stopped within %v of SIGSTOP", p.Name, stopWait)
}

// stopWait bounds how long Pause waits for the kernel to stop a process.
const stopWait = time.Second

// procState is the state letter of /proc/pid/stat (R, S, T, ...); false
// when it cannot be read (not Linux, or the process is gone).
func procState(pid int) (byte, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// "pid (comm) S ...": the command may hold spaces and parentheses, so
	// the state follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, false
	}
	return b[i+2], true
}

// Resume continues a paused process with SIGCONT.
func (p *Process) Resume() error {
	_, err := p.signal(syscall.SIGCONT)
	return err
}

// Stop asks for a graceful shutdown (SIGTERM, after SIGCONT in case it is
// paused) and kills the process if it is not gone within StopTimeout.
// Stopping a process that is down is not an error.
func (p *Process) Stop() error {
	if !p.Running() {
		return nil
	}
	_, _ = p.signal(syscall.SIGCONT)
	exited, err := p.signal(syscall.SIGTERM)
	if err != nil {
		return nil // it died in between
	}
	select {
	case <-exited:
		return nil
	case <-time.After(StopTimeout):
		_ = p.Kill()
		return fmt.Errorf("stop %s: no graceful exit within %v, killed", p.Name, StopTimeout)
	}
}

// Control sends one fault line to the process's control socket and returns
// its answer as an error unless it is "ok".
func (p *Process) Control(line string) error {
	if p.ControlAddr == "" {
		return fmt.Errorf("%s: no failpoint control socket", p.Name)
	}
	if !p.Running() {
		return fmt.Errorf("control %s: %w", p.Name, ErrNotRunning)
	}
	c, err := net.DialTimeout("tcp", p.ControlAddr, controlTimeout)
	if err != nil {
		return fmt.Errorf("control %s: %w", p.Name, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(controlTimeout))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return fmt.Errorf("control %s: %w", p.Name, err)
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("control %s: no answer: %w", p.Name, err)
	}
	reply = strings.TrimSpace(reply)
	if reply != "ok" {
		return fmt.Errorf("control %s: %s", p.Name, reply)
	}
	return nil
}

// Build compiles the packages (e.g. "./namesrv") of the module at dir into
// outDir, one binary each, named after the package's last element, and
// returns their paths in order.
func Build(ctx context.Context, dir, outDir string, pkgs ...string) ([]string, error) {
	var out []string
	for _, pkg := range pkgs {
		bin := filepath.Join(outDir, filepath.Base(pkg))
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
		}
		out = append(out, bin)
	}
	return out, nil
}

// ModuleRoot finds the directory of the go.mod above dir.
func ModuleRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		d = parent
	}
}
