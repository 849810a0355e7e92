// Package report writes the daily sales reports (CSV and Parquet, with a manifest) and stores
// them through a Storage: a local directory by default, or an S3-compatible bucket.
package report

import (
	"context"
	"errors"
	"io"
	"time"
)

// Storage keeps published report files. Put publishes atomically: a reader sees the whole new
// file or the old one, never part of one. Names are slash-separated and relative to the
// storage's root, e.g. "2026-11-20/platform.csv".
type Storage interface {
	Put(ctx context.Context, name string, r io.Reader) error
	// Open reads a published file; a missing one is ErrNotFound.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// List returns the published files whose names start with prefix, sorted by name. Files
	// being written (temporary names) are never listed.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Delete removes a published file; a missing one is not an error.
	Delete(ctx context.Context, name string) error
}

// Object is one stored file.
type Object struct {
	Name     string
	Size     int64
	Modified time.Time
}

// ErrNotFound is returned by Storage.Open for a file that is not published.
var ErrNotFound = errors.New("report file not found")
