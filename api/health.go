package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/config"
)

// healthz says the process is alive; it checks nothing else, so a dependency outage never gets
// the API restarted in a loop.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

type checkResult struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// readyz probes every dependency in parallel and answers 503 when any is down, naming it.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	results := make(map[string]checkResult, len(s.Checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, chk := range s.Checks {
		wg.Go(func() {
			r := checkResult{Status: "ok"}
			if err := chk.Probe(ctx); err != nil {
				r = checkResult{Status: "down", Error: err.Error()}
			}
			mu.Lock()
			results[chk.Name] = r
			mu.Unlock()
		})
	}
	wg.Wait()
	status, code := "ready", http.StatusOK
	for _, r := range results {
		if r.Status != "ok" {
			status, code = "not_ready", http.StatusServiceUnavailable
		}
	}
	body := gin.H{"status": status, "checks": results, "payment_provider": s.Config.Provider()}
	if s.Config.Provider() == config.ProviderSandbox {
		// Ready, but an operator looking at the probe must see that no money is being taken.
		body["warnings"] = []string{sandboxWarning}
	}
	c.JSON(code, body)
}

// sandboxWarning is what /readyz says while the sandbox payment provider is in use.
const sandboxWarning = "payments: the sandbox provider is in use; orders are placed without taking money"
