package app_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

var composeSecrets = []string{"SHOPFLOW_JWT_SECRET=0123456789abcdef0123456789abcdef", "POSTGRES_PASSWORD=pw",
	"TEMPORAL_DB_PASSWORD=tpw", "MINIO_ROOT_PASSWORD=minio-secret", "SHOPFLOW_PAYMENT_PROVIDER=sandbox"}

// loadCompose loads docker-compose.yml with compose-go, the loader Docker Compose itself uses.
func loadCompose(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join("..", "docker-compose.yml")},
		cli.WithEnv(env), cli.WithName("shopflow"), cli.WithWorkingDirectory(".."))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func mustLoadCompose(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadCompose(t, composeSecrets)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %s", name)
	}
	return s
}

func waitsFor(t *testing.T, p *types.Project, svc, needs string, cond string) {
	t.Helper()
	d, ok := service(t, p, svc).DependsOn[needs]
	if !ok || d.Condition != cond {
		t.Errorf("%s does not wait for %s to be %s (%+v)", svc, needs, cond, d)
	}
}

// Shopflow deploys as a deploy must: migrations, then the Temporal setup step, then the
// workers, one service per task queue; two API replicas behind one proxy.
func TestComposeFileDeploysInOrder(t *testing.T) {
	p := mustLoadCompose(t)
	commands := map[string]string{"migrate": "migrate up", "temporal-setup": "temporal setup", "api-1": "api",
		"api-2": "api", "worker-checkout": "worker --queues checkout", "worker-batch": "worker --queues batch"}
	for name, want := range commands {
		if got := strings.Join(service(t, p, name).Command, " "); got != want {
			t.Errorf("service %s runs %q, want shopflow %s", name, got, want)
		}
		if img := service(t, p, name).Image; img != "shopflow:local" {
			t.Errorf("service %s runs image %q, want shopflow:local", name, img)
		}
	}
	done := types.ServiceConditionCompletedSuccessfully
	waitsFor(t, p, "temporal-setup", "migrate", done)
	waitsFor(t, p, "temporal-setup", "temporal-namespace", done)
	for _, w := range []string{"worker-checkout", "worker-batch"} {
		waitsFor(t, p, w, "temporal-setup", done)
		if addr := service(t, p, w).Environment["SHOPFLOW_WORKER_HTTP_ADDR"]; addr == nil || *addr != "0.0.0.0:9091" {
			t.Errorf("%s serves /metrics and /healthz on %v, want 0.0.0.0:9091 inside its container", w, addr)
		}
		if hc := service(t, p, w).HealthCheck; hc == nil || !strings.Contains(strings.Join(hc.Test, " "), "/healthz") {
			t.Errorf("%s has no health check on /healthz", w)
		}
	}
	for _, a := range []string{"api-1", "api-2"} {
		waitsFor(t, p, a, "migrate", done)
		waitsFor(t, p, "proxy", a, types.ServiceConditionHealthy)
		if len(service(t, p, a).Ports) != 0 {
			t.Errorf("%s publishes ports; only the proxy should", a)
		}
	}
	conf, err := os.ReadFile(filepath.Join("..", "deploy", "proxy", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, upstream := range []string{"server api-1:8080", "server api-2:8080"} {
		if !strings.Contains(string(conf), upstream) {
			t.Errorf("the proxy's nginx.conf does not send requests to %s", upstream)
		}
	}
}

// Temporal runs as production runs it: the server image (not auto-setup), its schema and
// Elasticsearch visibility index set up first by admin-tools, in its own database as its own
// user, and Shopflow's namespace created with a retention.
func TestComposeFileRunsTemporalAsProduction(t *testing.T) {
	p := mustLoadCompose(t)
	images := map[string]string{"temporal": "temporalio/server:", "temporal-schema": "temporalio/admin-tools:",
		"temporal-namespace": "temporalio/admin-tools:", "proxy": "nginx:", "elasticsearch": "elasticsearch:8."}
	for name, prefix := range images {
		if img := service(t, p, name).Image; !strings.Contains(img, prefix) || strings.HasSuffix(img, ":latest") {
			t.Errorf("service %s runs image %q, want a pinned %s image", name, img, prefix)
		}
	}
	for name, s := range p.Services {
		if strings.HasSuffix(s.Image, ":latest") {
			t.Errorf("service %s runs an unpinned image %s", name, s.Image)
		}
	}
	waitsFor(t, p, "temporal", "temporal-schema", types.ServiceConditionCompletedSuccessfully)
	waitsFor(t, p, "temporal-namespace", "temporal", types.ServiceConditionHealthy)
	env := service(t, p, "temporal").Environment
	want := map[string]string{"DB": "postgres12", "POSTGRES_USER": "temporal", "POSTGRES_PWD": "tpw", "ENABLE_ES": "true",
		"ES_SEEDS": "elasticsearch"}
	for k, v := range want {
		if got := env[k]; got == nil || *got != v {
			t.Errorf("temporal's %s is %v, want %q", k, got, v)
		}
	}
	if ns := service(t, p, "temporal-namespace").Environment; ns["RETENTION"] == nil || *ns["RETENTION"] == "" ||
		ns["NAMESPACE"] == nil || *ns["NAMESPACE"] != "shopflow" {
		t.Errorf("the namespace step does not set shopflow's retention: %v", ns)
	}
	if ns := service(t, p, "worker-checkout").Environment["SHOPFLOW_TEMPORAL_NAMESPACE"]; ns == nil || *ns != "shopflow" {
		t.Errorf("workers use namespace %v, want shopflow", ns)
	}
	for _, script := range []string{"temporal/setup-schema.sh", "temporal/create-namespace.sh", "postgres/init-temporal.sh"} {
		if _, err := os.Stat(filepath.Join("..", "deploy", script)); err != nil {
			t.Errorf("deploy/%s: %v", script, err)
		}
	}
}

// Every published port is bound to 127.0.0.1, and every password comes from the environment.
func TestComposeFilePublishesOnLoopbackOnly(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range p.Services {
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("service %s publishes %s on %q, want 127.0.0.1 only", name, port.Published, port.HostIP)
			}
		}
	}
	if db := service(t, p, "api-1").Environment["SHOPFLOW_DATABASE_URL"]; db == nil || !strings.Contains(*db, ":pw@postgres:5432/") {
		t.Errorf("the API's database URL %v does not carry the password from the environment", db)
	}
	if len(service(t, p, "proxy").Ports) != 1 || service(t, p, "proxy").Ports[0].Published != "8080" {
		t.Errorf("the proxy publishes %v, want 127.0.0.1:8080", service(t, p, "proxy").Ports)
	}
}

// No secret has a default: without them the file refuses to load, naming what is missing.
func TestComposeFileRefusesMissingSecrets(t *testing.T) {
	for i := range composeSecrets {
		env := slices.Delete(slices.Clone(composeSecrets), i, i+1)
		name := strings.SplitN(composeSecrets[i], "=", 2)[0]
		if _, err := loadCompose(t, env); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: %v, want an error naming it", name, err)
		}
	}
}
