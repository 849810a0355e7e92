package worker

import (
	"context"
	"crypto/tls"
	"net"
	"shopflow/tlstest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// TestConnAPIKey dials a stand-in for Temporal Cloud's frontend (TLS, no client certificate)
// and checks that every call carries the API key as a bearer token, and that a namespace the
// server does not have stops Dial with the variable to fix.
func TestConnAPIKey(t *testing.T) {
	ca := tlstest.NewCA(t, "cloud-ca")
	srvCert, srvKey := ca.Issue("frontend", true, "127.0.0.1")
	tlsConf := ca.ServerTLS(srvCert, srvKey)
	tlsConf.ClientAuth = tls.NoClientCert
	fe := startFakeFrontend(t, tlsConf, "shop.acct")

	vars := []string{"SHOPFLOW_TEMPORAL_ADDRESS=" + fe.addr, "SHOPFLOW_TEMPORAL_NAMESPACE=shop.acct",
		"SHOPFLOW_TEMPORAL_TLS_CA=" + ca.CertPEM, "SHOPFLOW_TEMPORAL_API_KEY=secret-key"}
	opts, err := connOptions(t, vars...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	calls := fe.calls()
	if len(calls) == 0 {
		t.Fatal("the frontend saw no calls")
	}
	for method, auth := range calls {
		if auth != "Bearer secret-key" {
			t.Errorf("%s: authorization %q, want %q", method, auth, "Bearer secret-key")
		}
	}
	if _, ok := calls["/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace"]; !ok {
		t.Errorf("Dial did not check the namespace; calls: %v", calls)
	}

	opts, err = connOptions(t, append(vars, "SHOPFLOW_TEMPORAL_NAMESPACE=other.acct")...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Dial(ctx, opts)
	want := `SHOPFLOW_TEMPORAL_NAMESPACE: namespace "other.acct" not found on ` + fe.addr
	if err == nil || err.Error() != want {
		t.Errorf("Dial to a missing namespace: %v, want %q", err, want)
	}
}

// fakeFrontend answers the calls Dial makes (health, system info, describe namespace) and
// records the authorization metadata of each.
type fakeFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	addr      string
	namespace string
	mu        sync.Mutex
	auth      map[string]string // full method name -> authorization header
}

func startFakeFrontend(t *testing.T, tlsConf *tls.Config, namespace string) *fakeFrontend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fe := &fakeFrontend{addr: ln.Addr().String(), namespace: namespace, auth: map[string]string{}}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(tlsConf)), grpc.UnaryInterceptor(fe.record))
	hs := health.NewServer()
	hs.SetServingStatus("temporal.api.workflowservice.v1.WorkflowService", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	workflowservice.RegisterWorkflowServiceServer(srv, fe)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return fe
}

func (fe *fakeFrontend) record(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	fe.mu.Lock()
	fe.auth[info.FullMethod] = strings.Join(md.Get("authorization"), ",")
	fe.mu.Unlock()
	return next(ctx, req)
}

func (fe *fakeFrontend) calls() map[string]string {
	fe.mu.Lock()
	defer fe.mu.Unlock()
	out := make(map[string]string, len(fe.auth))
	for k, v := range fe.auth {
		out[k] = v
	}
	return out
}

func (fe *fakeFrontend) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{}, nil
}

func (fe *fakeFrontend) DescribeNamespace(_ context.Context, req *workflowservice.DescribeNamespaceRequest) (*workflowservice.DescribeNamespaceResponse, error) {
	if req.GetNamespace() != fe.namespace {
		return nil, serviceerror.ToStatus(serviceerror.NewNamespaceNotFound(req.GetNamespace())).Err()
	}
	return &workflowservice.DescribeNamespaceResponse{}, nil
}
