package ingest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// LineReader reads lines with a bound on their length. A line longer than the bound is read to
// its end and dropped, keeping only its start, so memory never depends on the input.
type LineReader struct {
	r   *bufio.Reader
	max int
	off int64
	buf []byte
}

// RawLine is one line of a file.
type RawLine struct {
	// Data is the line without its ending (\n or \r\n), valid until the next call to Next; for
	// a line too long, only its first bytes.
	Data []byte
	// Offset is where the line starts in the file; Size counts its bytes, ending included, and
	// Length those before the ending.
	Offset, Size, Length int64
	// TooLong says the line held more than the reader's bound.
	TooLong bool
}

// NewLineReader reads lines of at most max bytes from r, whose first byte is at offset in
// the file.
func NewLineReader(r io.Reader, offset int64, max int) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, readBufferBytes), max: max, off: offset}
}

// Offset is where the next line starts.
func (lr *LineReader) Offset() int64 { return lr.off }

// Next returns the next line; at the end of the input it returns io.EOF. A last line without
// a newline is a line.
func (lr *LineReader) Next() (RawLine, error) {
	lr.buf = lr.buf[:0]
	keep := lr.max + 2 // room for \r\n, so a line of exactly max bytes is whole
	var size int64
	var last, beforeNewline byte
	ended := false
	for {
		frag, err := lr.r.ReadSlice('\n')
		size += int64(len(frag))
		if room := keep - len(lr.buf); room > 0 {
			frag := frag[:min(room, len(frag))]
			if need := len(lr.buf) + len(frag); need > cap(lr.buf) && need > readBufferBytes {
				// A line longer than the read buffer: make room for the longest kept line at
				// once, rather than by appends that would allocate several times as much.
				lr.buf = append(make([]byte, 0, keep), lr.buf...)
			}
			lr.buf = append(lr.buf, frag...)
		}
		if err == nil {
			ended = true
			beforeNewline = last
			if len(frag) >= 2 {
				beforeNewline = frag[len(frag)-2]
			}
			break
		}
		if len(frag) > 0 {
			last = frag[len(frag)-1]
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if size == 0 {
				return RawLine{}, io.EOF
			}
			break
		}
		return RawLine{}, fmt.Errorf("read line at byte %d: %w", lr.off+size, err)
	}
	line := RawLine{Offset: lr.off, Size: size, Length: size}
	lr.off += size
	if ended {
		line.Length--
		if beforeNewline == '\r' {
			line.Length--
		}
	}
	if line.Length > int64(lr.max) {
		line.TooLong = true
		line.Data = lr.buf[:min(len(lr.buf), excerptBytes)]
		return line, nil
	}
	line.Data = lr.buf[:line.Length]
	return line, nil
}
