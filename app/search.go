package app

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"shopflow/config"
	"shopflow/search"
	"shopflow/search/elasticsearch"
	pgsearch "shopflow/search/postgres"
	"shopflow/workflows"
)

// searchCooldown is how long searches skip a failing Elasticsearch before trying it again.
const searchCooldown = 5 * time.Second

// buildSearch builds the searcher the API answers with and the index the worker keeps fresh
// (nil with the postgres backend, which reads its tables directly). Each API server has its
// own answer cache (apiDeps). Postgres searches read a replica within the lag bound when there
// is one (Store.Reader).
func (a *App) buildSearch() error {
	cfg := a.Config
	pg := &pgsearch.Searcher{Pool: a.Pool, Reader: a.Store.Reader}
	a.SearchCatalog = &pgsearch.Catalog{Pool: a.Pool}
	if cfg.SearchBackend != config.SearchElasticsearch {
		a.Searcher = pg
		return nil
	}
	engine, err := elasticsearch.New(ElasticsearchConfig(cfg))
	if err != nil {
		return fmt.Errorf("SHOPFLOW_ELASTICSEARCH_URLS: %w", err)
	}
	fallbacks := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shopflow_search_fallbacks_total",
		Help: "Searches and suggestions Postgres answered because Elasticsearch failed, timed out or was skipped while failing.",
	}, []string{"op"})
	if err := a.Registry.Register(fallbacks); err != nil {
		return fmt.Errorf("register search metrics: %w", err)
	}
	a.Searcher = search.NewFallback(engine, pg, searchCooldown, a.Log, func(op string) { fallbacks.WithLabelValues(op).Inc() })
	a.SearchIndex = engine
	return nil
}

// ElasticsearchConfig is the Elasticsearch client's configuration from Shopflow's.
func ElasticsearchConfig(cfg config.Config) elasticsearch.Config {
	return elasticsearch.Config{
		URLs:        cfg.ElasticsearchURLs,
		Username:    cfg.ElasticsearchUsername,
		Password:    cfg.ElasticsearchPassword,
		APIKey:      cfg.ElasticsearchAPIKey,
		IndexPrefix: cfg.ElasticsearchIndexPrefix,
		Timeout:     cfg.ElasticsearchTimeout,
		Shards:      cfg.ElasticsearchShards,
		Replicas:    replicas(cfg.ElasticsearchReplicas),
	}
}

// replicas maps Shopflow's replica count to the client's, whose zero means its default.
func replicas(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// EnsureSearchIndex starts the first reindex when Elasticsearch is the backend and its alias
// points at no index yet (a new cluster, or a new index prefix), so a deploy needs no manual
// step; with the postgres backend there is nothing to build. Part of `shopflow temporal setup`.
func EnsureSearchIndex(ctx context.Context, cfg config.Config, tc client.Client) (started bool, err error) {
	if cfg.SearchBackend != config.SearchElasticsearch {
		return false, nil
	}
	engine, err := elasticsearch.New(ElasticsearchConfig(cfg))
	if err != nil {
		return false, fmt.Errorf("SHOPFLOW_ELASTICSEARCH_URLS: %w", err)
	}
	live, err := engine.Live(ctx)
	if err != nil {
		return false, fmt.Errorf("look up the search alias: %w", err)
	}
	if len(live) > 0 {
		return false, nil
	}
	jobs := &workflows.Jobs{Client: tc, TaskQueue: cfg.BatchTaskQueue}
	if _, _, err := jobs.ReindexSearch(ctx); err != nil {
		return false, err
	}
	return true, nil
}
