// Package activities holds the structs whose methods are Temporal activities: thin, idempotent
// adapters from workflows to the domain packages (store, payment, notify, ranking, report).
// Each struct carries its dependencies and is registered once by the worker.
package activities
