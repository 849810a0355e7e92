package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shopflow/ranking/rankingtest"
	"shopflow/store/storetest"
)

func TestReportHelpAndBadRanges(t *testing.T) {
	t.Parallel()
	if out, err := run(t, nil, "", "report", "--help"); err != nil || !strings.Contains(out, "Usage:") || !strings.Contains(out, "--direct") {
		t.Fatalf("report --help: %v %q", err, out)
	}
	for _, args := range [][]string{
		{"report"},
		{"report", "--from", "2026-11-31"},
		{"report", "--from", "2026-11-20", "--to", "2026-11-19"},
		{"report", "--from", "2999-01-01"},
	} {
		if _, err := run(t, nil, "", args...); err == nil {
			t.Errorf("shopflow %s succeeded", strings.Join(args, " "))
		}
	}
}

func TestReportDirectBackfillsEachDay(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t)
	if _, err := rankingtest.Seed(context.Background(), pool, rankingtest.Spec{Roots: 1, Fanout: 1, Depth: 1, Sellers: 2, Products: 5,
		Facts: 300, Hours: 48, End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Seed: 0.1}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := []string{"SHOPFLOW_DATABASE_URL=" + pool.Config().ConnString(), "SHOPFLOW_LOG_LEVEL=error"}
	out, err := run(t, env, "", "report", "--direct", "--dir", dir, "--from", "2026-11-19", "--to", "2026-11-20")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "2026-11-19: 6 files") || !strings.Contains(out, "[2/2]") {
		t.Errorf("output %q", out)
	}
	for _, day := range []string{"2026-11-19", "2026-11-20"} {
		if _, err := os.Stat(filepath.Join(dir, day, "manifest.json")); err != nil {
			t.Error(err)
		}
	}
}
