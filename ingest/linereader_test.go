package ingest

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

func readAll(t *testing.T, r io.Reader, max int) []RawLine {
	t.Helper()
	lr := NewLineReader(r, 0, max)
	var out []RawLine
	for {
		l, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		l.Data = bytes.Clone(l.Data)
		out = append(out, l)
	}
}

func TestLineReaderEndings(t *testing.T) {
	t.Parallel()
	// LF, CRLF, a blank line, a lone CR inside a line, and no newline at the end.
	lines := readAll(t, strings.NewReader("a,b\r\nc\n\nd\re\nlast"), 100)
	want := []struct {
		data         string
		offset, size int64
	}{{"a,b", 0, 5}, {"c", 5, 2}, {"", 7, 1}, {"d\re", 8, 4}, {"last", 12, 4}}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d: %+v", len(lines), len(want), lines)
	}
	for i, w := range want {
		if l := lines[i]; string(l.Data) != w.data || l.Offset != w.offset || l.Size != w.size || l.TooLong {
			t.Errorf("line %d: %q at %d size %d (too long %v), want %q at %d size %d", i+1, l.Data, l.Offset, l.Size, l.TooLong, w.data, w.offset, w.size)
		}
	}
}

func TestLineReaderBound(t *testing.T) {
	t.Parallel()
	max := 10
	exact := strings.Repeat("x", max)
	over := strings.Repeat("y", max+1)
	// Lines of exactly the bound are whole, with either ending; one byte more is too long.
	lines := readAll(t, strings.NewReader(exact+"\n"+exact+"\r\n"+over+"\n"+over+"\r\n"+"ok\n"+over), max)
	if len(lines) != 6 {
		t.Fatalf("%d lines: %+v", len(lines), lines)
	}
	for i, tooLong := range []bool{false, false, true, true, false, true} {
		if lines[i].TooLong != tooLong {
			t.Errorf("line %d (%q): too long %v, want %v", i+1, lines[i].Data, lines[i].TooLong, tooLong)
		}
	}
	if string(lines[1].Data) != exact || lines[1].Length != int64(max) {
		t.Errorf("CRLF line of the bound: %q length %d", lines[1].Data, lines[1].Length)
	}
	if lines[3].Length != int64(max+1) || lines[3].Size != int64(max+3) {
		t.Errorf("too long CRLF line: length %d size %d", lines[3].Length, lines[3].Size)
	}
	if string(lines[4].Data) != "ok" || lines[4].Offset != int64(2*max+1+2+max+1+1+max+1+2) {
		t.Errorf("line after the long ones: %q at %d", lines[4].Data, lines[4].Offset)
	}
}

// repeatReader yields n copies of b without holding them.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), r.n))
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= int64(k)
	return k, nil
}

// TestLineReaderDropsALongLineWithoutHoldingIt reads a 10 MB line and checks that the reader
// allocated far less than the line: it was read to its end and dropped, not held. Not parallel,
// so no other test's allocations are counted.
func TestLineReaderDropsALongLineWithoutHoldingIt(t *testing.T) {
	const long = 10 << 20
	r := io.MultiReader(strings.NewReader("first\n"), &repeatReader{b: 'z', n: long}, strings.NewReader("\nafter\n"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	lr := NewLineReader(r, 0, MaxLineBytes)
	var got []RawLine
	for {
		l, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, RawLine{Data: bytes.Clone(l.Data[:min(len(l.Data), 16)]), Offset: l.Offset, Size: l.Size, Length: l.Length, TooLong: l.TooLong})
	}
	runtime.ReadMemStats(&after)
	if len(got) != 3 || !got[1].TooLong || got[1].Length != long || string(got[2].Data) != "after" || got[2].Offset != 6+long+1 {
		t.Fatalf("lines: %+v", got)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3<<20 {
		t.Fatalf("reading a %d-byte line allocated %d bytes; the reader holds more than its bound", long, alloc)
	}
}
