package config

// TracingConfig turns on OpenTelemetry tracing, exported over OTLP; off when no endpoint is set.
type TracingConfig struct {
	// OTLPEndpoint is the OTLP collector (host:port for gRPC); empty turns tracing off.
	OTLPEndpoint string `env:"SHOPFLOW_OTLP_ENDPOINT"`
}

// validateTracing checks the tracing settings.
func (c Config) validateTracing(p *problems) {}
