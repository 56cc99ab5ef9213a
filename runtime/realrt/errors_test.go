package realrt

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"rocketsim/runtime"
)

func TestFSErrorMapping(t *testing.T) {
	pe := func(errno syscall.Errno) error { return &os.PathError{Op: "write", Path: "/x", Err: errno} }
	cases := []struct {
		in   error
		want error
	}{
		{pe(syscall.ENOENT), runtime.ErrNotExist},
		{pe(syscall.EEXIST), runtime.ErrExist},
		{pe(syscall.ENOSPC), runtime.ErrNoSpace},
		{pe(syscall.EDQUOT), runtime.ErrNoSpace},
		{pe(syscall.EIO), runtime.ErrIO},
	}
	for _, tc := range cases {
		got := fsError("write", "x", tc.in)
		if !errors.Is(got, tc.want) || !errors.Is(got, tc.in.(*os.PathError).Err) {
			t.Errorf("fsError(%v) = %v, want it to wrap %v and the errno", tc.in, got, tc.want)
		}
	}
	if fsError("write", "x", nil) != nil {
		t.Error("fsError(nil) != nil")
	}
	other := fsError("write", "x", pe(syscall.EACCES))
	for _, s := range []error{runtime.ErrNotExist, runtime.ErrExist, runtime.ErrNoSpace, runtime.ErrIO} {
		if errors.Is(other, s) {
			t.Errorf("EACCES mapped to %v", s)
		}
	}
	if !errors.Is(other, fs.ErrPermission) {
		t.Errorf("EACCES lost from the chain: %v", other)
	}
}

func TestSyncErrorMapping(t *testing.T) {
	if err := syncError("sync", "x", syscall.EINVAL); !errors.Is(err, runtime.ErrIO) {
		t.Errorf("fsync EINVAL = %v, want ErrIO (durability unknown)", err)
	}
	if err := syncError("sync", "x", syscall.ENOSPC); !errors.Is(err, runtime.ErrNoSpace) {
		t.Errorf("fsync ENOSPC = %v, want ErrNoSpace", err)
	}
	if syncError("sync", "x", nil) != nil {
		t.Error("syncError(nil) != nil")
	}
}

func TestConnErrorMapping(t *testing.T) {
	c := &conn{id: 1, remote: "peer"}
	cases := []struct {
		name string
		got  error
		want error
	}{
		{"eof", readError(c, io.EOF), runtime.ErrClosed},
		{"truncated", readError(c, io.ErrUnexpectedEOF), runtime.ErrReset},
		{"reset", readError(c, syscall.ECONNRESET), runtime.ErrReset},
		{"keepalive", readError(c, syscall.ETIMEDOUT), runtime.ErrTimeout},
		{"deadline", writeError(c, os.ErrDeadlineExceeded), runtime.ErrTimeout},
		{"pipe", writeError(c, syscall.EPIPE), runtime.ErrReset},
	}
	for _, tc := range cases {
		if !errors.Is(tc.got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}

	expired, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-expired.Done()
	if err := dialError(expired, "a:1", context.DeadlineExceeded); !errors.Is(err, runtime.ErrTimeout) {
		t.Errorf("dial past deadline = %v, want ErrTimeout", err)
	}
	if err := dialError(context.Background(), "a:1", syscall.ECONNREFUSED); !errors.Is(err, runtime.ErrRefused) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial refused = %v, want ErrRefused wrapping ECONNREFUSED", err)
	}
	if err := dialError(context.Background(), "a:1", syscall.EHOSTUNREACH); !errors.Is(err, runtime.ErrRefused) {
		t.Errorf("dial unreachable = %v, want ErrRefused", err)
	}
}
