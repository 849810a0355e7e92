package config

// TemporalConnConfig says how to reach a secured Temporal: TLS with a CA, mutual TLS with a
// client certificate, or an API key (Temporal Cloud). All empty: plaintext, as the dev server.
type TemporalConnConfig struct {
	// TemporalTLS turns TLS on with the system's roots (implied by any of the TLS files below).
	TemporalTLS bool `env:"SHOPFLOW_TEMPORAL_TLS" envDefault:"false"`
	// TemporalTLSCA is a PEM file of the CA that signed the server's certificate.
	TemporalTLSCA string `env:"SHOPFLOW_TEMPORAL_TLS_CA"`
	// TemporalTLSCert and TemporalTLSKey are the client's certificate and key, for mutual TLS.
	TemporalTLSCert string `env:"SHOPFLOW_TEMPORAL_TLS_CERT"`
	TemporalTLSKey  string `env:"SHOPFLOW_TEMPORAL_TLS_KEY"`
	// TemporalTLSServerName overrides the name checked in the server's certificate.
	TemporalTLSServerName string `env:"SHOPFLOW_TEMPORAL_TLS_SERVER_NAME"`
	// TemporalAPIKey authenticates to Temporal Cloud (implies TLS).
	TemporalAPIKey string `env:"SHOPFLOW_TEMPORAL_API_KEY"`
}

// validateTemporalConn checks the Temporal connection's security settings.
func (c Config) validateTemporalConn(p *problems) {}
