package index

import (
	"fmt"
	"sort"
	"testing"

	"rocketsim/broker/store/internal/memfs"
)

func TestPutQueryAcrossFiles(t *testing.T) {
	fs := memfs.New(0, 1)
	ix, err := Open(fs, "index", 7, 30) // few slots: many collisions
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 100; i++ {
		keys := []string{fmt.Sprintf("k%d", i%10), fmt.Sprintf("u%d", i)}
		if err := ix.Put("T", keys, i*100, 1_000_000+i*1000); err != nil {
			t.Fatal(err)
		}
	}
	if len(ix.Files()) < 6 {
		t.Fatalf("%d files for 200 keys at 29 per file", len(ix.Files()))
	}
	got, err := ix.Query("T", "k3", 100, 0, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	// Collisions may add offsets with the same hash; every true hit must be
	// there.
	want := map[int64]bool{}
	for i := int64(3); i < 100; i += 10 {
		want[i*100] = true
	}
	for _, o := range got {
		delete(want, o)
	}
	if len(want) != 0 {
		t.Fatalf("missing hits %v (got %v)", want, got)
	}
	if got, _ := ix.Query("T", "u42", 5, 0, 1<<62); len(got) != 1 || got[0] != 4200 {
		t.Fatalf("u42: %v", got)
	}
	if got, _ := ix.Query("T", "k3", 2, 0, 1<<62); len(got) != 2 {
		t.Fatalf("maxNum: %d", len(got))
	}
	// Time range: k3 messages stored at 1_003_000, 1_013_000, ...
	if got, _ := ix.Query("T", "k3", 100, 1_010_000, 1_020_000); len(got) < 1 {
		t.Fatalf("time range: %v", got)
	}
	if got, _ := ix.Query("T", "u42", 5, 0, 1_000_000); len(got) != 0 {
		t.Fatalf("outside the time range: %v", got)
	}
	if got, _ := ix.Query("Other", "u42", 5, 0, 1<<62); len(got) != 0 {
		t.Fatalf("other topic: %v", got)
	}
}

func TestRecoverAfterCrashRebuilds(t *testing.T) {
	fs := memfs.New(0, 1)
	ix, _ := Open(fs, "index", 11, 50)
	for i := int64(0); i < 30; i++ {
		ix.Put("T", []string{fmt.Sprintf("u%d", i)}, i*100, 1000+i)
	}
	durable, err := ix.Flush()
	if err != nil || durable != 2901 {
		t.Fatalf("flush: %d %v", durable, err)
	}
	for i := int64(30); i < 80; i++ { // fills the file and starts another
		ix.Put("T", []string{fmt.Sprintf("u%d", i)}, i*100, 1000+i)
	}
	if len(ix.Files()) != 2 {
		t.Fatalf("%d files", len(ix.Files()))
	}
	// Not flushed: write the buffers so the page cache holds them, as a
	// running broker's would, then crash.
	for _, x := range ix.files {
		x.writeBack()
	}
	fs.Crash()
	ix, _ = Open(fs, "index", 11, 50)
	from, err := ix.Recover(true, durable, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	if from != 2900 || len(ix.Files()) != 1 {
		t.Fatalf("resume from %d with %d files; want 2900 and 1", from, len(ix.Files()))
	}
	for i := int64(0); i < 30; i++ {
		if got, _ := ix.Query("T", fmt.Sprintf("u%d", i), 2, 0, 1<<62); len(got) != 1 || got[0] != i*100 {
			t.Fatalf("u%d after recovery: %v", i, got)
		}
	}
	// The replay puts the rest back; the record at 2900 is skipped.
	for i := int64(29); i < 80; i++ {
		ix.Put("T", []string{fmt.Sprintf("u%d", i)}, i*100, 1000+i)
	}
	for i := int64(0); i < 80; i++ {
		if got, _ := ix.Query("T", fmt.Sprintf("u%d", i), 2, 0, 1<<62); len(got) != 1 {
			t.Fatalf("u%d after replay: %v", i, got)
		}
	}
}

func TestRecoverCutsEntriesPastLogEnd(t *testing.T) {
	fs := memfs.New(0, 1)
	ix, _ := Open(fs, "index", 11, 100)
	for i := int64(0); i < 20; i++ {
		ix.Put("T", []string{"k"}, i*100, 1000+i)
	}
	durable, _ := ix.Flush()
	ix.Close()
	ix, _ = Open(fs, "index", 11, 100)
	// The commit log lost everything from 1000 on.
	from, err := ix.Recover(true, durable, 1000)
	if err != nil || from != 900 {
		t.Fatalf("resume %d: %v", from, err)
	}
	got, _ := ix.Query("T", "k", 100, 0, 1<<62)
	if len(got) != 10 {
		t.Fatalf("%d hits, want the 10 below the log end: %v", len(got), got)
	}
}

func TestKeyHashMatchesJava(t *testing.T) {
	// "T#k1".hashCode() in Java: ((84*31+35)*31+107)*31+49 = 2539445.
	if h := KeyHash("T#k1"); h != 2539445 {
		t.Fatalf("KeyHash = %d", h)
	}
	// "polygenelubricants".hashCode() is Integer.MIN_VALUE: Java's abs
	// keeps it negative, and the index maps it to 0.
	if h := KeyHash("polygenelubricants"); h != 0 {
		t.Fatalf("KeyHash(MIN_VALUE) = %d", h)
	}
}

func TestTopicKeyHashIsKeyHashOfJoinedKey(t *testing.T) {
	for _, c := range [][2]string{{"T", "k"}, {"BenchTopic", "C0A80001000000000000000000000001"}, {"主题", "键"}, {"", ""}, {"a", "polygenelubricants"}} {
		if got, want := topicKeyHash(c[0], c[1]), KeyHash(c[0]+KeySeparator+c[1]); got != want {
			t.Errorf("topicKeyHash(%q, %q) = %d, want %d", c[0], c[1], got, want)
		}
	}
}
