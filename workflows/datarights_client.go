package workflows

import (
	"time"

	"go.temporal.io/sdk/client"
)

// DataRights starts customers' data exports and erasures for the API.
type DataRights struct {
	Client    client.Client
	TaskQueue string
	// LinkTTL is how long an export's download link works (SHOPFLOW_EXPORT_LINK_TTL).
	LinkTTL time.Duration
}
