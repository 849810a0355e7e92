package config

import "time"

// RecommendConfig is how recommendations are computed and served.
type RecommendConfig struct {
	// RecsWindow is the trailing window of sales the "also bought" lists count, in whole days.
	RecsWindow time.Duration `env:"SHOPFLOW_RECS_WINDOW" envDefault:"2160h"`
	// RecsMinSupport is how many orders in the window must hold two products before one is
	// recommended beside the other: below it a pair is chance, not a pattern.
	RecsMinSupport int `env:"SHOPFLOW_RECS_MIN_SUPPORT" envDefault:"3"`
	// RecsN is how many products each "also bought" list keeps.
	RecsN int `env:"SHOPFLOW_RECS_N" envDefault:"20"`
	// RecsInterval is how often the Schedule brings the lists up to date with new sales.
	RecsInterval time.Duration `env:"SHOPFLOW_RECS_INTERVAL" envDefault:"1h"`
	// RecsCacheTTL is how long an API process reuses a list read from Redis.
	RecsCacheTTL time.Duration `env:"SHOPFLOW_RECS_CACHE_TTL" envDefault:"30s"`
}

// RecsWindowDays is the window in days.
func (c RecommendConfig) RecsWindowDays() int { return int(c.RecsWindow / (24 * time.Hour)) }

// validateRecommend checks the recommendation settings.
func (c Config) validateRecommend(p *problems) {
	const day = 24 * time.Hour
	// Pair counts are kept in day buckets, so the window is whole days; a year at most bounds
	// the buckets kept.
	if c.RecsWindow < day || c.RecsWindow > 366*day || c.RecsWindow%day != 0 {
		p.add("SHOPFLOW_RECS_WINDOW", "must be a whole number of days (in hours, e.g. 2160h), 24h to 8784h, got %s", c.RecsWindow)
	}
	// One order holding two products is chance; the pair indexes hold pairs seen twice or more.
	if c.RecsMinSupport < 2 || c.RecsMinSupport > 1000 {
		p.add("SHOPFLOW_RECS_MIN_SUPPORT", "must be between 2 and 1000, got %d", c.RecsMinSupport)
	}
	if c.RecsN < 1 || c.RecsN > 100 {
		p.add("SHOPFLOW_RECS_N", "must be between 1 and 100, got %d", c.RecsN)
	}
	if c.RecsInterval < time.Minute || c.RecsInterval > day {
		p.add("SHOPFLOW_RECS_INTERVAL", "must be between 1m and 24h, got %s", c.RecsInterval)
	}
	if c.RecsCacheTTL < 0 || c.RecsCacheTTL > 10*time.Minute {
		p.add("SHOPFLOW_RECS_CACHE_TTL", "must be between 0s and 10m, got %s", c.RecsCacheTTL)
	}
}
