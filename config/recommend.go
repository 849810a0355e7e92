package config

// RecommendConfig is how recommendations are computed and served.
type RecommendConfig struct{}

// validateRecommend checks the recommendation settings.
func (c Config) validateRecommend(p *problems) {}
