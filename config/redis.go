package config

// RedisConfig chooses how Redis runs: one node (SHOPFLOW_REDIS_URL), a Redis Cluster, or a
// Sentinel-watched primary, all through go-redis's universal client.
type RedisConfig struct {
	// RedisMode is single, cluster or sentinel.
	RedisMode string `env:"SHOPFLOW_REDIS_MODE" envDefault:"single"`
}

// validateRedis checks the Redis topology settings.
func (c Config) validateRedis(p *problems) {}
