package workflows

import (
	"time"

	"go.temporal.io/sdk/client"
)

// Returns starts and steers return workflows for the API.
type Returns struct {
	Client    client.Client
	TaskQueue string
	// ShipWindow is how long an approved return waits for the goods (SHOPFLOW_RETURN_SHIP_WINDOW).
	ShipWindow time.Duration
}
