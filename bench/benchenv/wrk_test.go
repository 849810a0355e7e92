package benchenv

import "testing"

// wrk's --latency output gives requests/s, the 99th percentile in any unit, and non-2xx answers.
func TestParseWrk(t *testing.T) {
	out := `Running 15s test @ http://127.0.0.1:1/api/v1/categories/1/top-sellers
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms    1.52ms  40.01ms   91.00%
  Latency Distribution
     50%  600.00us
     75%    1.20ms
     90%    2.50ms
     99%    9.31ms
  908265 requests in 15.00s, 1.12GB read
  Non-2xx or 3xx responses: 3
Requests/sec:  60551.23
Transfer/sec:     76.50MB
`
	r, err := ParseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.PerSecond != 60551.23 || r.P99 != 9.31 || r.Non2xx != 3 {
		t.Errorf("parsed %+v, want 60551.23 requests/s, p99 9.31 ms, 3 non-2xx", r)
	}
	if _, err := ParseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("output without figures parsed without error")
	}
}
