package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// The cluster has three masters that together serve every slot, and takes writes.
func TestStartCluster(t *testing.T) {
	c := StartCluster(t)
	ctx := context.Background()
	shards, err := c.Client.ClusterShards(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	var served int64
	for _, s := range shards {
		for _, r := range s.Slots {
			served += r.End - r.Start + 1
		}
	}
	if len(shards) != 3 || served != 16384 {
		t.Fatalf("want 3 shards serving 16384 slots, got %d serving %d", len(shards), served)
	}
	prefix := Prefix()
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		if err := c.Client.Set(ctx, prefix+k, k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	if c.Slot(t, prefix+"{x}:1") != c.Slot(t, prefix+"{x}:2") {
		t.Fatal("keys with one hash tag are in different slots")
	}
}

// The sentinel names the primary it was started with, and the primary takes writes.
func TestStartSentinel(t *testing.T) {
	s := StartSentinel(t)
	ctx := context.Background()
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: SentinelMaster, SentinelAddrs: []string{s.SentinelAddr}})
	defer rdb.Close()
	if err := rdb.Set(ctx, Prefix()+"k", "v", 0).Err(); err != nil {
		t.Fatalf("SET through the sentinel: %v", err)
	}
}
