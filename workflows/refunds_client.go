package workflows

import "go.temporal.io/sdk/client"

// Refunds starts refund retries and cancellations of placed orders for the API.
type Refunds struct {
	Client    client.Client
	TaskQueue string
}
