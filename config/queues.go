package config

import "slices"

// Task queue roles: a process serves one or both (SHOPFLOW_WORKER_QUEUES, shopflow worker --queues).
const (
	// QueueCheckout is the latency-sensitive queue: checkout sagas and what a shopper waits on.
	QueueCheckout = "checkout"
	// QueueBatch is the batch queue: ingest, reports, digests, ranking, search indexing.
	QueueBatch = "batch"
)

// QueueConfig names the task queues and sets each one's worker concurrency and rate limits.
// SHOPFLOW_TASK_QUEUE (Config.TaskQueue) is the checkout queue's name, so sagas in flight
// across an upgrade keep their queue.
type QueueConfig struct {
	// BatchTaskQueue is the batch queue's name.
	BatchTaskQueue string `env:"SHOPFLOW_BATCH_TASK_QUEUE" envDefault:"shopflow-batch"`
	// WorkerQueues are the roles this process's worker serves.
	WorkerQueues []string `env:"SHOPFLOW_WORKER_QUEUES" envSeparator:"," envDefault:"checkout,batch"`

	// Per worker process and queue: how many activities and workflow tasks run at once
	// (0 leaves the SDK's default, 1,000 activities and 1,000 workflow tasks).
	CheckoutMaxActivities    int `env:"SHOPFLOW_CHECKOUT_MAX_ACTIVITIES" envDefault:"0"`
	CheckoutMaxWorkflowTasks int `env:"SHOPFLOW_CHECKOUT_MAX_WORKFLOW_TASKS" envDefault:"0"`
	BatchMaxActivities       int `env:"SHOPFLOW_BATCH_MAX_ACTIVITIES" envDefault:"0"`
	BatchMaxWorkflowTasks    int `env:"SHOPFLOW_BATCH_MAX_WORKFLOW_TASKS" envDefault:"0"`
	// BatchActivitiesPerSecond caps the batch queue's activity starts per second across every
	// worker (Temporal enforces it server-side), so batch work cannot swamp Postgres however
	// many batch workers run; 0 is unlimited.
	BatchActivitiesPerSecond float64 `env:"SHOPFLOW_BATCH_ACTIVITIES_PER_SECOND" envDefault:"0"`
}

// QueueName is the task queue name of a role.
func (c Config) QueueName(role string) string {
	if role == QueueBatch {
		return c.BatchTaskQueue
	}
	return c.TaskQueue
}

// queueRoles are the roles a worker can serve.
func queueRoles() []string { return []string{QueueCheckout, QueueBatch} }

// validateQueues checks the task queue settings.
func (c Config) validateQueues(p *problems) {
	switch {
	case c.BatchTaskQueue == "":
		p.add("SHOPFLOW_BATCH_TASK_QUEUE", "must not be empty")
	case c.BatchTaskQueue == c.TaskQueue:
		// One name would put batch work back in front of sagas, and a checkout-only worker
		// would take batch tasks it has not registered.
		p.add("SHOPFLOW_BATCH_TASK_QUEUE", "must differ from SHOPFLOW_TASK_QUEUE (%q)", c.TaskQueue)
	}
	if len(c.WorkerQueues) == 0 {
		p.add("SHOPFLOW_WORKER_QUEUES", "must name at least one of %v", queueRoles())
	}
	for i, role := range c.WorkerQueues {
		switch {
		case !slices.Contains(queueRoles(), role):
			p.add("SHOPFLOW_WORKER_QUEUES", "unknown queue %q: must be one of %v", role, queueRoles())
		case slices.Contains(c.WorkerQueues[:i], role):
			p.add("SHOPFLOW_WORKER_QUEUES", "names %q twice", role)
		}
	}
	for _, l := range []struct {
		name     string
		v, least int
	}{
		{"SHOPFLOW_CHECKOUT_MAX_ACTIVITIES", c.CheckoutMaxActivities, 1},
		{"SHOPFLOW_BATCH_MAX_ACTIVITIES", c.BatchMaxActivities, 1},
		// The SDK refuses 1: its one slot would only ever poll the sticky queue.
		{"SHOPFLOW_CHECKOUT_MAX_WORKFLOW_TASKS", c.CheckoutMaxWorkflowTasks, 2},
		{"SHOPFLOW_BATCH_MAX_WORKFLOW_TASKS", c.BatchMaxWorkflowTasks, 2},
	} {
		if l.v < 0 || (l.v > 0 && l.v < l.least) {
			p.add(l.name, "must be 0 (the SDK's default) or at least %d, got %d", l.least, l.v)
		}
	}
	if c.BatchActivitiesPerSecond < 0 {
		p.add("SHOPFLOW_BATCH_ACTIVITIES_PER_SECOND", "must be 0 (unlimited) or more, got %g", c.BatchActivitiesPerSecond)
	}
}
