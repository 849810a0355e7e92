package config

import (
	"strings"
	"testing"
)

// SHOPFLOW_WORKER_HTTP_ADDR is host:port or empty, and never the API's address: `shopflow dev`
// listens on both in one process.
func TestWorkerHTTPAddr(t *testing.T) {
	for _, tc := range []struct {
		addr, api string
		ok        bool
	}{
		{"127.0.0.1:9091", "127.0.0.1:8080", true},
		{":9091", "127.0.0.1:8080", true},
		{"", "127.0.0.1:8080", true},
		{"[::1]:9091", "127.0.0.1:8080", true},
		{"127.0.0.1:0", "127.0.0.1:0", true},
		{"127.0.0.2:8080", "127.0.0.1:8080", true},
		{"9091", "127.0.0.1:8080", false},
		{"localhost:metrics", "127.0.0.1:8080", false},
		{"127.0.0.1:70000", "127.0.0.1:8080", false},
		{"127.0.0.1:8080", "127.0.0.1:8080", false},
		{":8080", "127.0.0.1:8080", false},
		{"127.0.0.1:8080", "0.0.0.0:8080", false},
	} {
		c := validConfig(t)
		c.WorkerHTTPAddr, c.HTTPAddr = tc.addr, tc.api
		err := c.Validate()
		if tc.ok && err != nil {
			t.Errorf("%q beside API %q: %v", tc.addr, tc.api, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "SHOPFLOW_WORKER_HTTP_ADDR")) {
			t.Errorf("%q beside API %q: got %v, want a SHOPFLOW_WORKER_HTTP_ADDR problem", tc.addr, tc.api, err)
		}
	}
}
