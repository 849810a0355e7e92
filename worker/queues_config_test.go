package worker

import (
	"strings"
	"testing"

	"shopflow/config"
)

// Each queue's worker gets its own concurrency, and only the batch queue a server-side rate.
func TestQueueOptionsCarryEachQueuesLimits(t *testing.T) {
	cfg, err := config.Load([]string{"SHOPFLOW_CHECKOUT_MAX_ACTIVITIES=300", "SHOPFLOW_CHECKOUT_MAX_WORKFLOW_TASKS=200",
		"SHOPFLOW_BATCH_MAX_ACTIVITIES=8", "SHOPFLOW_BATCH_MAX_WORKFLOW_TASKS=4", "SHOPFLOW_BATCH_ACTIVITIES_PER_SECOND=50"})
	if err != nil {
		t.Fatal(err)
	}
	c, b := options(cfg, config.QueueCheckout), options(cfg, config.QueueBatch)
	if c.MaxConcurrentActivityExecutionSize != 300 || c.MaxConcurrentWorkflowTaskExecutionSize != 200 || c.TaskQueueActivitiesPerSecond != 0 {
		t.Errorf("checkout options %+v", c)
	}
	if b.MaxConcurrentActivityExecutionSize != 8 || b.MaxConcurrentWorkflowTaskExecutionSize != 4 || b.TaskQueueActivitiesPerSecond != 50 {
		t.Errorf("batch options %+v", b)
	}
	if cfg.QueueName(config.QueueCheckout) != "shopflow" || cfg.QueueName(config.QueueBatch) != "shopflow-batch" {
		t.Errorf("queue names %q, %q", cfg.QueueName(config.QueueCheckout), cfg.QueueName(config.QueueBatch))
	}
}

// Queue settings that would misroute work or panic the SDK are refused at start, naming the
// variable.
func TestQueueSettingsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		want    string
	}{
		{"blank queue", []string{"SHOPFLOW_WORKER_QUEUES=checkout,"}, `SHOPFLOW_WORKER_QUEUES: unknown queue ""`},
		{"unknown queue", []string{"SHOPFLOW_WORKER_QUEUES=checkout,reports"}, `SHOPFLOW_WORKER_QUEUES: unknown queue "reports"`},
		{"queue twice", []string{"SHOPFLOW_WORKER_QUEUES=batch,batch"}, `SHOPFLOW_WORKER_QUEUES: names "batch" twice`},
		{"one name for both", []string{"SHOPFLOW_TASK_QUEUE=q", "SHOPFLOW_BATCH_TASK_QUEUE=q"}, "SHOPFLOW_BATCH_TASK_QUEUE: must differ"},
		{"negative activities", []string{"SHOPFLOW_BATCH_MAX_ACTIVITIES=-1"}, "SHOPFLOW_BATCH_MAX_ACTIVITIES"},
		{"one workflow task", []string{"SHOPFLOW_CHECKOUT_MAX_WORKFLOW_TASKS=1"}, "SHOPFLOW_CHECKOUT_MAX_WORKFLOW_TASKS: must be 0"},
		{"negative rate", []string{"SHOPFLOW_BATCH_ACTIVITIES_PER_SECOND=-2"}, "SHOPFLOW_BATCH_ACTIVITIES_PER_SECOND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(tc.environ)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
		})
	}
	cfg, err := config.Load([]string{"SHOPFLOW_WORKER_QUEUES=batch"})
	if err != nil || len(cfg.WorkerQueues) != 1 || cfg.WorkerQueues[0] != config.QueueBatch {
		t.Fatalf("a batch-only worker: %v, %v", cfg.WorkerQueues, err)
	}
	// An empty variable means its default; built in code, the fields can still be empty.
	cfg.WorkerQueues, cfg.BatchTaskQueue = nil, ""
	err = cfg.Validate()
	for _, want := range []string{"SHOPFLOW_WORKER_QUEUES: must name", "SHOPFLOW_BATCH_TASK_QUEUE: must not be empty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error with %q, got %v", want, err)
		}
	}
}
