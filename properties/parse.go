package properties

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxFileSize bounds what Parse reads. Config files are a few KiB; a larger
// input is a mistake (a log or a binary passed with -c), not a config.
const MaxFileSize = 4 << 20

// ErrTooLarge is returned for input longer than MaxFileSize.
var ErrTooLarge = errors.New("properties input too large")

// ParseFile reads and parses the file at path. It touches the real file
// system and so belongs to main packages only; node code parses bytes it got
// from its runtime.FS with Parse.
func ParseFile(path string) (*Props, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads r as a Java properties file named name.
//
// It follows java.util.Properties.load: lines end with \n, \r or \r\n; a line
// whose first non-blank character is # or ! is a comment; the key ends at the
// first unescaped '=', ':' or blank, and blanks around the separator are
// skipped; a line ending in an odd number of backslashes continues on the next
// line, whose leading blanks are dropped; \t \n \r \f and \uXXXX are escapes and
// any other escaped character stands for itself. Trailing blanks stay in the
// value, as in Java (Bind trims them when it converts).
//
// It was checked against Java 17's Properties.load on thousands of generated
// inputs full of blanks, separators, escapes and continuations; the corner
// cases found are in the tests. Two deliberate differences: the input is
// read as UTF-8 rather than ISO-8859-1 (Go files, and every broker.conf we
// know, are UTF-8 or ASCII), falling back to ISO-8859-1 when it is not valid
// UTF-8; and a leading UTF-8 byte-order mark is skipped rather than made
// part of the first key. One unavoidable one: a \uXXXX escape of
// a lone surrogate becomes U+FFFD, since a Go string holds UTF-8.
func Parse(r io.Reader, name string) (*Props, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %w (limit %d bytes)", name, ErrTooLarge, MaxFileSize)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		// Not UTF-8: read it as ISO-8859-1, which is what Java does with
		// every file, so a Latin-1 broker.conf loads as it does there.
		data = latin1ToUTF8(data)
	}
	p := New(name)
	lines := splitLines(string(data))
	for i := 0; i < len(lines); i++ {
		start := i + 1
		// Join continuation lines, as Java's LineReader does. While nothing
		// has been collected the logical line is still "new": blank lines
		// are skipped and a line starting with # or ! is a comment, even
		// right after a line that held only a backslash. A comment never
		// continues. Once something is collected, a blank continuation line
		// ends the logical line. A continuation cut by the end of the input
		// yields the line even when it is empty (Java then loads the key ""),
		// unless the input ends in \r\n: Java's reader then still holds the
		// \n and sees an empty line instead. (Quirks, but a file Java reads
		// one way must not read another way here.)
		var logical strings.Builder
		cutByEOF := false
		for {
			line := trimLeftBlank(lines[i])
			if logical.Len() == 0 {
				if line == "" || line[0] == '#' || line[0] == '!' {
					start = i + 2
					break
				}
			} else if line == "" {
				break
			}
			if !endsWithOddBackslashes(line) {
				logical.WriteString(line)
				break
			}
			logical.WriteString(line[:len(line)-1])
			if i+1 >= len(lines) {
				cutByEOF = !bytes.HasSuffix(data, []byte("\r\n"))
				break
			}
			i++
		}
		if logical.Len() == 0 && !cutByEOF {
			continue
		}
		key, value, err := splitKeyValue(logical.String())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, start, err)
		}
		p.Set(key, value, start)
	}
	return p, nil
}

// latin1ToUTF8 maps each byte to the code point of the same value.
func latin1ToUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/4)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// splitLines splits on \n, \r and \r\n.
func splitLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

// isBlank is Java's notion of whitespace in properties files.
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

func trimLeftBlank(s string) string {
	for len(s) > 0 && isBlank(s[0]) {
		s = s[1:]
	}
	return s
}

func endsWithOddBackslashes(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitKeyValue splits one logical line and unescapes both halves.
func splitKeyValue(line string) (key, value string, err error) {
	keyEnd, valueStart := len(line), len(line)
	hasSep := false
	escaped := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !escaped && (c == '=' || c == ':') {
			keyEnd, valueStart, hasSep = i, i+1, true
			break
		}
		if !escaped && isBlank(c) {
			keyEnd, valueStart = i, i+1
			break
		}
		escaped = c == '\\' && !escaped
	}
	for valueStart < len(line) {
		c := line[valueStart]
		if !isBlank(c) {
			if hasSep || (c != '=' && c != ':') {
				break
			}
			hasSep = true
		}
		valueStart++
	}
	key, err = unescape(line[:keyEnd])
	if err != nil {
		return "", "", fmt.Errorf("key %q: %w", line[:keyEnd], err)
	}
	value, err = unescape(line[valueStart:])
	if err != nil {
		return "", "", fmt.Errorf("key %q: value: %w", key, err)
	}
	return key, value, nil
}

// unescape resolves backslash escapes. \uXXXX yields a UTF-16 code unit;
// a surrogate pair written as two escapes becomes one character.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	var pendingHigh rune = -1 // a high surrogate waiting for its low half
	flushHigh := func() {
		if pendingHigh >= 0 {
			b.WriteRune(utf8.RuneError)
			pendingHigh = -1
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			flushHigh()
			r, size := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += size
			continue
		}
		i++
		if i >= len(s) {
			// Only reachable in a key cut at a separator; Java drops it too.
			break
		}
		c = s[i]
		if c == 'u' {
			if i+5 > len(s) {
				return "", fmt.Errorf("malformed \\uxxxx escape %q", s[i-1:])
			}
			var u rune
			for _, h := range s[i+1 : i+5] {
				d, ok := hexDigit(h)
				if !ok {
					return "", fmt.Errorf("malformed \\uxxxx escape %q", s[i-1:i+5])
				}
				u = u<<4 | d
			}
			i += 5
			switch {
			case utf16.IsSurrogate(u) && u < 0xDC00:
				flushHigh()
				pendingHigh = u
			case utf16.IsSurrogate(u):
				if pendingHigh >= 0 {
					b.WriteRune(utf16.DecodeRune(pendingHigh, u))
					pendingHigh = -1
				} else {
					b.WriteRune(utf8.RuneError)
				}
			default:
				flushHigh()
				b.WriteRune(u)
			}
			continue
		}
		flushHigh()
		switch c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += size - 1
		}
		i++
	}
	flushHigh()
	return b.String(), nil
}

func hexDigit(r rune) (rune, bool) {
	switch {
	case r >= '0' && r <= '9':
		return r - '0', true
	case r >= 'a' && r <= 'f':
		return r - 'a' + 10, true
	case r >= 'A' && r <= 'F':
		return r - 'A' + 10, true
	}
	return 0, false
}
