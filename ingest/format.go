package ingest

import (
	"path"
	"strings"
)

// Format is the format of an order file.
type Format string

// The formats of order files (see docs/INGEST.md).
const (
	FormatCSV    Format = "csv"
	FormatNDJSON Format = "ndjson"
)

// FormatOfName is the format a file name's extension says: .csv, or .ndjson or .jsonl.
func FormatOfName(name string) (Format, bool) {
	switch strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/"))) {
	case ".csv":
		return FormatCSV, true
	case ".ndjson", ".jsonl":
		return FormatNDJSON, true
	}
	return "", false
}

// FormatOfContentType is the format a media type names: text/csv, or application/x-ndjson and
// its aliases.
func FormatOfContentType(mediaType string) (Format, bool) {
	switch strings.ToLower(mediaType) {
	case "text/csv", "application/csv":
		return FormatCSV, true
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		return FormatNDJSON, true
	}
	return "", false
}

// Limits on order files.
const (
	// MaxLineBytes is the longest line read; a longer one is rejected without being held in
	// memory.
	MaxLineBytes = 1 << 20
	// MaxFileBytes is the largest file accepted.
	MaxFileBytes = 10 << 30
	// DefaultChunkBytes caps the bytes one chunk reads, so that a chunk of long lines (NDJSON
	// orders of many lines) stays as small in memory as a chunk of short ones.
	DefaultChunkBytes = 16 << 20
	// excerptBytes is how much of a rejected line its error entry quotes.
	excerptBytes = 512
	// readBufferBytes is the read buffer of a line reader, and the longest line it reads
	// without allocating a buffer for the longest line allowed.
	readBufferBytes = 64 << 10
	// progressEvery is how many lines a chunk reads between two progress reports.
	progressEvery = 1000
)
