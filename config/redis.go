package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Redis topologies (SHOPFLOW_REDIS_MODE).
const (
	RedisSingle   = "single"
	RedisCluster  = "cluster"
	RedisSentinel = "sentinel"
)

// RedisConfig chooses how Redis runs: one node (SHOPFLOW_REDIS_URL), a Redis Cluster, or a
// Sentinel-watched primary, all through go-redis's universal client. In every mode
// SHOPFLOW_REDIS_URL carries the scheme (rediss:// for TLS), the data nodes' credentials, the
// database and go-redis's query options; SHOPFLOW_REDIS_ADDRS, when set, lists the hosts to
// dial in place of the URL's host, so a password lives in one variable only.
type RedisConfig struct {
	// RedisMode is single, cluster or sentinel.
	RedisMode string `env:"SHOPFLOW_REDIS_MODE" envDefault:"single"`
	// RedisAddrs are host:port seeds of a cluster (optional: the URL's host is one), or the
	// sentinels (required in sentinel mode).
	RedisAddrs []string `env:"SHOPFLOW_REDIS_ADDRS" envSeparator:","`
	// RedisSentinelMaster is the name the sentinels monitor the primary under.
	RedisSentinelMaster string `env:"SHOPFLOW_REDIS_SENTINEL_MASTER"`
	// RedisSentinelUsername and RedisSentinelPassword authenticate to the sentinels
	// themselves, which have their own ACL (requirepass in sentinel.conf).
	RedisSentinelUsername string `env:"SHOPFLOW_REDIS_SENTINEL_USERNAME"`
	RedisSentinelPassword string `env:"SHOPFLOW_REDIS_SENTINEL_PASSWORD"`
}

// validateRedis checks the Redis topology settings; the URL itself is checked with the other
// connections. No message repeats a password.
func (c Config) validateRedis(p *problems) {
	switch c.RedisMode {
	case RedisSingle, RedisCluster, RedisSentinel:
	default:
		p.add("SHOPFLOW_REDIS_MODE", "must be single, cluster or sentinel, got %q", c.RedisMode)
		return
	}
	for _, a := range c.RedisAddrs {
		if !hostPort(a) {
			p.add("SHOPFLOW_REDIS_ADDRS", "must be comma-separated host:port addresses, got %q", a)
		}
	}
	if c.RedisMode == RedisSingle && len(c.RedisAddrs) > 0 {
		p.add("SHOPFLOW_REDIS_ADDRS", "is only used with SHOPFLOW_REDIS_MODE=cluster or sentinel")
	}
	if c.RedisMode != RedisSentinel && c.RedisSentinelMaster != "" {
		p.add("SHOPFLOW_REDIS_SENTINEL_MASTER", "is only used with SHOPFLOW_REDIS_MODE=sentinel")
	}
	switch c.RedisMode {
	case RedisCluster:
		c.validateRedisCluster(p)
	case RedisSentinel:
		if len(c.RedisAddrs) == 0 {
			p.add("SHOPFLOW_REDIS_ADDRS", "must list the sentinels (host:port,...) when SHOPFLOW_REDIS_MODE=sentinel")
		}
		if c.RedisSentinelMaster == "" {
			p.add("SHOPFLOW_REDIS_SENTINEL_MASTER", "must name the monitored primary when SHOPFLOW_REDIS_MODE=sentinel")
		}
	}
}

// validateRedisCluster checks what a Redis Cluster cannot do: databases other than 0, and a key
// prefix with a hash tag, which would put every key of the deployment in one slot (one node)
// and override the tags that keep a ranking generation together.
func (c Config) validateRedisCluster(p *problems) {
	if u, err := url.Parse(c.RedisURL); err == nil {
		if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
			p.add("SHOPFLOW_REDIS_URL", "must use database 0 (or none) when SHOPFLOW_REDIS_MODE=cluster: a Redis Cluster has only database 0, got database %q", db)
		}
	}
	if strings.ContainsAny(c.RedisPrefix, "{}") {
		p.add("SHOPFLOW_REDIS_PREFIX", "must not contain '{' or '}' when SHOPFLOW_REDIS_MODE=cluster (a hash tag would put every key on one node), got %q", c.RedisPrefix)
	}
}

// hostPort reports whether a is host:port with a non-empty host and a port number.
func hostPort(a string) bool {
	h, port, err := net.SplitHostPort(strings.TrimSpace(a))
	if err != nil || h == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}
