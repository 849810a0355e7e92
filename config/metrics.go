package config

// MetricsConfig is where the worker serves /metrics and /healthz.
type MetricsConfig struct {
	// WorkerHTTPAddr is the worker's /metrics and /healthz address; empty serves neither.
	WorkerHTTPAddr string `env:"SHOPFLOW_WORKER_HTTP_ADDR" envDefault:"127.0.0.1:9091"`
}

// validateMetrics checks the metrics settings.
func (c Config) validateMetrics(p *problems) {}
