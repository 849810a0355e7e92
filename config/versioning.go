package config

// VersioningConfig turns on Temporal Worker Versioning for the checkout queue: each build
// registers as a version of one worker deployment, and a saga finishes on the build it began on.
type VersioningConfig struct {
	// WorkerDeployment is the deployment's name in Temporal.
	WorkerDeployment string `env:"SHOPFLOW_WORKER_DEPLOYMENT" envDefault:"shopflow"`
	// WorkerBuildID is this build's id; empty leaves versioning off (development).
	WorkerBuildID string `env:"SHOPFLOW_WORKER_BUILD_ID"`
}

// validateVersioning checks the worker versioning settings.
func (c Config) validateVersioning(p *problems) {}
