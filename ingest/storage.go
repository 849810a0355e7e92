package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"

	"shopflow/errs"
)

// Files is the directory holding batch files, <Dir>/batches/<sha256>.<format>, and their error
// files, <Dir>/errors/<batch id>/. Paths kept in the database are relative to Dir, so the API,
// the CLI and workers may mount it at different places.
type Files struct {
	Dir string
}

// StoredFile is an order file saved under its content hash.
type StoredFile struct {
	SHA256 string
	Path   string // relative to Files.Dir
	Size   int64
}

// Save copies r into batch storage (a temporary name first, then renamed, so a file under its
// final name is always whole), hashing it on the way. At most limit bytes are read: a longer
// input fails with a too_large error. An empty input is refused.
func (f Files) Save(r io.Reader, format Format, limit int64) (StoredFile, error) {
	dir := filepath.Join(f.Dir, "batches")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return StoredFile{}, fmt.Errorf("create batch storage: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return StoredFile{}, fmt.Errorf("create batch file: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // gone already once renamed
	}()
	h := sha256.New()
	src := &sourceReader{r: io.LimitReader(r, limit+1)}
	n, err := io.Copy(io.MultiWriter(tmp, h), src)
	switch {
	case src.err != nil:
		return StoredFile{}, readError(src.err) // the client's side
	case err != nil:
		return StoredFile{}, fmt.Errorf("write batch file: %w", err) // ours: a full disk, say
	case n > limit:
		return StoredFile{}, errs.E(errs.TooLarge, "the file is larger than %d bytes", limit)
	case n == 0:
		return StoredFile{}, errs.E(errs.Invalid, "the file is empty")
	}
	if err := tmp.Sync(); err != nil {
		return StoredFile{}, fmt.Errorf("write batch file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return StoredFile{}, fmt.Errorf("write batch file: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	rel := path.Join("batches", sum+"."+string(format))
	if err := os.Rename(tmp.Name(), filepath.Join(f.Dir, filepath.FromSlash(rel))); err != nil {
		return StoredFile{}, fmt.Errorf("store batch file: %w", err)
	}
	return StoredFile{SHA256: sum, Path: rel, Size: n}, nil
}

// sourceReader remembers a read error, to tell the submitter's failures from storage's.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// readError classifies a failure reading a submitted file: over an HTTP body limit is too large.
func readError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errs.Wrap(err, errs.TooLarge, "the file is larger than %d bytes", tooLarge.Limit)
	}
	return errs.Wrap(err, errs.Invalid, "could not read the file")
}

// Abs is the absolute location of a path kept in the database. Only paths inside Dir are
// accepted, so a tampered row cannot point the worker or the API anywhere else.
func (f Files) Abs(rel string) (string, error) {
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", fmt.Errorf("batch path %q is not inside the ingest directory", rel)
	}
	return filepath.Join(f.Dir, filepath.FromSlash(rel)), nil
}
