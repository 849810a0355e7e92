package benchenv

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Wrk runs the wrk load generator (apt-get install wrk) for the HTTP load drivers.
type Wrk struct {
	Program              string
	Connections, Threads int
}

// WrkResult is what one wrk run measured.
type WrkResult struct {
	Name  string
	Round int
	// PerSecond is wrk's requests/s; P99 its 99th percentile latency in milliseconds.
	PerSecond, P99 float64
	Non2xx         int
}

// Run runs wrk against url for d, sending header ("Name: value", "" for none); the child is
// killed if ctx ends first.
func (w Wrk) Run(ctx context.Context, url, header string, d time.Duration) (WrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	args := []string{"-c", strconv.Itoa(w.Connections), "-t", strconv.Itoa(w.Threads),
		"-d", strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if header != "" {
		args = append(args, "-H", header)
	}
	raw, err := exec.CommandContext(ctx, w.Program, append(args, url)...).CombinedOutput()
	if err != nil {
		return WrkResult{}, fmt.Errorf("%s %s (apt-get install wrk): %w: %s", w.Program, url, err, raw)
	}
	return ParseWrk(string(raw))
}

// ParseWrk reads requests/s, the 99% latency and the non-2xx count from wrk --latency's output.
func ParseWrk(out string) (WrkResult, error) {
	var r WrkResult
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
