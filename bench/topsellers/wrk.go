package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run measured.
type wrkResult struct {
	Name  string
	Round int
	// PerSecond is wrk's requests/s; P99 its 99th percentile latency in milliseconds.
	PerSecond, P99 float64
	Non2xx         int
}

// runWrk runs wrk against url for d; the child is killed if ctx ends first.
func runWrk(ctx context.Context, o options, url string, d time.Duration) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.Wrk, "-c", strconv.Itoa(o.Connections), "-t", strconv.Itoa(o.Threads),
		"-d", strconv.Itoa(int(d.Seconds()))+"s", "--latency", url)
	raw, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("%s (apt-get install wrk): %w: %s", cmd, err, raw)
	}
	return parseWrk(string(raw))
}

// parseWrk reads requests/s, the 99% latency and the non-2xx count from wrk --latency's output.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRate, haveP99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			r.PerSecond, haveRate = v, err == nil
		case len(f) == 2 && f[0] == "99%":
			d, err := time.ParseDuration(f[1])
			r.P99, haveP99 = float64(d)/float64(time.Millisecond), err == nil
		case len(f) == 5 && strings.Join(f[:4], " ") == "Non-2xx or 3xx responses:":
			r.Non2xx, _ = strconv.Atoi(f[4])
		}
	}
	if !haveRate || !haveP99 {
		return r, fmt.Errorf("wrk output without requests/s or 99%% latency:\n%s", out)
	}
	return r, nil
}
