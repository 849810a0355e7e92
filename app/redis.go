package app

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"shopflow/config"
)

// openRedis builds the Redis client for the configured topology (SHOPFLOW_REDIS_MODE).
func openRedis(cfg config.Config) (redis.UniversalClient, error) {
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("SHOPFLOW_REDIS_URL: %w", err)
	}
	return redis.NewClient(ropt), nil
}
