//go:build !linux

package realrt

import (
	"errors"
	"os"

	"rocketsim/runtime"
)

// datasync falls back to fsync where fdatasync is not available.
func datasync(f *os.File) error { return f.Sync() }

// volumeUsage is only implemented on Linux, the deployment target.
func volumeUsage(path string) (runtime.Usage, error) {
	return runtime.Usage{}, &os.PathError{Op: "statfs", Path: path, Err: errors.ErrUnsupported}
}
