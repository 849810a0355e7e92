package activities

import (
	"context"
	"testing"

	"shopflow/redistest"
)

// On a Redis Cluster SCAN sees one master's keys: erasure scans every master, so a customer's
// budgets are deleted wherever their slots put them, and nobody else's.
func TestEraseRedisKeysOnRedisCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	ctx, prefix := context.Background(), redistest.Prefix()
	const user, other = "7d9e4c1a-0000-4000-8000-000000000001", "7d9e4c1a-0000-4000-8000-000000000002"
	var mine, theirs []string
	for _, class := range []string{"reads", "writes", "auth", "checkout", "search", "admin", "uploads", "exports"} {
		// As redis_rate stores them: with "rate:" in front of the limiter's key.
		mine = append(mine, "rate:"+prefix+"rate:"+class+":account:"+user)
		theirs = append(theirs, "rate:"+prefix+"rate:"+class+":account:"+other)
	}
	mine = append(mine, "rate:"+prefix+"login:account:shopper@example.com")
	theirs = append(theirs, "rate:"+prefix+"login:account:other@example.com")
	slots := map[int64]bool{}
	for _, k := range append(mine, theirs...) {
		slots[c.Slot(t, k)] = true
		if err := c.Client.Set(ctx, k, "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if len(slots) < 3 {
		t.Fatalf("the keys fell in %d slots; the test needs them on several masters", len(slots))
	}
	a := &DataRights{Redis: c.Client, RedisPrefix: prefix}
	n, err := a.deleteRedisKeys(ctx, user, "Shopper@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(mine)) {
		t.Fatalf("deleted %d keys, want the customer's %d", n, len(mine))
	}
	for _, k := range mine {
		if left, _ := c.Client.Exists(ctx, k).Result(); left != 0 {
			t.Fatalf("%s survived the erasure", k)
		}
	}
	for _, k := range theirs {
		if kept, _ := c.Client.Exists(ctx, k).Result(); kept != 1 {
			t.Fatalf("%s, another customer's, was deleted", k)
		}
	}
}
