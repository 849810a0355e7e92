package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestRedisTopologies(t *testing.T) {
	cases := []struct {
		name    string
		environ []string
		mode    string
		addrs   []string
		master  string
	}{
		{"single by default", nil, RedisSingle, nil, ""},
		{"cluster behind one endpoint", []string{"SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_URL=rediss://:pw@cfg.example:6379"},
			RedisCluster, nil, ""},
		{"cluster with seeds", []string{"SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_ADDRS=10.0.0.1:7000,10.0.0.2:7000"},
			RedisCluster, []string{"10.0.0.1:7000", "10.0.0.2:7000"}, ""},
		{"sentinel", []string{"SHOPFLOW_REDIS_MODE=sentinel", "SHOPFLOW_REDIS_ADDRS=s1:26379,s2:26379,s3:26379",
			"SHOPFLOW_REDIS_SENTINEL_MASTER=mymaster", "SHOPFLOW_REDIS_URL=redis://:pw@primary/2"},
			RedisSentinel, []string{"s1:26379", "s2:26379", "s3:26379"}, "mymaster"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.environ)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.RedisMode != tc.mode || !reflect.DeepEqual(c.RedisAddrs, tc.addrs) || c.RedisSentinelMaster != tc.master {
				t.Fatalf("got mode %q addrs %q master %q", c.RedisMode, c.RedisAddrs, c.RedisSentinelMaster)
			}
		})
	}
}

func TestRedisTopologyErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		name    string
		environ []string
		want    string
	}{
		{"unknown mode", []string{"SHOPFLOW_REDIS_MODE=replicated"}, "SHOPFLOW_REDIS_MODE"},
		{"seeds in single mode", []string{"SHOPFLOW_REDIS_ADDRS=h:1"}, "SHOPFLOW_REDIS_ADDRS"},
		{"seed without port", []string{"SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_ADDRS=h1:7000,h2"}, "SHOPFLOW_REDIS_ADDRS"},
		{"seed with a bad port", []string{"SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_ADDRS=h1:seventy"}, "SHOPFLOW_REDIS_ADDRS"},
		{"cluster on database 3", []string{"SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_URL=redis://h:6379/3"}, "SHOPFLOW_REDIS_URL"},
		{"cluster prefix with a hash tag", []string{"SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_PREFIX={shop}:"}, "SHOPFLOW_REDIS_PREFIX"},
		{"sentinel without sentinels", []string{"SHOPFLOW_REDIS_MODE=sentinel", "SHOPFLOW_REDIS_SENTINEL_MASTER=m"}, "SHOPFLOW_REDIS_ADDRS"},
		{"sentinel without a master name", []string{"SHOPFLOW_REDIS_MODE=sentinel", "SHOPFLOW_REDIS_ADDRS=s:26379"}, "SHOPFLOW_REDIS_SENTINEL_MASTER"},
		{"master name outside sentinel mode", []string{"SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_SENTINEL_MASTER=m"}, "SHOPFLOW_REDIS_SENTINEL_MASTER"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.environ)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error naming %s, got %v", tc.want, err)
			}
		})
	}
}

// A single node keeps accepting what it always did: any database, any prefix.
func TestRedisSingleModeUnchanged(t *testing.T) {
	_, err := Load([]string{"SHOPFLOW_REDIS_URL=redis://h:6379/5", "SHOPFLOW_REDIS_PREFIX={legacy}:"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
}

func TestRedisClusterErrorsDoNotEchoPasswords(t *testing.T) {
	_, err := Load([]string{"SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_URL=redis://u:hunter2@h:6379/4",
		"SHOPFLOW_REDIS_SENTINEL_PASSWORD=swordfish", "SHOPFLOW_REDIS_SENTINEL_MASTER=m"})
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "swordfish") {
		t.Fatalf("want an error without passwords, got %v", err)
	}
}
