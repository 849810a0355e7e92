package config

import (
	"fmt"
	"strings"
	"unicode"
)

// VersioningConfig turns on Temporal Worker Versioning for the checkout queue: each build
// registers as a version of one worker deployment, and a saga finishes on the build it began on.
type VersioningConfig struct {
	// WorkerDeployment is the deployment's name in Temporal.
	WorkerDeployment string `env:"SHOPFLOW_WORKER_DEPLOYMENT" envDefault:"shopflow"`
	// WorkerBuildID is this build's id; empty leaves versioning off (development).
	WorkerBuildID string `env:"SHOPFLOW_WORKER_BUILD_ID"`
}

// Temporal's limits on deployment names and build ids (server 1.29): both end up in the id of
// the server's per-version workflow, and build ids in a VARCHAR(255) column on SQL stores.
const (
	maxDeploymentNameBytes = 255
	maxBuildIDBytes        = 255
)

// validateVersioning checks the worker versioning settings against what the Temporal server
// accepts, so a bad id fails at start instead of at the worker's first poll.
func (c Config) validateVersioning(p *problems) {
	name := c.WorkerDeployment
	switch {
	case name == "":
		p.add("SHOPFLOW_WORKER_DEPLOYMENT", "must not be empty")
	case strings.ContainsAny(name, ".:"):
		// The server joins deployment and build id with these in version strings.
		p.add("SHOPFLOW_WORKER_DEPLOYMENT", "must not contain '.' or ':', got %q", name)
	default:
		if problem := versioningIDProblem(name, maxDeploymentNameBytes); problem != "" {
			p.add("SHOPFLOW_WORKER_DEPLOYMENT", "%s, got %q", problem, name)
		}
	}
	if id := c.WorkerBuildID; id != "" {
		if problem := versioningIDProblem(id, maxBuildIDBytes); problem != "" {
			p.add("SHOPFLOW_WORKER_BUILD_ID", "%s, got %q", problem, id)
		}
	}
}

// versioningIDProblem says what is wrong with a deployment name or build id, or "".
func versioningIDProblem(id string, maxBytes int) string {
	switch {
	case len(id) > maxBytes:
		return fmt.Sprintf("must be at most %d bytes", maxBytes)
	case strings.HasPrefix(id, "__"):
		return "must not start with '__' (reserved by Temporal)"
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		// Ids go into CLI flags, logs and visibility queries; whitespace there only confuses.
		return "must not contain whitespace or control characters"
	}
	return ""
}
