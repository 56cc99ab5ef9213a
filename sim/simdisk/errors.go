package simdisk

import (
	"errors"
	"io/fs"

	"rocketsim/runtime"
)

// Errors beyond the runtime's sentinels, for conditions POSIX names.
var (
	ErrIsDir    = errors.New("is a directory")
	ErrNotDir   = errors.New("not a directory")
	ErrNotEmpty = errors.New("directory not empty")
	ErrReadOnly = errors.New("file opened read-only")
	ErrInvalid  = errors.New("invalid argument")
)

// twin is one condition known by two sentinels: the runtime's, which core
// code tests for, and io/fs's, which the real runtime's errors carry too
// (os.ErrClosed is fs.ErrClosed). Matching both keeps code that runs on
// either runtime on the same error paths.
type twin struct{ rt, std error }

func (e twin) Error() string   { return e.rt.Error() }
func (e twin) Unwrap() []error { return []error{e.rt, e.std} }

var (
	errNotExist = twin{runtime.ErrNotExist, fs.ErrNotExist}
	errExist    = twin{runtime.ErrExist, fs.ErrExist}
	errClosed   = twin{runtime.ErrClosed, fs.ErrClosed}
)
