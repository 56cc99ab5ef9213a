package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxLineBytes bounds one JSON line. An event is a few hundred bytes; a line
// longer than this is a corrupt file, not a big event.
const MaxLineBytes = 1 << 20

// Reader streams a JSON-lines history, one event at a time, so a long run's
// history need not be held as text in memory.
type Reader struct {
	sc        *bufio.Scanner
	name      string
	line      int
	lastIndex int64
	seen      bool
}

// NewReader reads events from r. name appears in errors (a file name, or
// "history").
func NewReader(r io.Reader, name string) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	return &Reader{sc: sc, name: name}
}

// Next returns the next event, or io.EOF after the last one. Errors name the
// file and line. Blank lines and lines starting with "#" (comments) are
// skipped. Unknown fields are errors: a typo in a hand-made history must not
// silently drop a value.
func (r *Reader) Next() (Op, error) {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue // blank lines and comments (hand-made histories explain themselves)
		}
		var op Op
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&op); err != nil {
			return Op{}, fmt.Errorf("%s:%d: %w", r.name, r.line, err)
		}
		if dec.More() {
			return Op{}, fmt.Errorf("%s:%d: trailing data after the event", r.name, r.line)
		}
		if err := op.Validate(); err != nil {
			return Op{}, fmt.Errorf("%s:%d: %w", r.name, r.line, err)
		}
		if r.seen && op.Index <= r.lastIndex {
			return Op{}, fmt.Errorf("%s:%d: index %d does not follow %d", r.name, r.line, op.Index, r.lastIndex)
		}
		r.seen, r.lastIndex = true, op.Index
		return op, nil
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Op{}, fmt.Errorf("%s:%d: line longer than %d bytes: %w", r.name, r.line+1, MaxLineBytes, err)
		}
		return Op{}, fmt.Errorf("%s: after line %d: %w", r.name, r.line, err)
	}
	return Op{}, io.EOF
}

// Read reads a whole history.
func Read(r io.Reader, name string) ([]Op, error) {
	rd := NewReader(r, name)
	var ops []Op
	for {
		op, err := rd.Next()
		if err == io.EOF {
			return ops, nil
		}
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
}

// Write writes events as JSON lines, in the order given.
func Write(w io.Writer, ops []Op) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range ops {
		if err := enc.Encode(&ops[i]); err != nil {
			return fmt.Errorf("history: write event %d: %w", ops[i].Index, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("history: flush: %w", err)
	}
	return nil
}

// WriteFile writes events as JSON lines to a new file at path (an output
// folder's history.jsonl), replacing any file there.
func WriteFile(path string, ops []Op) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if err := Write(f, ops); err != nil {
		f.Close()
		return fmt.Errorf("history: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("history: %s: %w", path, err)
	}
	return nil
}
