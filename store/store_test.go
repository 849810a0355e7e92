package store

import (
	"testing"
	"time"
)

// A connection attempt is bounded unless the URL says otherwise, and the pool is sized for a
// process serving the API and sagas at once.
func TestPoolConfigDefaults(t *testing.T) {
	cfg, err := poolConfig("postgres://postgres@127.0.0.1:5432/shop")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.ConnectTimeout != defaultConnectTimeout || cfg.MaxConns != defaultMaxConns {
		t.Errorf("connect timeout %s, max conns %d; want %s and %d", cfg.ConnConfig.ConnectTimeout, cfg.MaxConns,
			defaultConnectTimeout, defaultMaxConns)
	}
	cfg, err = poolConfig("postgres://postgres@127.0.0.1:5432/shop?connect_timeout=2&pool_max_conns=7")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.ConnectTimeout != 2*time.Second || cfg.MaxConns != 7 {
		t.Errorf("the URL's settings lost: connect timeout %s, max conns %d", cfg.ConnConfig.ConnectTimeout, cfg.MaxConns)
	}
}
