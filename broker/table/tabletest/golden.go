package tabletest

import (
	"flag"
	"os"
	"testing"
)

// update rewrites the golden files instead of comparing with them. Run it
// only on a commit whose encoding is known to match RocketMQ's: the files
// pin the bytes Java brokers and admin tools read.
var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// Golden fails the test unless got is exactly the content of file (with
// -update, it writes got there instead).
func Golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs:\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}
