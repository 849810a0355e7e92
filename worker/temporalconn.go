package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"

	"shopflow/config"
)

// secureConnection applies the Temporal connection's TLS, mutual TLS or API key settings.
func secureConnection(opts *client.Options, cfg config.Config) error {
	tlsConf, err := cfg.TemporalTLSConfig()
	if err != nil {
		return err
	}
	opts.ConnectionOptions.TLS = tlsConf
	if cfg.TemporalAPIKey != "" {
		// Sent as "authorization: Bearer <key>" on every call.
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	return nil
}

// checkNamespace fails when the namespace the client was built for does not exist: the SDK's
// health check passes without one, and every later call would fail with a less direct error.
func checkNamespace(ctx context.Context, c client.Client, opts client.Options) error {
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: opts.Namespace})
	switch serviceerror.ToStatus(err).Code() {
	case codes.OK:
		return nil
	case codes.NotFound:
		return fmt.Errorf("SHOPFLOW_TEMPORAL_NAMESPACE: namespace %q not found on %s", opts.Namespace, opts.HostPort)
	case codes.PermissionDenied:
		return fmt.Errorf("SHOPFLOW_TEMPORAL_NAMESPACE: namespace %q on %s refuses these credentials (check the certificate's or API key's access to it): %w", opts.Namespace, opts.HostPort, err)
	default:
		return fmt.Errorf("describe namespace %q on %s: %w", opts.Namespace, opts.HostPort, explainConnError(err, opts))
	}
}

// explainConnError names the variable to fix when connecting failed for a reason an operator
// can set right. gRPC reports TLS failures as text inside an Unavailable status, with the
// x509 and tls error types gone, so the text is what there is to match.
func explainConnError(err error, opts client.Options) error {
	msg := err.Error()
	hasCert := opts.ConnectionOptions.TLS != nil && len(opts.ConnectionOptions.TLS.Certificates) > 0
	switch {
	case strings.Contains(msg, "certificate signed by unknown authority"):
		return fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_CA: the server's certificate is not signed by a CA this process trusts; "+
			"set SHOPFLOW_TEMPORAL_TLS_CA to the PEM file of the CA that signed it: %w", err)
	case strings.Contains(msg, "x509: certificate is valid for"):
		return fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_SERVER_NAME: the server's certificate is for another name; "+
			"set SHOPFLOW_TEMPORAL_TLS_SERVER_NAME to a name it is valid for: %w", err)
	case errors.Is(err, errServerSpeaksTLS):
		return fmt.Errorf("SHOPFLOW_TEMPORAL_TLS: the server speaks TLS; set SHOPFLOW_TEMPORAL_TLS=true, "+
			"or the CA, client certificate or API key it needs: %w", err)
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return fmt.Errorf("SHOPFLOW_TEMPORAL_TLS: the server does not speak TLS; unset the SHOPFLOW_TEMPORAL_TLS* variables and SHOPFLOW_TEMPORAL_API_KEY: %w", err)
	case strings.Contains(msg, "remote error: tls:") && !hasCert:
		return fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_CERT: the server demands a client certificate; "+
			"set SHOPFLOW_TEMPORAL_TLS_CERT and SHOPFLOW_TEMPORAL_TLS_KEY: %w", err)
	case strings.Contains(msg, "remote error: tls:"):
		return fmt.Errorf("SHOPFLOW_TEMPORAL_TLS_CERT: the server refused the client certificate "+
			"(not signed by a CA it trusts, expired, or not allowed): %w", err)
	}
	if opts.Credentials != nil && serviceerror.ToStatus(err).Code() == codes.Unauthenticated {
		return fmt.Errorf("SHOPFLOW_TEMPORAL_API_KEY: the server refused the API key: %w", err)
	}
	return err
}
