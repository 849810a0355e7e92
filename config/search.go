package config

import (
	"net/url"
	"strings"
	"time"
)

// Search backends.
const (
	SearchPostgres      = "postgres"
	SearchElasticsearch = "elasticsearch"
)

// SearchConfig says which engine answers product searches and how to reach it.
type SearchConfig struct {
	// SearchBackend is postgres (the default: full text and trigrams in the primary database,
	// always fresh) or elasticsearch (kept fresh from the change queue, with Postgres answering
	// whenever it fails).
	SearchBackend string `env:"SHOPFLOW_SEARCH_BACKEND" envDefault:"postgres"`
	// ElasticsearchURLs are the cluster's nodes; requests go round-robin and retry on another node.
	ElasticsearchURLs     []string `env:"SHOPFLOW_ELASTICSEARCH_URLS" envSeparator:","`
	ElasticsearchUsername string   `env:"SHOPFLOW_ELASTICSEARCH_USERNAME"`
	ElasticsearchPassword string   `env:"SHOPFLOW_ELASTICSEARCH_PASSWORD"`
	// ElasticsearchAPIKey is used instead of a username and password when set (base64 id:key).
	ElasticsearchAPIKey string `env:"SHOPFLOW_ELASTICSEARCH_API_KEY"`
	// ElasticsearchIndexPrefix namespaces the alias and indexes, so deployments can share a cluster.
	ElasticsearchIndexPrefix string `env:"SHOPFLOW_ELASTICSEARCH_INDEX_PREFIX" envDefault:"shopflow-"`
	// ElasticsearchShards and ElasticsearchReplicas shape each new physical index (a reindex
	// applies a change): about one primary shard per 20-40 GB of index, replicas for read
	// throughput and failover. docs/SEARCH.md sizes a catalog of millions.
	ElasticsearchShards   int `env:"SHOPFLOW_ELASTICSEARCH_SHARDS" envDefault:"1"`
	ElasticsearchReplicas int `env:"SHOPFLOW_ELASTICSEARCH_REPLICAS" envDefault:"1"`
	// ElasticsearchTimeout bounds one request; a search that takes longer is answered by Postgres.
	ElasticsearchTimeout time.Duration `env:"SHOPFLOW_ELASTICSEARCH_TIMEOUT" envDefault:"2s"`
	// SearchCacheTTL is how long a search's answer is reused (from Redis and in process), so
	// a flash sale's burst of the same queries reaches the engine once per TTL; 0 turns it off.
	SearchCacheTTL time.Duration `env:"SHOPFLOW_SEARCH_CACHE_TTL" envDefault:"2s"`
	// SearchHideOutOfStock drops sold-out products from searches instead of listing them last.
	SearchHideOutOfStock bool `env:"SHOPFLOW_SEARCH_HIDE_OUT_OF_STOCK" envDefault:"false"`
}

// validateSearch checks the search backend and, for Elasticsearch, where its nodes are.
func (c Config) validateSearch(p *problems) {
	switch c.SearchBackend {
	case SearchPostgres:
	case SearchElasticsearch:
		if len(c.ElasticsearchURLs) == 0 {
			p.add("SHOPFLOW_ELASTICSEARCH_URLS", "must list the cluster's nodes when SHOPFLOW_SEARCH_BACKEND=elasticsearch")
		}
	default:
		p.add("SHOPFLOW_SEARCH_BACKEND", "must be postgres or elasticsearch, got %q", c.SearchBackend)
	}
	for _, raw := range c.ElasticsearchURLs {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("SHOPFLOW_ELASTICSEARCH_URLS", "must be comma-separated http(s) URLs, got %q", redact(raw))
		}
	}
	if c.ElasticsearchTimeout <= 0 || c.ElasticsearchTimeout > time.Minute {
		p.add("SHOPFLOW_ELASTICSEARCH_TIMEOUT", "must be between 1ms and 1m, got %s", c.ElasticsearchTimeout)
	}
	if c.ElasticsearchShards < 1 || c.ElasticsearchShards > 1024 {
		p.add("SHOPFLOW_ELASTICSEARCH_SHARDS", "must be between 1 and 1024, got %d", c.ElasticsearchShards)
	}
	if c.ElasticsearchReplicas < 0 || c.ElasticsearchReplicas > 16 {
		p.add("SHOPFLOW_ELASTICSEARCH_REPLICAS", "must be between 0 and 16, got %d", c.ElasticsearchReplicas)
	}
	if c.SearchCacheTTL < 0 || c.SearchCacheTTL > 5*time.Minute {
		p.add("SHOPFLOW_SEARCH_CACHE_TTL", "must be between 0s and 5m, got %s", c.SearchCacheTTL)
	}
	if !validIndexPrefix(c.ElasticsearchIndexPrefix) {
		p.add("SHOPFLOW_ELASTICSEARCH_INDEX_PREFIX", "must be lowercase letters, digits, - or _, got %q", c.ElasticsearchIndexPrefix)
	}
}

// validIndexPrefix follows Elasticsearch's index name rules for the part Shopflow lets you choose.
func validIndexPrefix(s string) bool {
	if len(s) > 100 || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "_") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
