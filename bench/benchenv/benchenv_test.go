package benchenv

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Undo runs last first, runs every step even after one fails, and returns every error.
func TestUndoRunsLastFirst(t *testing.T) {
	var order []int
	var u Undo
	errA, errC := errors.New("a"), errors.New("c")
	u.Push(func() error { order = append(order, 1); return errA })
	u.Push(func() error { order = append(order, 2); return nil })
	u.Push(func() error { order = append(order, 3); return errC })
	err := u.Run()
	if !slices.Equal(order, []int{3, 2, 1}) {
		t.Errorf("ran %v, want 3, 2, 1", order)
	}
	if !errors.Is(err, errA) || !errors.Is(err, errC) {
		t.Errorf("error %v, want both a and c", err)
	}
	if err := u.Run(); err != nil || len(order) != 3 {
		t.Errorf("a second Run undid again: %v, %v", order, err)
	}
}

// A run's configuration keeps its files under its own directory, its Redis keys and task queue
// apart from other runs', and lets extra settings override the defaults.
func TestConfigIsTheRunsOwn(t *testing.T) {
	dir := t.TempDir()
	cfg, env, err := Config(dir, "postgres://postgres@127.0.0.1:5432/x", "redis://127.0.0.1:6379/0", "127.0.0.1:7233",
		"SHOPFLOW_BCRYPT_COST=4")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := Config(dir, "postgres://postgres@127.0.0.1:5432/x", "redis://127.0.0.1:6379/0", "127.0.0.1:7233")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BcryptCost != 4 || cfg.ReportsDir != filepath.Join(dir, "reports") || !strings.HasPrefix(cfg.IngestDir, dir) {
		t.Errorf("config: bcrypt %d, reports %s, ingest %s", cfg.BcryptCost, cfg.ReportsDir, cfg.IngestDir)
	}
	if cfg.RedisPrefix == other.RedisPrefix || cfg.TaskQueue == other.TaskQueue {
		t.Errorf("two runs share Redis prefix %q or task queue %q", cfg.RedisPrefix, cfg.TaskQueue)
	}
	if !slices.Contains(env, "SHOPFLOW_BCRYPT_COST=4") {
		t.Errorf("the environment for child processes lacks the extra setting: %v", env)
	}
}
