// Package jsonfile persists the broker's small JSON tables (topics.json,
// subscriptionGroup.json, consumerOffset.json, delayOffset.json) the way
// RocketMQ's ConfigManager lays them out, a current file and a .bak of the
// previous version, but crash-safe on any disk: the new content is written
// to a temporary file and synced before it replaces the old one by rename.
package jsonfile

import (
	"errors"
	"fmt"
	"io"
	"path"

	"rocketsim/runtime"
)

// MaxSize bounds a table file. Ten thousand topics take about 2.5 MB; a
// larger file is corrupt or not ours, and reading it whole would be a memory
// hazard.
const MaxSize = 64 << 20

// Suffixes of the companion files.
const (
	TmpSuffix = ".tmp"
	BakSuffix = ".bak"
)

// Write replaces the file at name with data so that a crash or power loss
// at any point leaves either the old or the new content readable by Read:
//
//  1. data goes to name.tmp, which is synced (the bytes are on the media
//     before any name points at them);
//  2. name, if present, is renamed to name.bak (RocketMQ's backup of the
//     previous version);
//  3. name.tmp is renamed to name;
//  4. the directory is synced, making both renames durable.
//
// A failure leaves the previous content in name or name.bak.
func Write(fs runtime.FS, name string, data []byte) error {
	if len(data) > MaxSize {
		return fmt.Errorf("write %s: %d bytes exceeds the %d-byte bound", name, len(data), MaxSize)
	}
	dir := path.Dir(name)
	if err := ensureDir(fs, dir); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := name + TmpSuffix
	if err := writeSynced(fs, tmp, data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := fs.Stat(name); err == nil {
		if err := fs.Rename(name, name+BakSuffix); err != nil {
			return fmt.Errorf("write %s: keep backup: %w", name, err)
		}
	} else if !errors.Is(err, runtime.ErrNotExist) {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := fs.Rename(tmp, name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := fs.SyncDir(dir); err != nil {
		return fmt.Errorf("write %s: sync dir: %w", name, err)
	}
	return nil
}

// ensureDir creates dir if needed and then syncs every parent, so the new
// directories themselves survive a power loss, not only their contents.
func ensureDir(fs runtime.FS, dir string) error {
	if _, err := fs.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	if err := fs.MkdirAll(dir); err != nil {
		return err
	}
	for d := dir; ; {
		parent := path.Dir(d)
		if err := fs.SyncDir(parent); err != nil {
			return fmt.Errorf("sync dir %s: %w", parent, err)
		}
		if parent == d || parent == "." || parent == "/" {
			return nil
		}
		d = parent
	}
}

func writeSynced(fs runtime.FS, name string, data []byte) (err error) {
	f, err := fs.Open(name, runtime.ReadWrite|runtime.Create)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	// A leftover from an interrupted write may be longer than data.
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Sync()
}

// Read returns the content of name, or of name.bak when name is missing,
// empty or refused by valid (nil accepts anything non-empty). from is the
// file actually read. When neither holds a valid table the error wraps
// runtime.ErrNotExist if both are missing (a first start), and otherwise
// says what is wrong with each: a broker must not silently start with an
// empty topic table because its file is corrupt.
func Read(fs runtime.FS, name string, valid func([]byte) error) (data []byte, from string, err error) {
	var errs []error
	missing := 0
	for _, candidate := range []string{name, name + BakSuffix} {
		b, err := readAll(fs, candidate)
		switch {
		case errors.Is(err, runtime.ErrNotExist):
			missing++
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", candidate, err))
			continue
		case len(b) == 0:
			errs = append(errs, fmt.Errorf("%s: empty", candidate))
			continue
		}
		if valid != nil {
			if err := valid(b); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", candidate, err))
				continue
			}
		}
		return b, candidate, nil
	}
	if missing == 2 {
		return nil, "", fmt.Errorf("read %s: %w", name, runtime.ErrNotExist)
	}
	return nil, "", fmt.Errorf("read %s: no valid copy: %w", name, errors.Join(errs...))
}

func readAll(fs runtime.FS, name string) ([]byte, error) {
	f, err := fs.Open(name, runtime.ReadOnly)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	if size > MaxSize {
		return nil, fmt.Errorf("%d bytes exceeds the %d-byte bound", size, MaxSize)
	}
	b := make([]byte, size)
	n, err := f.ReadAt(b, 0)
	if err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return nil, err
	}
	return b[:n], nil
}
