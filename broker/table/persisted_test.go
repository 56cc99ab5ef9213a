package table

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

// entry is a stand-in for topic.Config and subscription.Group.
type entry struct {
	N    int    `json:"n"`
	Name string `json:"name"`
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

const file = "store/config/things.json"

func spec() Spec[entry] {
	return Spec[entry]{Path: file, Field: "thingTable", What: "thing table",
		Name: func(e *entry) *string { return &e.Name }}
}

func newDisk() *simdisk.Disk {
	return simdisk.New(simdisk.Options{MetadataNeedsSyncDir: true}, rand.New(rand.NewPCG(1, 2)))
}

// open opens the test table on fs, failing the test on an error.
func open(t *testing.T, fs runtime.FS, clock Clock, builtIn ...entry) *Persisted[entry] {
	t.Helper()
	p, err := Open(fs, clock, spec(), builtIn, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, fs runtime.FS, name, data string) {
	t.Helper()
	_ = fs.MkdirAll("store/config")
	f, err := fs.Open(name, runtime.ReadWrite|runtime.Create)
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(data), 0)
	_ = f.Close()
}

// The hand-built encoding is byte for byte what encoding/json writes for the
// wrapper struct each table used to declare, escaping included.
func TestEncodeMatchesStructEncoding(t *testing.T) {
	p := open(t, newDisk().FS(), &fakeClock{time.UnixMilli(7)})
	for _, e := range []entry{{Name: "b", N: 2}, {Name: "a<&>\u2028é", N: -1}, {Name: "%RETRY%g", N: 0}} {
		p.Put(e)
	}
	p.version.Counter = 3
	type wrapper struct {
		DataVersion DataVersion      `json:"dataVersion"`
		ThingTable  map[string]entry `json:"thingTable"`
	}
	w := wrapper{DataVersion: p.Version(), ThingTable: p.Snapshot()}
	wantIndent, _ := json.MarshalIndent(w, "", "\t")
	wantCompact, _ := json.Marshal(w)
	if got, err := p.Encode(); err != nil || string(got) != string(wantIndent) {
		t.Fatalf("Encode %v:\n%s\nwant\n%s", err, got, wantIndent)
	}
	if got, err := p.EncodeCompact(); err != nil || string(got) != string(wantCompact) {
		t.Fatalf("EncodeCompact %v:\n%s\nwant\n%s", err, got, wantCompact)
	}
	if !strings.HasPrefix(string(wantCompact), `{"dataVersion":{"counter":3,"timestamp":7},"thingTable":{"%RETRY%g":`) {
		t.Fatalf("order or escaping changed: %s", wantCompact)
	}
}

func TestChangedBumpsVersionAndPersists(t *testing.T) {
	d := newDisk()
	clock := &fakeClock{time.UnixMilli(1000)}
	p := open(t, d.FS(), clock)
	if v := p.Version(); v != (DataVersion{Timestamp: 1000}) {
		t.Fatalf("fresh version %+v", v)
	}
	p.Put(entry{Name: "x", N: 1})
	p.Put(entry{Name: "y", N: 2})
	clock.t = time.UnixMilli(2000)
	if err := p.Changed(); err != nil {
		t.Fatal(err)
	}
	if !p.Remove("y") || p.Remove("y") {
		t.Fatal("Remove reports wrong")
	}
	clock.t = time.UnixMilli(3000)
	if err := p.Changed(); err != nil {
		t.Fatal(err)
	}
	if v := p.Version(); v != (DataVersion{Counter: 2, Timestamp: 3000}) {
		t.Fatalf("version %+v", v)
	}
	d.PowerLoss()
	q := open(t, d.FS(), &fakeClock{time.UnixMilli(9)})
	if q.Version() != p.Version() || q.Len() != 1 {
		t.Fatalf("reloaded %+v, %v", q.Version(), q.Names())
	}
	if e, ok := q.Get("x"); !ok || e != (entry{Name: "x", N: 1}) {
		t.Fatalf("x = %+v %v", e, ok)
	}
}

// A file entry replaces the built-in one of its name, built-ins the file
// lacks stay, an empty name takes its key, and the file's version wins.
func TestFileOverBuiltIns(t *testing.T) {
	fs := newDisk().FS()
	writeFile(t, fs, file, `{"thingTable":{"b":{"n":5},"c":{"name":"c","n":6}},"dataVersion":{"counter":4,"timestamp":44},"other":[1]}`)
	p := open(t, fs, &fakeClock{time.UnixMilli(1)}, entry{Name: "a", N: 1}, entry{Name: "b", N: 1})
	if got := strings.Join(p.Names(), ","); got != "a,b,c" {
		t.Fatalf("names %s", got)
	}
	if b, _ := p.Get("b"); b != (entry{Name: "b", N: 5}) {
		t.Fatalf("b = %+v", b)
	}
	if p.Version() != (DataVersion{Counter: 4, Timestamp: 44}) {
		t.Fatalf("version %+v", p.Version())
	}
}

func TestOpenMissingOrCorrupt(t *testing.T) {
	fs := newDisk().FS()
	p := open(t, fs, &fakeClock{time.UnixMilli(5)}, entry{Name: "builtin"})
	if p.Len() != 1 || p.Version() != (DataVersion{Timestamp: 5}) {
		t.Fatalf("first start: %v, %+v", p.Names(), p.Version())
	}
	for _, bad := range []string{
		`{"thingTable":{"a":{"name":"b"}}}`, // name differs from key
		`{"thingTable":[]}`,
		`{"dataVersion":"x"}`,
		`[]`,
		`{`,
	} {
		writeFile(t, fs, file, bad)
		_, err := Open(fs, &fakeClock{}, spec(), nil, nil)
		if err == nil || errors.Is(err, runtime.ErrNotExist) || !strings.HasPrefix(err.Error(), "thing table: ") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// A torn current file falls back to the .bak jsonfile.Write kept, which
// holds the table before the last change; both torn is an error.
func TestCorruptFileFallsBackToBackup(t *testing.T) {
	fs := newDisk().FS()
	p := open(t, fs, &fakeClock{})
	p.Put(entry{Name: "kept"})
	_ = p.Changed()
	p.Put(entry{Name: "newer"})
	_ = p.Changed()
	truncate := func(name string, size int64) {
		f, _ := fs.Open(name, runtime.ReadWrite)
		_ = f.Truncate(size)
		_ = f.Close()
	}
	truncate(file, 10)
	q := open(t, fs, &fakeClock{})
	if _, ok := q.Get("kept"); !ok || q.Version().Counter != 1 {
		t.Fatalf("backup not used: %v %+v", q.Names(), q.Version())
	}
	if _, ok := q.Get("newer"); ok {
		t.Fatal("backup holds the newer table?")
	}
	truncate(file+".bak", 3)
	if _, err := Open(fs, &fakeClock{}, spec(), nil, nil); err == nil || errors.Is(err, runtime.ErrNotExist) {
		t.Fatalf("both copies corrupt: %v", err)
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	p := open(t, newDisk().FS(), &fakeClock{})
	p.Put(entry{Name: "a", N: 1})
	s := p.Snapshot()
	s["a"] = entry{Name: "a", N: 9}
	s["z"] = entry{Name: "z"}
	if a, _ := p.Get("a"); a.N != 1 || p.Len() != 1 {
		t.Fatal("snapshot aliases the table")
	}
}

func TestPutWithoutNamePanics(t *testing.T) {
	p := open(t, newDisk().FS(), &fakeClock{})
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	p.Put(entry{N: 1})
}

func TestDiskFullKeepsChange(t *testing.T) {
	d := simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(5, 6)))
	p := open(t, d.FS(), &fakeClock{})
	d.SetCapacity(d.Used())
	p.Put(entry{Name: "t"})
	if err := p.Changed(); !errors.Is(err, runtime.ErrNoSpace) || !strings.HasPrefix(err.Error(), "thing table: ") {
		t.Fatalf("got %v", err)
	}
	if _, ok := p.Get("t"); !ok || p.Version().Counter != 1 {
		t.Fatal("change dropped")
	}
	d.SetCapacity(1 << 30)
	if err := p.Persist(); err != nil {
		t.Fatal(err)
	}
	if q := open(t, d.FS(), &fakeClock{}); q.Len() != 1 {
		t.Fatalf("reloaded %v", q.Names())
	}
}
