package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"
)

// TemporalConnConfig says how to reach a secured Temporal: TLS with a CA, mutual TLS with a
// client certificate, or an API key (Temporal Cloud). All empty: plaintext, as the dev server.
type TemporalConnConfig struct {
	// TemporalTLS turns TLS on with the system's roots (implied by any setting below).
	TemporalTLS bool `env:"SHOPFLOW_TEMPORAL_TLS" envDefault:"false"`
	// TemporalTLSCA is a PEM file of the CA that signed the server's certificate.
	TemporalTLSCA string `env:"SHOPFLOW_TEMPORAL_TLS_CA"`
	// TemporalTLSCert and TemporalTLSKey are the client's certificate and key, for mutual TLS.
	TemporalTLSCert string `env:"SHOPFLOW_TEMPORAL_TLS_CERT"`
	TemporalTLSKey  string `env:"SHOPFLOW_TEMPORAL_TLS_KEY"`
	// TemporalTLSServerName overrides the name checked in the server's certificate.
	TemporalTLSServerName string `env:"SHOPFLOW_TEMPORAL_TLS_SERVER_NAME"`
	// TemporalAPIKey authenticates to Temporal Cloud (implies TLS). It may be combined with a
	// client certificate: the key then travels as a bearer token over the mutual TLS
	// connection, which a self-hosted Temporal with a JWT authorizer behind mTLS wants.
	TemporalAPIKey string `env:"SHOPFLOW_TEMPORAL_API_KEY"`
}

// TemporalTLSEnabled says whether the connection to Temporal uses TLS: asked for, or implied
// by a CA, a client certificate, a server name or an API key (never sent in the clear).
func (c TemporalConnConfig) TemporalTLSEnabled() bool {
	return c.TemporalTLS || c.TemporalTLSCA != "" || c.TemporalTLSCert != "" || c.TemporalTLSKey != "" ||
		c.TemporalTLSServerName != "" || c.TemporalAPIKey != ""
}

// TemporalTLSConfig reads the CA and the client certificate and builds the connection's TLS
// settings; nil when TLS is off. Each error names the variable to fix. Validate calls it so a
// bad file stops start-up before any connection is tried.
func (c TemporalConnConfig) TemporalTLSConfig() (*tls.Config, error) {
	if !c.TemporalTLSEnabled() {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TemporalTLSServerName}
	var errs []error
	if c.TemporalTLSCA != "" {
		pool, err := loadCA(c.TemporalTLSCA)
		if err != nil {
			errs = append(errs, fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_CA: %w", err))
		}
		conf.RootCAs = pool
	}
	switch {
	case c.TemporalTLSCert == "" && c.TemporalTLSKey == "":
	case c.TemporalTLSKey == "":
		errs = append(errs, errors.New("SHOPFLOW_TEMPORAL_TLS_KEY: must be set with SHOPFLOW_TEMPORAL_TLS_CERT (mutual TLS needs the certificate's private key)"))
	case c.TemporalTLSCert == "":
		errs = append(errs, errors.New("SHOPFLOW_TEMPORAL_TLS_CERT: must be set with SHOPFLOW_TEMPORAL_TLS_KEY (mutual TLS needs the client certificate)"))
	default:
		cert, err := loadClientCert(c.TemporalTLSCert, c.TemporalTLSKey)
		if err != nil {
			errs = append(errs, err)
		} else {
			conf.Certificates = []tls.Certificate{cert}
		}
	}
	return conf, errors.Join(errs...)
}

// validateTemporalConn checks the Temporal connection's security settings, reading the files
// they name, so a missing or wrong certificate is reported with every other problem.
func (c Config) validateTemporalConn(p *problems) {
	_, err := c.TemporalTLSConfig()
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		*p = append(*p, joined.Unwrap()...)
	} else if err != nil {
		*p = append(*p, err)
	}
}

// loadCA reads a PEM file of one or more CA certificates.
func loadCA(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// loadClientCert reads the client's certificate and key, naming the variable of whichever
// is wrong.
func loadClientCert(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_CERT: %w", err)
	}
	leaf, err := firstCertificate(certFile, certPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_CERT: %w", err)
	}
	// The server would refuse it with a bare "bad certificate"; say why here instead.
	if now := time.Now(); now.After(leaf.NotAfter) {
		return tls.Certificate{}, fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_CERT: the certificate in %s expired on %s", certFile, leaf.NotAfter.Format(time.RFC3339))
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_KEY: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_KEY: %s is not the private key of the certificate in %s: %w", keyFile, certFile, err)
	}
	return cert, nil
}

// firstCertificate parses the first certificate of a PEM file: the client's own, followed
// by any intermediates.
func firstCertificate(file string, data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%s holds no PEM certificate", file)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return cert, nil
	}
}
