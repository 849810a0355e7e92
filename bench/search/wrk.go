package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run measured.
type wrkResult struct {
	Name  string
	Round int
	// PerSecond is wrk's requests/s; P50 and P99 its latency percentiles in milliseconds.
	PerSecond, P50, P99 float64
	// Non2xx counts answers other than 2xx or 3xx; SocketErrors connect, read and write errors
	// and timeouts (requests wrk gave up on, which its latencies leave out).
	Non2xx, SocketErrors int
}

// wrkTimeout is how long wrk waits for an answer: long enough that a slow request is measured
// rather than dropped as a timeout.
const wrkTimeout = "10s"

// findWrk says clearly when wrk is missing, before the run spends a minute generating.
func findWrk(program string) error {
	if _, err := exec.LookPath(program); err != nil {
		return fmt.Errorf("wrk is needed and %q was not found (apt-get install wrk, or --wrk PATH): %w", program, err)
	}
	return nil
}

// runWrk runs wrk for d against the phase's server, cycling through its paths with the Lua
// script in dir; the child is killed if ctx ends first.
func runWrk(ctx context.Context, o options, dir string, p phase, d time.Duration) (wrkResult, error) {
	script := filepath.Join(dir, p.Name+".lua")
	if err := os.WriteFile(script, []byte(cyclingScript(p.Paths, o.Threads)), 0o644); err != nil {
		return wrkResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.Wrk, "-c", strconv.Itoa(o.Connections), "-t", strconv.Itoa(o.Threads),
		"-d", strconv.Itoa(int(d.Seconds()))+"s", "--timeout", wrkTimeout, "--latency", "-s", script, p.Base+p.Paths[0])
	raw, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("%s (apt-get install wrk): %w: %s", cmd, err, raw)
	}
	r, err := parseWrk(string(raw))
	r.Name = p.Name
	return r, err
}

// cyclingScript is a wrk script that sends the paths in turn, each thread starting at its own
// share of the list so that the threads do not ask for the same path at the same moment.
// The paths are URL-escaped ASCII, so %q quotes them as Lua reads them.
func cyclingScript(paths []string, threads int) string {
	var b strings.Builder
	b.WriteString("-- written by bench/search: cycle through the paths\nlocal paths = {\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "  %q,\n", p)
	}
	fmt.Fprintf(&b, `}
local started = 0
function setup(thread)
  thread:set("first", started * math.floor(#paths / %d))
  started = started + 1
end
local i = 0
function init(args)
  i = first or 0
end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
`, threads)
	return b.String()
}

// parseWrk reads requests/s, the 50%% and 99%% latencies, the non-2xx count and the socket
// errors from wrk --latency's output.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRate, haveP50, haveP99 bool
	ms := func(s string) (float64, bool) {
		d, err := time.ParseDuration(s)
		return float64(d) / float64(time.Millisecond), err == nil
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			r.PerSecond, haveRate = v, err == nil
		case len(f) == 2 && f[0] == "50%":
			r.P50, haveP50 = ms(f[1])
		case len(f) == 2 && f[0] == "99%":
			r.P99, haveP99 = ms(f[1])
		case len(f) == 5 && strings.Join(f[:4], " ") == "Non-2xx or 3xx responses:":
			r.Non2xx, _ = strconv.Atoi(f[4])
		case strings.HasPrefix(line, "Socket errors:"):
			// Socket errors: connect 0, read 0, write 0, timeout 12
			for _, part := range strings.Split(strings.TrimPrefix(line, "Socket errors:"), ",") {
				if kv := strings.Fields(part); len(kv) == 2 {
					n, _ := strconv.Atoi(kv[1])
					r.SocketErrors += n
				}
			}
		}
	}
	if !haveRate || !haveP50 || !haveP99 {
		return r, fmt.Errorf("wrk output without requests/s or 50%%/99%% latency:\n%s", out)
	}
	return r, nil
}
