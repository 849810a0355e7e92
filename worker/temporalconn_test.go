package worker

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"shopflow/config"
	"shopflow/tlstest"
)

// connOptions builds client options from SHOPFLOW_ variables, as a process does.
func connOptions(t *testing.T, vars ...string) (client.Options, error) {
	t.Helper()
	cfg, err := config.Load(vars)
	if err != nil {
		return client.Options{}, err
	}
	return ClientOptions(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
}

func TestConnOptions(t *testing.T) {
	ca := tlstest.NewCA(t, "conn-ca")
	cert, key := ca.Issue("client", false)
	for _, tc := range []struct {
		name  string
		vars  []string
		check func(t *testing.T, o client.Options)
	}{
		{"plaintext by default", nil, func(t *testing.T, o client.Options) {
			if o.ConnectionOptions.TLS != nil || o.Credentials != nil {
				t.Errorf("TLS %v, credentials %v: want neither", o.ConnectionOptions.TLS, o.Credentials)
			}
		}},
		{"TLS with the system's roots", []string{"SHOPFLOW_TEMPORAL_TLS=true"}, func(t *testing.T, o client.Options) {
			if tc := o.ConnectionOptions.TLS; tc == nil || tc.RootCAs != nil || len(tc.Certificates) != 0 {
				t.Errorf("TLS %+v: want TLS on, system roots, no client certificate", tc)
			}
		}},
		{"a CA implies TLS", []string{"SHOPFLOW_TEMPORAL_TLS_CA=" + ca.CertPEM}, func(t *testing.T, o client.Options) {
			if tc := o.ConnectionOptions.TLS; tc == nil || tc.RootCAs == nil {
				t.Errorf("TLS %+v: want the CA as roots", tc)
			}
		}},
		{"mutual TLS and a server name", []string{"SHOPFLOW_TEMPORAL_TLS_CERT=" + cert, "SHOPFLOW_TEMPORAL_TLS_KEY=" + key,
			"SHOPFLOW_TEMPORAL_TLS_SERVER_NAME=temporal.test"}, func(t *testing.T, o client.Options) {
			if tc := o.ConnectionOptions.TLS; tc == nil || len(tc.Certificates) != 1 || tc.ServerName != "temporal.test" {
				t.Errorf("TLS %+v: want one client certificate and server name temporal.test", tc)
			}
		}},
		{"an API key implies TLS", []string{"SHOPFLOW_TEMPORAL_API_KEY=k"}, func(t *testing.T, o client.Options) {
			if o.Credentials == nil || o.ConnectionOptions.TLS == nil {
				t.Errorf("credentials %v, TLS %v: want both", o.Credentials, o.ConnectionOptions.TLS)
			}
		}},
		{"an API key over mutual TLS", []string{"SHOPFLOW_TEMPORAL_API_KEY=k",
			"SHOPFLOW_TEMPORAL_TLS_CERT=" + cert, "SHOPFLOW_TEMPORAL_TLS_KEY=" + key}, func(t *testing.T, o client.Options) {
			if o.Credentials == nil || o.ConnectionOptions.TLS == nil || len(o.ConnectionOptions.TLS.Certificates) != 1 {
				t.Errorf("credentials %v, TLS %+v: want the key and the certificate", o.Credentials, o.ConnectionOptions.TLS)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := connOptions(t, tc.vars...)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, o)
		})
	}
}

func TestConnConfigErrors(t *testing.T) {
	ca := tlstest.NewCA(t, "conn-ca")
	cert, key := ca.Issue("client", false)
	_, otherKey := ca.Issue("other", false)
	expired := expiredCert(t, ca)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, tc := range []struct {
		name string
		vars []string
		want []string
	}{
		{"certificate without key", []string{"SHOPFLOW_TEMPORAL_TLS_CERT=" + cert},
			[]string{"SHOPFLOW_TEMPORAL_TLS_KEY: must be set with SHOPFLOW_TEMPORAL_TLS_CERT"}},
		{"key without certificate", []string{"SHOPFLOW_TEMPORAL_TLS_KEY=" + key},
			[]string{"SHOPFLOW_TEMPORAL_TLS_CERT: must be set with SHOPFLOW_TEMPORAL_TLS_KEY"}},
		{"missing CA", []string{"SHOPFLOW_TEMPORAL_TLS_CA=" + missing},
			[]string{"SHOPFLOW_TEMPORAL_TLS_CA: open " + missing}},
		{"CA not PEM", []string{"SHOPFLOW_TEMPORAL_TLS_CA=" + garbage},
			[]string{"SHOPFLOW_TEMPORAL_TLS_CA: " + garbage + " holds no PEM certificate"}},
		{"certificate not PEM", []string{"SHOPFLOW_TEMPORAL_TLS_CERT=" + garbage, "SHOPFLOW_TEMPORAL_TLS_KEY=" + key},
			[]string{"SHOPFLOW_TEMPORAL_TLS_CERT: " + garbage + " holds no PEM certificate"}},
		{"missing key", []string{"SHOPFLOW_TEMPORAL_TLS_CERT=" + cert, "SHOPFLOW_TEMPORAL_TLS_KEY=" + missing},
			[]string{"SHOPFLOW_TEMPORAL_TLS_KEY: open " + missing}},
		{"key of another certificate", []string{"SHOPFLOW_TEMPORAL_TLS_CERT=" + cert, "SHOPFLOW_TEMPORAL_TLS_KEY=" + otherKey},
			[]string{"SHOPFLOW_TEMPORAL_TLS_KEY: " + otherKey + " is not the private key of the certificate in " + cert}},
		{"expired certificate", []string{"SHOPFLOW_TEMPORAL_TLS_CERT=" + expired, "SHOPFLOW_TEMPORAL_TLS_KEY=" + key},
			[]string{"SHOPFLOW_TEMPORAL_TLS_CERT: the certificate in " + expired + " expired on"}},
		{"every problem at once", []string{"SHOPFLOW_TEMPORAL_TLS_CA=" + missing, "SHOPFLOW_TEMPORAL_TLS_KEY=" + key},
			[]string{"SHOPFLOW_TEMPORAL_TLS_CA: open", "SHOPFLOW_TEMPORAL_TLS_CERT: must be set"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := connOptions(t, tc.vars...)
			if err == nil {
				t.Fatal("config loaded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// expiredCert writes a client certificate that expired an hour ago.
func expiredCert(t *testing.T, ca *tlstest.CA) string {
	return ca.IssueExpired("expired")
}

// TestConnExplain checks that each failure an operator can fix names the variable to set.
func TestConnExplain(t *testing.T) {
	ca := tlstest.NewCA(t, "conn-ca")
	cert, key := ca.Issue("client", false)
	withCert, err := connOptions(t, "SHOPFLOW_TEMPORAL_TLS_CERT="+cert, "SHOPFLOW_TEMPORAL_TLS_KEY="+key)
	if err != nil {
		t.Fatal(err)
	}
	withoutCert, err := connOptions(t, "SHOPFLOW_TEMPORAL_TLS=true")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cause string
		opts  client.Options
		want  string
	}{
		{"tls: failed to verify certificate: x509: certificate signed by unknown authority", withCert, "SHOPFLOW_TEMPORAL_TLS_CA: "},
		{"x509: certificate is valid for temporal.test, not other.test", withCert, "SHOPFLOW_TEMPORAL_TLS_SERVER_NAME: "},
		{"remote error: tls: certificate required", withoutCert, "SHOPFLOW_TEMPORAL_TLS_CERT: the server demands a client certificate; set SHOPFLOW_TEMPORAL_TLS_CERT and SHOPFLOW_TEMPORAL_TLS_KEY"},
		{"remote error: tls: unknown certificate authority", withCert, "SHOPFLOW_TEMPORAL_TLS_CERT: the server refused the client certificate"},
		{"tls: first record does not look like a TLS handshake", withoutCert, "SHOPFLOW_TEMPORAL_TLS: the server does not speak TLS"},
		{"connection refused", withCert, "connection refused"},
	} {
		cause := errors.New(tc.cause)
		err := explainConnError(cause, tc.opts)
		if !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, cause) {
			t.Errorf("%s: got %q, want it to start with %q and wrap the cause", tc.cause, err, tc.want)
		}
	}
	plain, err := connOptions(t)
	if err != nil {
		t.Fatal(err)
	}
	cause := fmt.Errorf("error reading server preface: EOF; the TLS handshake alone: %w", errServerSpeaksTLS)
	if err := explainConnError(cause, plain); !strings.HasPrefix(err.Error(), "SHOPFLOW_TEMPORAL_TLS: the server speaks TLS; set SHOPFLOW_TEMPORAL_TLS=true") {
		t.Errorf("plaintext to a TLS server: got %q", err)
	}
}
