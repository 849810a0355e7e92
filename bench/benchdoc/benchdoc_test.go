package benchdoc

import (
	"os"
	"path/filepath"
	"testing"
)

// A section is appended once, then replaced in place; the text around it stays as it was.
func TestReplaceKeepsTheRestOfTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := os.WriteFile(path, []byte("# Benchmarks\n\nHand-written.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- x: begin -->", "<!-- x: end -->"
	if err := Replace(path, begin, end, "first\n"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(mustRead(t, path), "\nAfter.\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Replace(path, begin, end, "second"); err != nil {
		t.Fatal(err)
	}
	want := "# Benchmarks\n\nHand-written.\n\n" + begin + "\nsecond\n" + end + "\n\nAfter.\n"
	if got := string(mustRead(t, path)); got != want {
		t.Fatalf("file:\n%q\nwant:\n%q", got, want)
	}
	if err := os.WriteFile(path, []byte(begin+"\nno end\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Replace(path, begin, end, "third"); err == nil {
		t.Fatal("a begin marker without its end was overwritten")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
