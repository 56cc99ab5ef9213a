package jsonfile

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"

	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

func newDisk(opts simdisk.Options) *simdisk.Disk {
	return simdisk.New(opts, rand.New(rand.NewPCG(1, 2)))
}

func validJSON(b []byte) error {
	var v any
	return json.Unmarshal(b, &v)
}

func TestWriteReadKeepsBackup(t *testing.T) {
	d := newDisk(simdisk.Options{})
	fs := d.FS()
	const name = "store/config/topics.json"
	if _, _, err := Read(fs, name, validJSON); !errors.Is(err, runtime.ErrNotExist) {
		t.Fatalf("first read: %v", err)
	}
	for _, v := range []string{`{"v":1}`, `{"v":2}`, `{"v":3}`} {
		if err := Write(fs, name, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	b, from, err := Read(fs, name, validJSON)
	if err != nil || string(b) != `{"v":3}` || from != name {
		t.Fatalf("read %q from %s: %v", b, from, err)
	}
	bak, _ := readAll(fs, name+BakSuffix)
	if string(bak) != `{"v":2}` {
		t.Fatalf("backup %q", bak)
	}
	// A shorter table after a longer one: no stale tail.
	if err := Write(fs, name, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if b, _, _ := Read(fs, name, validJSON); string(b) != `{}` {
		t.Fatalf("read %q", b)
	}
}

func TestReadFallsBackToBackup(t *testing.T) {
	fs := newDisk(simdisk.Options{}).FS()
	const name = "c/t.json"
	_ = Write(fs, name, []byte(`{"v":1}`))
	_ = Write(fs, name, []byte(`{"v":2}`))
	// Corrupt the current file.
	f, _ := fs.Open(name, runtime.ReadWrite)
	_, _ = f.WriteAt([]byte("{{{{"), 0)
	_ = f.Close()
	b, from, err := Read(fs, name, validJSON)
	if err != nil || string(b) != `{"v":1}` || from != name+BakSuffix {
		t.Fatalf("read %q from %s: %v", b, from, err)
	}
	// Both bad: an error that is not ErrNotExist.
	f, _ = fs.Open(name+BakSuffix, runtime.ReadWrite)
	_ = f.Truncate(0)
	_ = f.Close()
	if _, _, err := Read(fs, name, validJSON); err == nil || errors.Is(err, runtime.ErrNotExist) {
		t.Fatalf("both corrupt: %v", err)
	}
}

// A power loss at any step of Write leaves the old or the new table, even
// on a disk where renames need SyncDir to be durable.
func TestPowerLossAtEveryStep(t *testing.T) {
	const name = "cfg/t.json"
	for step := 0; step < 12; step++ {
		d := newDisk(simdisk.Options{MetadataNeedsSyncDir: true})
		fs := d.FS()
		if err := Write(fs, name, []byte(`{"v":"old"}`)); err != nil {
			t.Fatal(err)
		}
		fs = &crashAfter{FS: fs, n: step, d: d}
		err := Write(fs, name, []byte(`{"v":"new"}`))
		b, _, rerr := Read(d.FS(), name, validJSON)
		if rerr != nil {
			t.Fatalf("step %d: read after power loss: %v", step, rerr)
		}
		if string(b) != `{"v":"old"}` && string(b) != `{"v":"new"}` {
			t.Fatalf("step %d: read %q", step, b)
		}
		if err == nil && string(b) != `{"v":"new"}` {
			t.Fatalf("step %d: Write succeeded but the old table came back", step)
		}
	}
}

// crashAfter cuts the power after n file-system operations and then makes
// every operation fail, like a dead machine.
type crashAfter struct {
	runtime.FS
	d    *simdisk.Disk
	n    int
	dead bool
}

var errDead = errors.New("power lost")

func (c *crashAfter) tick() error {
	if c.dead {
		return errDead
	}
	if c.n == 0 {
		c.d.PowerLoss()
		c.dead = true
		return errDead
	}
	c.n--
	return nil
}

func (c *crashAfter) Open(name string, flag runtime.OpenFlag) (runtime.File, error) {
	if err := c.tick(); err != nil {
		return nil, err
	}
	f, err := c.FS.Open(name, flag)
	if err != nil {
		return nil, err
	}
	return &crashFile{File: f, c: c}, nil
}
func (c *crashAfter) Rename(a, b string) error {
	if err := c.tick(); err != nil {
		return err
	}
	return c.FS.Rename(a, b)
}
func (c *crashAfter) SyncDir(d string) error {
	if err := c.tick(); err != nil {
		return err
	}
	return c.FS.SyncDir(d)
}
func (c *crashAfter) MkdirAll(d string) error {
	if err := c.tick(); err != nil {
		return err
	}
	return c.FS.MkdirAll(d)
}

type crashFile struct {
	runtime.File
	c *crashAfter
}

func (f *crashFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.c.tick(); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}
func (f *crashFile) Truncate(n int64) error {
	if err := f.c.tick(); err != nil {
		return err
	}
	return f.File.Truncate(n)
}
func (f *crashFile) Sync() error {
	if err := f.c.tick(); err != nil {
		return err
	}
	return f.File.Sync()
}

func TestWriteReportsDiskFull(t *testing.T) {
	d := newDisk(simdisk.Options{Capacity: 64})
	fs := d.FS()
	err := Write(fs, "c/t.json", make([]byte, 100))
	if !errors.Is(err, runtime.ErrNoSpace) {
		t.Fatalf("got %v", err)
	}
}
