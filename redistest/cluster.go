// Package redistest starts Redis topologies of a test's own: a three-master Redis Cluster and a
// Sentinel-watched primary, on free ports of 127.0.0.1, keeping nothing after the test. Its
// servers are stopped by PID when the test that started them ends.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds how long a topology may take to form.
const startTimeout = 60 * time.Second

// Cluster is a running three-master Redis Cluster without replicas.
type Cluster struct {
	// Addrs are the masters' host:port addresses.
	Addrs []string
	// Client is a cluster client of it, closed when the test ends.
	Client *redis.ClusterClient
}

// StartCluster starts a three-master Redis Cluster for t and waits until every node reports
// cluster_state:ok. A package shares one by starting it in a parent test and running its cases
// as subtests, each with its own Prefix.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	dir := t.TempDir()
	c := &Cluster{}
	var nodes []*server
	for range 3 {
		port := freePort(t)
		p := strconv.Itoa(port)
		nodes = append(nodes, startServer(t, "redis-server", "--cluster-enabled", "yes", "--port", p,
			"--cluster-config-file", filepath.Join(dir, "nodes-"+p+".conf"), "--dir", dir,
			"--bind", "127.0.0.1", "--save", "", "--appendonly", "no"))
		c.Addrs = append(c.Addrs, "127.0.0.1:"+p)
	}
	logs := func() string {
		var b strings.Builder
		for i, n := range nodes {
			fmt.Fprintf(&b, "\n--- %s (exited: %v):\n%s", c.Addrs[i], n.exited(), n.out.String())
		}
		return b.String()
	}
	for _, a := range c.Addrs {
		waitPing(t, a, logs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s%s", err, out, logs())
	}
	for _, a := range c.Addrs {
		waitClusterOK(t, a, logs)
	}
	c.Client = redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	t.Cleanup(func() { _ = c.Client.Close() })
	eventually(t, startTimeout, func(ctx context.Context) (bool, error) {
		err := c.Client.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return n.Ping(ctx).Err() })
		return err == nil, err
	}, logs)
	return c
}

// Slot is the cluster slot of key, as the cluster itself computes it (CLUSTER KEYSLOT).
func (c *Cluster) Slot(t testing.TB, key string) int64 {
	t.Helper()
	slot, err := c.Client.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT %s: %v", key, err)
	}
	return slot
}

// Prefix returns a key prefix no other test uses (it contains no hash tag), so tests share a
// cluster without seeing each other's keys.
func Prefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "test:" + hex.EncodeToString(b) + ":"
}

// waitPing waits until the Redis at addr answers PING.
func waitPing(t testing.TB, addr string, logs func() string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	eventually(t, startTimeout, func(ctx context.Context) (bool, error) {
		err := rdb.Ping(ctx).Err()
		return err == nil, err
	}, func() string { return "redis-server on " + addr + logs() })
}

// waitClusterOK waits until the node at addr says the cluster is ok: every slot served.
func waitClusterOK(t testing.TB, addr string, logs func() string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	eventually(t, startTimeout, func(ctx context.Context) (bool, error) {
		info, err := rdb.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok"), err
	}, func() string { return "cluster_state:ok on " + addr + logs() })
}
