package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name the sentinel StartSentinel starts monitors its primary under.
const SentinelMaster = "shopflowtest"

// Sentinel is a primary watched by one sentinel.
type Sentinel struct {
	// PrimaryAddr is the primary's host:port, SentinelAddr the sentinel's.
	PrimaryAddr, SentinelAddr string
}

// StartSentinel starts a primary and a sentinel monitoring it (quorum 1) for t, and waits
// until the sentinel names the primary.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	dir := t.TempDir()
	pp, sp := freePort(t), freePort(t)
	s := &Sentinel{PrimaryAddr: fmt.Sprintf("127.0.0.1:%d", pp), SentinelAddr: fmt.Sprintf("127.0.0.1:%d", sp)}
	primary := startServer(t, "redis-server", "--port", strconv.Itoa(pp), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no")
	waitPing(t, s.PrimaryAddr, func() string { return primary.out.String() })
	// The sentinel rewrites its configuration file, so it gets one of its own.
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %d 1\n", sp, dir, SentinelMaster, pp)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	sentinel := startServer(t, "redis-server", conf, "--sentinel")
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.SentinelAddr, MaxRetries: -1})
	defer sc.Close()
	eventually(t, startTimeout, func(ctx context.Context) (bool, error) {
		addr, err := sc.GetMasterAddrByName(ctx, SentinelMaster).Result()
		return err == nil && len(addr) == 2 && addr[1] == strconv.Itoa(pp), err
	}, func() string { return "sentinel on " + s.SentinelAddr + ": " + sentinel.out.String() })
	return s
}
