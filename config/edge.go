package config

import (
	"net/netip"
	"strings"
)

// validateEdge checks the settings of the API's edge: which proxies are trusted to name the
// client, and the per-class rate limits.
func (c Config) validateEdge(p *problems) {
	for _, proxy := range c.TrustedProxies {
		proxy = strings.TrimSpace(proxy)
		if proxy == "" {
			continue
		}
		if _, err := netip.ParsePrefix(proxy); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(proxy); err == nil {
			continue
		}
		p.add("SHOPFLOW_TRUSTED_PROXIES", "must be comma-separated CIDRs or IP addresses, got %q", proxy)
	}
	for _, l := range []struct {
		name string
		v    int
	}{
		{"SHOPFLOW_RATE_LIMIT_AUTH", c.RateLimitAuth},
		{"SHOPFLOW_RATE_LIMIT_WRITES", c.RateLimitWrites},
		{"SHOPFLOW_RATE_LIMIT_READS", c.RateLimitReads},
	} {
		if l.v < 0 {
			p.add(l.name, "must be 0 (no limit) or a number of requests per minute, got %d", l.v)
		}
	}
}
