package app

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"shopflow/config"
	"shopflow/redistest"
)

func redisConfig(t *testing.T, environ ...string) config.Config {
	t.Helper()
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func openTestRedis(t *testing.T, cfg config.Config) redis.UniversalClient {
	t.Helper()
	rdb, err := openRedis(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Keys spread over every master; written through rdb, each reads back.
func assertReadsBack(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	prefix := redistest.Prefix()
	for i := range 20 {
		k := prefix + strconv.Itoa(i)
		if err := rdb.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		if v, err := rdb.Get(ctx, k).Int(); err != nil || v != i {
			t.Fatalf("GET %s: %d, %v", k, v, err)
		}
	}
}

func TestOpenRedisSingleIsAPlainClient(t *testing.T) {
	rdb := openTestRedis(t, redisConfig(t))
	if _, ok := rdb.(*redis.Client); !ok {
		t.Fatalf("single mode built a %T", rdb)
	}
	assertReadsBack(t, rdb)
}

func TestOpenRedisCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	t.Run("seed from the URL", func(t *testing.T) {
		rdb := openTestRedis(t, redisConfig(t, "SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_URL=redis://"+c.Addrs[1]))
		if _, ok := rdb.(*redis.ClusterClient); !ok {
			t.Fatalf("cluster mode built a %T", rdb)
		}
		assertReadsBack(t, rdb)
	})
	t.Run("seeds from SHOPFLOW_REDIS_ADDRS", func(t *testing.T) {
		// The URL's host does not listen: only the seeds can have been dialled.
		rdb := openTestRedis(t, redisConfig(t, "SHOPFLOW_REDIS_MODE=cluster", "SHOPFLOW_REDIS_URL=redis://127.0.0.1:1/0",
			"SHOPFLOW_REDIS_ADDRS="+strings.Join(c.Addrs, ", ")))
		assertReadsBack(t, rdb)
	})
}

// openRedis in sentinel mode finds the primary through a real sentinel, never dialling the
// URL's host.
func TestOpenRedisSentinelReachesThePrimary(t *testing.T) {
	s := redistest.StartSentinel(t)
	rdb := openTestRedis(t, redisConfig(t, "SHOPFLOW_REDIS_MODE=sentinel", "SHOPFLOW_REDIS_URL=redis://127.0.0.1:1/0",
		"SHOPFLOW_REDIS_ADDRS="+s.SentinelAddr, "SHOPFLOW_REDIS_SENTINEL_MASTER="+redistest.SentinelMaster))
	assertReadsBack(t, rdb)
	info, err := rdb.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(s.PrimaryAddr, ":")
	if !strings.Contains(info, "tcp_port:"+port+"\r\n") {
		t.Fatalf("not connected to the primary on %s:\n%s", s.PrimaryAddr, info)
	}
}

// The URL's user and password are the primary's in every mode; the sentinels' own come from
// their variables.
func TestFailoverOptionsCredentials(t *testing.T) {
	opt, err := failoverOptions(redisConfig(t, "SHOPFLOW_REDIS_MODE=sentinel", "SHOPFLOW_REDIS_URL=rediss://app:pw@primary.example:6380/2?pool_size=7",
		"SHOPFLOW_REDIS_ADDRS=s1:26379, s2:26379", "SHOPFLOW_REDIS_SENTINEL_MASTER=m",
		"SHOPFLOW_REDIS_SENTINEL_USERNAME=sentry", "SHOPFLOW_REDIS_SENTINEL_PASSWORD=sp"))
	if err != nil {
		t.Fatal(err)
	}
	if opt.Username != "app" || opt.Password != "pw" || opt.SentinelUsername != "sentry" || opt.SentinelPassword != "sp" {
		t.Fatalf("credentials: %q/%q, sentinels %q/%q", opt.Username, opt.Password, opt.SentinelUsername, opt.SentinelPassword)
	}
	if opt.DB != 2 || opt.PoolSize != 7 || opt.TLSConfig == nil || opt.MasterName != "m" ||
		strings.Join(opt.SentinelAddrs, ",") != "s1:26379,s2:26379" {
		t.Fatalf("options: db %d pool %d tls %v master %q sentinels %q", opt.DB, opt.PoolSize, opt.TLSConfig != nil, opt.MasterName, opt.SentinelAddrs)
	}
}

func TestOpenRedisErrorsNameTheVariableNotThePassword(t *testing.T) {
	for _, mode := range []string{config.RedisSingle, config.RedisCluster, config.RedisSentinel} {
		cfg := config.Config{RedisURL: "redis://u:hunter2@h:port/0", RedisConfig: config.RedisConfig{RedisMode: mode}}
		_, err := openRedis(cfg)
		if err == nil || !strings.Contains(err.Error(), "SHOPFLOW_REDIS_URL") || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("%s: want an error naming SHOPFLOW_REDIS_URL without the password, got %v", mode, err)
		}
	}
}
