package e2e

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"shopflow/app"
	"shopflow/config"
	"shopflow/tlstest"
	"shopflow/worker"
)

// TestTemporalTLS connects through a TLS terminator that demands a client certificate signed
// by the test's CA, in front of the suite's dev server, as Shopflow meets a secured Temporal:
// the right settings connect, each wrong one stops start-up naming the variable to fix.
func TestTemporalTLS(t *testing.T) {
	if suite.err != nil {
		t.Fatal(suite.err)
	}
	ca := tlstest.NewCA(t, "temporal-ca")
	srvCert, srvKey := ca.Issue("temporal-server", true, "127.0.0.1", "temporal.test")
	front := startTLSTerminator(t, ca.ServerTLS(srvCert, srvKey), suite.address)
	cert, key := ca.Issue("shopflow-worker", false)
	rogue := tlstest.NewCA(t, "rogue-ca")
	rogueCert, rogueKey := rogue.Issue("rogue-worker", false)

	base := []string{"SHOPFLOW_TEMPORAL_ADDRESS=" + front.addr, "SHOPFLOW_TEMPORAL_NAMESPACE=default"}
	mtls := slices.Concat(base, []string{"SHOPFLOW_TEMPORAL_TLS_CA=" + ca.CertPEM,
		"SHOPFLOW_TEMPORAL_TLS_CERT=" + cert, "SHOPFLOW_TEMPORAL_TLS_KEY=" + key})

	t.Run("right certificate connects", func(t *testing.T) {
		c, err := dialTLS(t, false, mtls...)
		if err != nil {
			t.Fatal(err)
		}
		useTemporal(t, c)
	})
	t.Run("server name override", func(t *testing.T) {
		c, err := dialTLS(t, false, slices.Concat(mtls, []string{"SHOPFLOW_TEMPORAL_TLS_SERVER_NAME=temporal.test"})...)
		if err != nil {
			t.Fatal(err)
		}
		useTemporal(t, c)
	})
	t.Run("lazy client", func(t *testing.T) {
		c, err := dialTLS(t, true, mtls...)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := worker.Healthy(c)(ctx); err != nil {
			t.Fatalf("lazy client through TLS: %v", err)
		}
	})

	for _, tc := range []struct {
		name string
		vars []string
		want []string
	}{
		{"no client certificate", slices.Concat(base, []string{"SHOPFLOW_TEMPORAL_TLS_CA=" + ca.CertPEM}),
			[]string{"SHOPFLOW_TEMPORAL_TLS_CERT: the server demands a client certificate; set SHOPFLOW_TEMPORAL_TLS_CERT and SHOPFLOW_TEMPORAL_TLS_KEY"}},
		{"client certificate of another CA", slices.Concat(base, []string{"SHOPFLOW_TEMPORAL_TLS_CA=" + ca.CertPEM,
			"SHOPFLOW_TEMPORAL_TLS_CERT=" + rogueCert, "SHOPFLOW_TEMPORAL_TLS_KEY=" + rogueKey}),
			[]string{"SHOPFLOW_TEMPORAL_TLS_CERT: the server refused the client certificate"}},
		{"wrong CA", slices.Concat(base, []string{"SHOPFLOW_TEMPORAL_TLS_CA=" + rogue.CertPEM,
			"SHOPFLOW_TEMPORAL_TLS_CERT=" + cert, "SHOPFLOW_TEMPORAL_TLS_KEY=" + key}),
			[]string{"SHOPFLOW_TEMPORAL_TLS_CA: ", "certificate signed by unknown authority"}},
		{"wrong server name", slices.Concat(mtls, []string{"SHOPFLOW_TEMPORAL_TLS_SERVER_NAME=other.test"}),
			[]string{"SHOPFLOW_TEMPORAL_TLS_SERVER_NAME: ", "other.test"}},
		{"plaintext to a TLS server", base, []string{"connect to temporal at " + front.addr + ": SHOPFLOW_TEMPORAL_TLS: the server speaks TLS"}},
		{"TLS to a plaintext server", []string{"SHOPFLOW_TEMPORAL_ADDRESS=" + suite.address, "SHOPFLOW_TEMPORAL_TLS=true"},
			[]string{"SHOPFLOW_TEMPORAL_TLS: the server does not speak TLS"}},
		{"unknown namespace", slices.Concat(mtls, []string{"SHOPFLOW_TEMPORAL_NAMESPACE=no-such-namespace"}),
			[]string{`SHOPFLOW_TEMPORAL_NAMESPACE: namespace "no-such-namespace" not found on ` + front.addr}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			c, err := dialTLS(t, false, tc.vars...)
			if err == nil {
				c.Close()
				t.Fatal("connected, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
			t.Logf("failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
		})
	}
}

// dialTLS connects as a Shopflow process does, from SHOPFLOW_ variables.
func dialTLS(t *testing.T, lazy bool, vars ...string) (client.Client, error) {
	t.Helper()
	cfg, err := config.Load(vars)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := app.DialTemporal(ctx, cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil, lazy)
	if err == nil {
		t.Cleanup(c.Close)
	}
	return c, err
}

// useTemporal checks the connection carries real work: a workflow started, described and
// terminated through it.
func useTemporal(t *testing.T, c client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		t.Fatal(err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "tls-probe-" + randHex(4), TaskQueue: taskQueueFor(t)}, "TLSProbe")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.GetWorkflowExecutionInfo().GetType().GetName(); got != "TLSProbe" {
		t.Errorf("described workflow type %q, want TLSProbe", got)
	}
	if err := c.TerminateWorkflow(ctx, run.GetID(), run.GetRunID(), "TLS probe over"); err != nil {
		t.Fatal(err)
	}
}
