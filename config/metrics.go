package config

import (
	"net"
	"strconv"
)

// MetricsConfig is where the worker serves /metrics and /healthz.
type MetricsConfig struct {
	// WorkerHTTPAddr is the worker's /metrics and /healthz address; empty serves neither.
	WorkerHTTPAddr string `env:"SHOPFLOW_WORKER_HTTP_ADDR" envDefault:"127.0.0.1:9091"`
}

// validateMetrics checks the worker's address: host:port or empty, and not the API's address,
// since `shopflow dev` serves both in one process and the second listener would fail.
func (c Config) validateMetrics(p *problems) {
	if c.WorkerHTTPAddr == "" {
		return
	}
	host, port, err := net.SplitHostPort(c.WorkerHTTPAddr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		p.add("SHOPFLOW_WORKER_HTTP_ADDR", "must be host:port (or empty to serve nothing), got %q", c.WorkerHTTPAddr)
		return
	}
	apiHost, apiPort, err := net.SplitHostPort(c.HTTPAddr)
	if err == nil && port == apiPort && port != "0" && (host == apiHost || wildcard(host) || wildcard(apiHost)) {
		p.add("SHOPFLOW_WORKER_HTTP_ADDR", "must differ from SHOPFLOW_HTTP_ADDR (%s): `shopflow dev` listens on both", c.HTTPAddr)
	}
}

// wildcard reports whether host listens on every interface.
func wildcard(host string) bool { return host == "" || host == "0.0.0.0" || host == "::" }
