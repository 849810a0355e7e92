// Package elasticsearch searches products in Elasticsearch 8. Engine implements search.Searcher
// with the same Query semantics as the Postgres backend, and search.Index so the SearchIndex
// workflow can keep it fresh and rebuild it behind an alias. Every request body is built with
// the client's typed API, so a malformed query fails to compile instead of failing in production.
package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"

	"shopflow/search"
)

// backendName is what Name and Result.Backend report.
const backendName = "elasticsearch"

// Defaults for Config's zero values.
const (
	defaultTimeout = 2 * time.Second
	// One shard holds 20-40 GB comfortably; a product document is a few KB, so even a catalog
	// of millions (a few GB to tens of GB) fits one. Add shards when an index nears ~30 GB
	// (shards = index size / 30 GB, rounded up); the count is fixed per physical index, so a
	// reindex (CreateIndex, Load, Swap) is how it changes. Custom routing would not help: every
	// query spans all products, so no query could be sent to fewer shards.
	defaultShards = 1
	// One replica keeps search up when a node dies and spreads query load over two copies.
	defaultReplicas = 1
)

// Config says where the cluster is and how to build indexes.
type Config struct {
	// URLs are the cluster's nodes; a request that cannot reach one is retried on another.
	URLs []string
	// Username and Password authenticate with HTTP basic auth, unless APIKey is set.
	Username, Password string
	// APIKey is the base64 "id:key" API key; it wins over Username and Password.
	APIKey string
	// IndexPrefix namespaces the indexes: the live alias is IndexPrefix+"products" and the
	// physical indexes behind it IndexPrefix+"products-<unix nanos>".
	IndexPrefix string
	// Timeout bounds each request to the cluster; zero means 2s. Size bulk batches to fit it.
	Timeout time.Duration
	// Transport replaces the HTTP transport (tests); nil uses the client's default.
	Transport http.RoundTripper
	// Shards is the number of primary shards of a new index; zero means 1 (see defaultShards).
	Shards int
	// Replicas is the number of replicas of a new index; zero means 1, negative means none (a
	// single-node development cluster).
	Replicas int
}

// Engine is the Elasticsearch search backend and index; it is safe for concurrent use.
type Engine struct {
	client   *elasticsearch.TypedClient
	alias    string
	prefix   string
	timeout  time.Duration
	shards   int
	replicas int
}

// Both interfaces are implemented by one value so the indexer and the searcher share a client.
var (
	_ search.Searcher = (*Engine)(nil)
	_ search.Index    = (*Engine)(nil)
)

// New returns an Engine for the cluster at cfg.URLs. It does not contact the cluster; use Ping.
func New(cfg Config) (*Engine, error) {
	if len(cfg.URLs) == 0 {
		// The client would fall back to $ELASTICSEARCH_URL or localhost; configuration must
		// come in explicitly instead.
		return nil, errors.New("elasticsearch: no URLs configured")
	}
	client, err := elasticsearch.NewTypedClient(elasticsearch.Config{
		Addresses: cfg.URLs,
		Username:  cfg.Username,
		Password:  cfg.Password,
		APIKey:    cfg.APIKey,
		Transport: cfg.Transport,
		// A request whose context is over cannot succeed on another node either.
		RetryOnError: func(req *http.Request, _ error) bool { return req.Context().Err() == nil },
		// A node answering 502/503/504 is often restarting or overloaded; give it a moment.
		RetryBackoff: func(attempt int) time.Duration { return time.Duration(attempt) * 50 * time.Millisecond },
	})
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: new client: %w", err)
	}
	e := &Engine{
		client:   client,
		alias:    cfg.IndexPrefix + "products",
		prefix:   cfg.IndexPrefix + "products-",
		timeout:  cfg.Timeout,
		shards:   cfg.Shards,
		replicas: cfg.Replicas,
	}
	if e.timeout <= 0 {
		e.timeout = defaultTimeout
	}
	if e.shards <= 0 {
		e.shards = defaultShards
	}
	switch {
	case e.replicas == 0:
		e.replicas = defaultReplicas
	case e.replicas < 0:
		e.replicas = 0
	}
	return e, nil
}

// Name reports the backend's name, as Result.Backend does.
func (e *Engine) Name() string { return backendName }

// Alias is the name of the live alias that searches read and Apply writes.
func (e *Engine) Alias() string { return e.alias }

// Ping checks that the cluster answers.
func (e *Engine) Ping(ctx context.Context) error {
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	ok, err := e.client.Ping().Do(ctx)
	if err != nil {
		return fmt.Errorf("elasticsearch ping: %w", err)
	}
	if !ok {
		return errors.New("elasticsearch ping: cluster answered with an error status")
	}
	return nil
}

// withTimeout bounds one request by the configured timeout, within ctx's own deadline.
func (e *Engine) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.timeout)
}

// isStatus reports whether err is an Elasticsearch error response with the given HTTP status.
func isStatus(err error, status int) bool {
	var esErr *types.ElasticsearchError
	return errors.As(err, &esErr) && esErr.Status == status
}
