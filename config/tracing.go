package config

import (
	"net"
	"net/url"
	"strings"
)

// TracingConfig turns on OpenTelemetry tracing, exported over OTLP/gRPC; off when no endpoint is set.
type TracingConfig struct {
	// OTLPEndpoint is the collector: host:port (TLS unless OTLPInsecure) or an http:// or
	// https:// URL, whose scheme says whether TLS is used. Empty turns tracing off.
	OTLPEndpoint string `env:"SHOPFLOW_OTLP_ENDPOINT"`
	// OTLPInsecure sends spans to a host:port endpoint in plaintext (a collector beside the process).
	OTLPInsecure bool `env:"SHOPFLOW_OTLP_INSECURE" envDefault:"false"`
	// TraceSampleRatio is the share of new traces recorded, 0 to 1. A trace started upstream
	// keeps its caller's decision, so a trace is never cut in half between processes.
	TraceSampleRatio float64 `env:"SHOPFLOW_TRACE_SAMPLE_RATIO" envDefault:"1"`
	// ServiceName names the process's spans (service.name); API and worker may differ.
	ServiceName string `env:"SHOPFLOW_SERVICE_NAME" envDefault:"shopflow"`
}

// TracingOn reports whether spans are exported.
func (c TracingConfig) TracingOn() bool { return c.OTLPEndpoint != "" }

// validateTracing checks the tracing settings.
func (c Config) validateTracing(p *problems) {
	if c.TraceSampleRatio < 0 || c.TraceSampleRatio > 1 {
		p.add("SHOPFLOW_TRACE_SAMPLE_RATIO", "must be between 0 and 1, got %g", c.TraceSampleRatio)
	}
	if c.ServiceName == "" {
		p.add("SHOPFLOW_SERVICE_NAME", "must not be empty")
	}
	if c.OTLPEndpoint == "" {
		return
	}
	if strings.Contains(c.OTLPEndpoint, "://") {
		u, err := url.Parse(c.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("SHOPFLOW_OTLP_ENDPOINT", "must be host:port or an http:// or https:// URL, got %q", redact(c.OTLPEndpoint))
		}
		return
	}
	if host, port, err := net.SplitHostPort(c.OTLPEndpoint); err != nil || host == "" || port == "" {
		p.add("SHOPFLOW_OTLP_ENDPOINT", "must be host:port or an http:// or https:// URL, got %q", c.OTLPEndpoint)
	}
}
