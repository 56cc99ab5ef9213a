package realrt

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"rocketsim/faults"
)

// controlLineMax bounds one control request; a fault in flow form is a few
// dozen bytes.
const controlLineMax = 4 << 10

// ServeControl is the failpoint control plane of a real process, for the
// multi-process runner's nemesis (and for a person with nc). Each line a
// client sends is one fault in flow form, as faults.Parse reads it:
//
//	{kind: fsync-fail, nodes: [broker-a], prob: 0.3}
//	{kind: clock-jump, by: -30s}
//
// and is answered with one line, "ok" or "error: <why>". Blank lines and
// lines starting with # are ignored. ServeControl returns nil once ln is
// closed, after closing its connections; it runs on the caller's goroutine
// and is independent of Start and Stop. Main packages expose it behind a
// flag, on loopback or a unix socket only: it is a fault injector.
func (r *Runtime) ServeControl(ln net.Listener) error {
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		wg    sync.WaitGroup
	)
	defer func() {
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("realrt: control accept: %w", err)
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.serveControlConn(c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			_ = c.Close()
		}()
	}
}

// serveControlConn answers one control connection until it closes.
func (r *Runtime) serveControlConn(c net.Conn) {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 256), controlLineMax)
	w := bufio.NewWriter(c)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		reply := "ok"
		f, err := faults.Parse(line)
		if err == nil {
			err = r.ApplyFault(f)
		}
		if err != nil {
			reply = "error: " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
		if _, err := w.WriteString(reply + "\n"); err != nil {
			return
		}
		if err := w.Flush(); err != nil {
			return
		}
	}
	if err := sc.Err(); err != nil {
		// A line over the bound: say so, then drop the connection.
		_, _ = w.WriteString("error: " + err.Error() + "\n")
		_ = w.Flush()
	}
}

// ListenControl listens on addr (host:port) for ServeControl, and refuses
// an address that is not loopback: the control socket injects faults, so
// nothing but the same machine may reach it. "localhost" is taken as
// 127.0.0.1.
func ListenControl(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("control socket %q: %w", addr, err)
	}
	if host == "localhost" {
		addr = net.JoinHostPort("127.0.0.1", addr[strings.LastIndexByte(addr, ':')+1:])
	} else if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("control socket %q: not a loopback address; it injects faults, bind it to 127.0.0.1 or ::1", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}
