// Package e2e holds Shopflow's end-to-end tests: the checkout saga driven through the real HTTP
// API, run by real workers on a real Temporal dev server, over real Postgres and Redis. The
// tests live in _test files; this file only names the package.
package e2e
