package main

import (
	"context"
	"time"

	"shopflow/bench/benchenv"
)

type wrkResult = benchenv.WrkResult

// runWrk runs wrk against url for d with the driver's options.
func runWrk(ctx context.Context, o options, url string, d time.Duration) (wrkResult, error) {
	return benchenv.Wrk{Program: o.Wrk, Connections: o.Connections, Threads: o.Threads}.Run(ctx, url, "", d)
}
