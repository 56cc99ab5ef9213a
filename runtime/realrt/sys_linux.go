//go:build linux

package realrt

import (
	"os"
	"syscall"

	"rocketsim/runtime"
)

// datasync flushes f's data, and the metadata needed to read it back (its
// size), to the device. fdatasync skips timestamps, which saves a journal
// write per commit-log sync.
func datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

// volumeUsage reports the volume's total size and the space available to
// an unprivileged writer (what the broker can actually use).
func volumeUsage(path string) (runtime.Usage, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return runtime.Usage{}, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	bsize := uint64(st.Bsize)
	return runtime.Usage{Total: st.Blocks * bsize, Free: st.Bavail * bsize}, nil
}
