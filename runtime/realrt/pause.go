package realrt

// Pause and resume (faults.Pause, faults.Resume through ApplyFault): the
// in-process stand-in for SIGSTOP and SIGCONT, for nodes that run inside
// another program (the multi-process runner's clients). A paused node
// runs nothing: the loop sits in one event until Resume, so its timers,
// frames and fsync callbacks queue behind it and run, late, afterwards,
// as a stopped process's would. Its clock goes on. The connection
// readers go on reading up to Options.RecvQueueMax per connection (64 MiB
// by default) and stop there; past that the kernel's buffers fill and
// TCP pushes back on the peers, as for a stopped process, only later.

// pauseLoop makes the loop stop after the events queued now; a second
// Pause is a no-op.
func (r *Runtime) pauseLoop() {
	r.pauseMu.Lock()
	defer r.pauseMu.Unlock()
	if r.resume != nil {
		return
	}
	ch := make(chan struct{})
	if !r.post(func() { <-ch }) {
		return // stopping: nothing left to pause
	}
	r.resume = ch
}

// resumeLoop lets a paused loop go on; without a pause it does nothing.
// Stop and Kill call it so that they never wait on a paused loop.
func (r *Runtime) resumeLoop() {
	r.pauseMu.Lock()
	defer r.pauseMu.Unlock()
	if r.resume != nil {
		close(r.resume)
		r.resume = nil
	}
}

// Paused reports whether the node is paused (faults.Pause without its
// Resume yet).
func (r *Runtime) Paused() bool {
	r.pauseMu.Lock()
	defer r.pauseMu.Unlock()
	return r.resume != nil
}
