package main

import (
	"slices"
	"strings"
	"testing"
)

// wrk's --latency output gives requests/s, the 50th and 99th percentiles in any unit, non-2xx
// answers and socket errors (timeouts among them, which the latencies leave out).
func TestParseWrk(t *testing.T) {
	out := `Running 10s test @ http://127.0.0.1:1/api/v1/search?q=sony
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.10ms   11.52ms 140.01ms   71.00%
  Latency Distribution
     50%  850.00us
     75%   25.20ms
     90%   35.50ms
     99%    1.31s
  7265 requests in 10.00s, 12.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:    726.51
Transfer/sec:      1.21MB
`
	r, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.PerSecond != 726.51 || r.P50 != 0.85 || r.P99 != 1310 || r.Non2xx != 4 || r.SocketErrors != 5 {
		t.Errorf("parsed %+v, want 726.51 requests/s, p50 0.85 ms, p99 1310 ms, 4 non-2xx, 5 socket errors", r)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("output without figures parsed without error")
	}
}

// Requests/s is the mean over the rounds, p99 the worst round's; the ratios compare the means
// and each target is judged on its own figure.
func TestReportVerdicts(t *testing.T) {
	r := report{Runs: []wrkResult{
		{Name: phaseList, Round: 1, PerSecond: 1000, P99: 20}, {Name: phaseSearch, Round: 1, PerSecond: 450, P99: 90},
		{Name: phaseSuggest, Round: 1, PerSecond: 3000, P99: 8}, {Name: phaseSearchHot, Round: 1, PerSecond: 20000, P99: 5},
		{Name: phaseTopSellers, Round: 1, PerSecond: 30000, P99: 4},
		{Name: phaseList, Round: 2, PerSecond: 800, P99: 30}, {Name: phaseSearch, Round: 2, PerSecond: 450, P99: 120, Non2xx: 2},
		{Name: phaseSuggest, Round: 2, PerSecond: 3200, P99: 9.5}, {Name: phaseSearchHot, Round: 2, PerSecond: 24000, P99: 6},
		{Name: phaseTopSellers, Round: 2, PerSecond: 25000, P99: 5},
	}}
	s := r.summary(phaseSearch)
	if s.PerSecond != 450 || s.P99 != 120 || s.Failed != 2 {
		t.Errorf("search summary %+v, want 450 requests/s, p99 120 ms, 2 failed", s)
	}
	var met []bool
	for _, v := range r.verdicts() {
		met = append(met, v.Met)
	}
	// search / list 450/900 = 0.5 (met at the bound); p99 120 ms; suggest 9.5 ms; 22000/27500 = 0.8.
	if want := []bool{true, false, true, true}; !slices.Equal(met, want) {
		t.Errorf("targets met %v, want %v", met, want)
	}
	md := r.markdown()
	for _, want := range []string{
		"search / list, requests/s **0.500** (>= 0.5: yes)",
		"search p99, worst round **120.00 ms** (< 100 ms: **no**)",
		"search-hot / top-sellers, requests/s **0.800** (>= 0.8: yes)",
		"**2 requests failed**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

// Suggest asks for what a shopper has typed while the last word has 2 to 5 letters, each text
// once.
func TestTypedPrefixes(t *testing.T) {
	got := typedPrefixes([]string{"sony tv", "sonos", "55 television"})
	want := []string{"so", "son", "sony", "sony tv", "sono", "sonos", "55", "55 te", "55 tel", "55 tele", "55 telev"}
	if !slices.Equal(got, want) {
		t.Errorf("prefixes %q, want %q", got, want)
	}
}
