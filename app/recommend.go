package app

import (
	"shopflow/ranking"
	"shopflow/recommend"
)

// recommendations is the cache the API serves recommendations from: lists from Redis,
// products and customers' purchases from Postgres, and top sellers through a ranking cache
// of its own (the top-sellers endpoint's is built inside api.New, out of reach here).
func (a *App) recommendations() *recommend.Cache {
	cfg := a.Config
	return recommend.NewCache(recommend.Deps{
		Lists:      recommend.Reader{Redis: a.Redis, Prefix: cfg.RedisPrefix},
		Catalog:    a.Store,
		TopSellers: recommend.RankingTopSellers{Ranks: ranking.NewCache(cfg, a.Redis, a.Pool, a.Log)},
		TTL:        cfg.RecsCacheTTL,
		Logger:     a.Log,
	})
}
