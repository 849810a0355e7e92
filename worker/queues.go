package worker

import (
	"fmt"
	"sync"

	"github.com/nexus-rpc/sdk-go/nexus"
	"go.temporal.io/sdk/activity"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Workers are the SDK workers of the task queues a process serves, one per queue, started and
// stopped together. They are an sdkworker.Worker themselves, so a test or a tool runs them as
// one; a Register call on them registers on every queue's worker.
type Workers struct {
	names []string // task queue names, in start order
	all   []sdkworker.Worker
}

var _ sdkworker.Worker = (*Workers)(nil)

// Queues are the task queue names the workers poll.
func (ws *Workers) Queues() []string { return ws.names }

// Start starts every queue's worker; if one fails, those already started are stopped.
func (ws *Workers) Start() error {
	for i, w := range ws.all {
		if err := w.Start(); err != nil {
			(&Workers{all: ws.all[:i]}).Stop()
			return fmt.Errorf("start worker on task queue %s: %w", ws.names[i], err)
		}
	}
	return nil
}

// Stop stops every queue's worker at once, so a drain takes one SHOPFLOW_SHUTDOWN_TIMEOUT, not
// one per queue.
func (ws *Workers) Stop() {
	var wg sync.WaitGroup
	for _, w := range ws.all {
		wg.Go(w.Stop)
	}
	wg.Wait()
}

// Run starts the workers, and stops them when interruptCh delivers or closes.
func (ws *Workers) Run(interruptCh <-chan any) error {
	if err := ws.Start(); err != nil {
		return err
	}
	<-interruptCh
	ws.Stop()
	return nil
}

func (ws *Workers) add(name string, w sdkworker.Worker) {
	ws.names = append(ws.names, name)
	ws.all = append(ws.all, w)
}

func (ws *Workers) byQueue(name string) sdkworker.Worker {
	for i, n := range ws.names {
		if n == name {
			return ws.all[i]
		}
	}
	return nil
}

// RegisterWorkflow registers w on every queue's worker.
func (ws *Workers) RegisterWorkflow(w any) {
	ws.each(func(r sdkworker.Worker) { r.RegisterWorkflow(w) })
}

// RegisterWorkflowWithOptions registers w on every queue's worker.
func (ws *Workers) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	ws.each(func(r sdkworker.Worker) { r.RegisterWorkflowWithOptions(w, o) })
}

// RegisterDynamicWorkflow registers w on every queue's worker.
func (ws *Workers) RegisterDynamicWorkflow(w any, o workflow.DynamicRegisterOptions) {
	ws.each(func(r sdkworker.Worker) { r.RegisterDynamicWorkflow(w, o) })
}

// RegisterActivity registers a on every queue's worker.
func (ws *Workers) RegisterActivity(a any) {
	ws.each(func(r sdkworker.Worker) { r.RegisterActivity(a) })
}

// RegisterActivityWithOptions registers a on every queue's worker.
func (ws *Workers) RegisterActivityWithOptions(a any, o activity.RegisterOptions) {
	ws.each(func(r sdkworker.Worker) { r.RegisterActivityWithOptions(a, o) })
}

// RegisterDynamicActivity registers a on every queue's worker.
func (ws *Workers) RegisterDynamicActivity(a any, o activity.DynamicRegisterOptions) {
	ws.each(func(r sdkworker.Worker) { r.RegisterDynamicActivity(a, o) })
}

// RegisterNexusService registers s on every queue's worker.
func (ws *Workers) RegisterNexusService(s *nexus.Service) {
	ws.each(func(r sdkworker.Worker) { r.RegisterNexusService(s) })
}

func (ws *Workers) each(f func(sdkworker.Worker)) {
	for _, w := range ws.all {
		f(w)
	}
}
