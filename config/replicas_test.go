package config

import (
	"strings"
	"testing"
	"time"
)

// TestReplicaSettings loads the replica variables as an operator sets them and checks each bad
// value is refused naming its variable, without the password of a URL.
func TestReplicaSettings(t *testing.T) {
	base := []string{"SHOPFLOW_JWT_SECRET=" + secret}
	c, err := Load(append(base,
		"SHOPFLOW_DATABASE_REPLICA_URLS=postgres://app:pw@replica-1:5432/shopflow,postgresql://replica-2/shopflow"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.DatabaseReplicaURLs) != 2 || c.ReplicaMaxLag != 5*time.Second || c.ReplicaCheckInterval != time.Second {
		t.Fatalf("got urls %q, max lag %s, interval %s; want 2 urls, 5s, 1s", c.DatabaseReplicaURLs, c.ReplicaMaxLag, c.ReplicaCheckInterval)
	}
	if none := validConfig(t); len(none.DatabaseReplicaURLs) != 0 {
		t.Fatalf("default replica urls = %q, want none", none.DatabaseReplicaURLs)
	}

	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"mysql url", []string{"SHOPFLOW_DATABASE_REPLICA_URLS=mysql://app:hunter2@db/shop"}, "SHOPFLOW_DATABASE_REPLICA_URLS"},
		{"url without host", []string{"SHOPFLOW_DATABASE_REPLICA_URLS=postgres:///shop"}, "SHOPFLOW_DATABASE_REPLICA_URLS"},
		{"same replica twice", []string{"SHOPFLOW_DATABASE_REPLICA_URLS=postgres://r:hunter2@r1/s,postgres://r:hunter2@r1/s"}, "SHOPFLOW_DATABASE_REPLICA_URLS"},
		{"primary as replica", []string{"SHOPFLOW_DATABASE_URL=postgres://p:hunter2@db/s", "SHOPFLOW_DATABASE_REPLICA_URLS=postgres://p:hunter2@db/s"}, "SHOPFLOW_DATABASE_REPLICA_URLS"},
		{"lag bound too small", []string{"SHOPFLOW_REPLICA_MAX_LAG=10ms", "SHOPFLOW_REPLICA_CHECK_INTERVAL=50ms"}, "SHOPFLOW_REPLICA_MAX_LAG"},
		{"lag bound too large", []string{"SHOPFLOW_REPLICA_MAX_LAG=1h"}, "SHOPFLOW_REPLICA_MAX_LAG"},
		{"interval zero", []string{"SHOPFLOW_REPLICA_CHECK_INTERVAL=0s"}, "SHOPFLOW_REPLICA_CHECK_INTERVAL"},
		{"interval longer than bound", []string{"SHOPFLOW_REPLICA_MAX_LAG=2s", "SHOPFLOW_REPLICA_CHECK_INTERVAL=3s"}, "SHOPFLOW_REPLICA_CHECK_INTERVAL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(append(base, tc.env...))
			if err == nil {
				t.Fatal("Load accepted it")
			}
			problems := strings.Split(err.Error(), "\n")
			if len(problems) != 1 || !strings.HasPrefix(problems[0], tc.want+":") {
				t.Fatalf("got %q, want one problem naming %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error shows a password: %q", err)
			}
		})
	}
}
