package app_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

var composeSecrets = []string{"SHOPFLOW_JWT_SECRET=0123456789abcdef0123456789abcdef", "POSTGRES_PASSWORD=pw",
	"MINIO_ROOT_PASSWORD=minio-secret", "SHOPFLOW_PAYMENT_PROVIDER=sandbox"}

func loadCompose(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join("..", "docker-compose.yml")},
		cli.WithEnv(env), cli.WithName("shopflow"), cli.WithWorkingDirectory(".."))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// docker-compose.yml is valid Compose and starts Shopflow as a deploy must: migrations, then
// the Temporal setup step, then the worker; the API after migrations; ports on loopback only.
func TestComposeFileDeploysInOrder(t *testing.T) {
	p, err := loadCompose(t, composeSecrets)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	commands := map[string]string{"migrate": "migrate up", "temporal-setup": "temporal setup", "api": "api", "worker": "worker"}
	for name, want := range commands {
		s, ok := p.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		if got := strings.Join(s.Command, " "); got != want {
			t.Errorf("service %s runs %q, want shopflow %s", name, got, want)
		}
	}
	for _, dep := range []struct{ service, needs string }{
		{"temporal-setup", "migrate"}, {"worker", "temporal-setup"}, {"api", "migrate"},
	} {
		d, ok := p.Services[dep.service].DependsOn[dep.needs]
		if !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for %s to complete (%+v)", dep.service, dep.needs, d)
		}
	}
	for name, s := range p.Services {
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("service %s publishes %s on %q, want 127.0.0.1 only", name, port.Published, port.HostIP)
			}
		}
	}
	if db := p.Services["api"].Environment["SHOPFLOW_DATABASE_URL"]; db == nil || !strings.Contains(*db, ":pw@postgres:5432/") {
		t.Errorf("the API's database URL %v does not carry the password from the environment", db)
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
