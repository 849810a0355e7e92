// Package benchdoc writes a benchmark's generated section into docs/BENCHMARKS.md. Each
// benchmark owns the text between its begin and end markers; everything else in the file,
// other benchmarks' sections and the hand-written analysis included, is kept as it is.
package benchdoc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Replace puts section between begin and end in the Markdown file at path, replacing what the
// markers held, or appends it when the markers are not there yet; a missing file is created.
// The file is read just before it is replaced by a rename, so a reader never sees half a
// file and a section another benchmark wrote meanwhile is kept.
func Replace(path, begin, end, section string) error {
	block := begin + "\n" + strings.TrimRight(section, "\n") + "\n" + end + "\n"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	if text == "" {
		text = "# Benchmarks\n\n"
	}
	if i := strings.Index(text, begin); i >= 0 {
		j := strings.Index(text[i:], end)
		if j < 0 {
			return fmt.Errorf("%s: %q has no end marker %q", path, begin, end)
		}
		text = text[:i] + block + strings.TrimPrefix(text[i+j+len(end):], "\n")
	} else {
		if !strings.HasSuffix(text, "\n\n") {
			text = strings.TrimRight(text, "\n") + "\n\n"
		}
		text += block
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchmarks-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
