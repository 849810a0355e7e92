package activities_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

func gzipOf(t *testing.T, s string) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}
