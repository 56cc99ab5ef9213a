package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's CPU
// times; 100 on every Linux this project runs on.
const clockTicks = 100

// processCPU is the user+system CPU time process pid has used, from
// /proc (Linux only; an error elsewhere).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu of %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces; the fields we want
	// follow its closing parenthesis: utime and stime are fields 14 and 15.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("cpu of %d: malformed stat %q", pid, s)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("cpu of %d: short stat %q", pid, s)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cpu of %d: stat fields %q %q", pid, f[11], f[12])
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// selfCPU is this process's user+system CPU time: the clients'.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// meter reads the CPU used so far by a side's server and by the clients.
type meter struct{ serverPID int }

// cpuSample is a meter reading.
type cpuSample struct{ server, client time.Duration }

func (m meter) read() cpuSample {
	var s cpuSample
	if m.serverPID > 0 {
		s.server, _ = processCPU(m.serverPID) // a missing /proc leaves 0: the column shows "-"
	}
	s.client = selfCPU()
	return s
}

// since is the CPU used from before to now.
func (m meter) since(before cpuSample) cpuSample {
	now := m.read()
	return cpuSample{server: now.server - before.server, client: now.client - before.client}
}
