package app

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"

	"shopflow/config"
)

// openRedis builds the Redis client for the configured topology (SHOPFLOW_REDIS_MODE). Every
// consumer takes a redis.UniversalClient; only the keys that must change together share a
// Cluster slot (see ranking's hash tags), so nothing else cares which client it got.
func openRedis(cfg config.Config) (redis.UniversalClient, error) {
	switch cfg.RedisMode {
	case config.RedisCluster:
		opt, err := clusterOptions(cfg)
		if err != nil {
			return nil, err
		}
		return redis.NewClusterClient(opt), nil
	case config.RedisSentinel:
		opt, err := failoverOptions(cfg)
		if err != nil {
			return nil, err
		}
		return redis.NewFailoverClient(opt), nil
	default:
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, urlError(err)
		}
		return redis.NewClient(opt), nil
	}
}

// clusterOptions reads the URL's credentials, TLS and options; the seeds are the URL's host
// (an ElastiCache configuration endpoint, say) or SHOPFLOW_REDIS_ADDRS when set.
func clusterOptions(cfg config.Config) (*redis.ClusterOptions, error) {
	opt, err := redis.ParseClusterURL(cfg.RedisURL)
	if err != nil {
		return nil, urlError(err)
	}
	if addrs := trimmed(cfg.RedisAddrs); len(addrs) > 0 {
		opt.Addrs = addrs
	}
	return opt, nil
}

// failoverOptions asks the sentinels in SHOPFLOW_REDIS_ADDRS for the primary named
// SHOPFLOW_REDIS_SENTINEL_MASTER. The URL's user and password are the primary's (as in the
// other modes; go-redis's own failover URL reads them as the sentinels'), its database and
// options apply to the primary, and its host is not dialled.
func failoverOptions(cfg config.Config) (*redis.FailoverOptions, error) {
	opt, err := redis.ParseFailoverURL(cfg.RedisURL)
	if err != nil {
		return nil, urlError(err)
	}
	if opt.SentinelUsername != "" || opt.SentinelPassword != "" {
		opt.Username, opt.Password = opt.SentinelUsername, opt.SentinelPassword
	}
	opt.SentinelUsername, opt.SentinelPassword = cfg.RedisSentinelUsername, cfg.RedisSentinelPassword
	opt.SentinelAddrs = trimmed(cfg.RedisAddrs)
	opt.MasterName = cfg.RedisSentinelMaster
	return opt, nil
}

// urlError names the variable and drops the URL itself, which may hold a password.
func urlError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return fmt.Errorf("SHOPFLOW_REDIS_URL: %w", err)
}

// trimmed drops the spaces an operator may write after the commas of a list.
func trimmed(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
