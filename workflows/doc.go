// Package workflows holds Shopflow's Temporal workflows: deterministic code only (no I/O, no
// time.Now, no map iteration for decisions). Workflows decide; activities act. Each workflow
// takes one Input struct and returns one Result struct so fields can be added without breaking
// running executions, and its ID derives from a business key (checkout-<order_id>, ...).
package workflows
