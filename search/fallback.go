package search

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Fallback answers from Primary (Elasticsearch) and, when it fails or times out, from Backup
// (Postgres), so search is never down while the database is up. After a run of failures it
// stops asking Primary for a while (a circuit breaker), so a hung cluster costs each query
// nothing instead of a timeout; it then lets a few queries through to see whether it is back.
type Fallback struct {
	Primary, Backup Searcher
	Logger          *slog.Logger
	// OnFallback is called each time Backup answers in Primary's place (a metric counts them).
	OnFallback func(op string)
	breaker    *gobreaker.CircuitBreaker[any]
}

// NewFallback returns a Fallback that stops asking primary for cooldown after 3 failures in a
// row.
func NewFallback(primary, backup Searcher, cooldown time.Duration, logger *slog.Logger, onFallback func(op string)) *Fallback {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f := &Fallback{Primary: primary, Backup: backup, Logger: logger, OnFallback: onFallback}
	f.breaker = gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
		Name:        primary.Name(),
		MaxRequests: 1,
		Timeout:     cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 },
		// A query the shopper abandoned says nothing about the engine.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			logger.Warn("search: circuit changed state", "backend", name, "from", from.String(), "to", to.String())
		},
	})
	return f
}

// Name is the primary's name: the backend this searcher is configured with.
func (f *Fallback) Name() string { return f.Primary.Name() }

// Search asks Primary, or Backup when Primary fails.
func (f *Fallback) Search(ctx context.Context, q Query) (Result, error) {
	r, err := f.breaker.Execute(func() (any, error) { return f.Primary.Search(ctx, q) })
	if err == nil {
		return r.(Result), nil
	}
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	f.fellBack(ctx, "search", err)
	return f.Backup.Search(ctx, q)
}

// Suggest asks Primary, or Backup when Primary fails.
func (f *Fallback) Suggest(ctx context.Context, prefix string, limit int) ([]Suggestion, error) {
	r, err := f.breaker.Execute(func() (any, error) { return f.Primary.Suggest(ctx, prefix, limit) })
	if err == nil {
		return r.([]Suggestion), nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	f.fellBack(ctx, "suggest", err)
	return f.Backup.Suggest(ctx, prefix, limit)
}

func (f *Fallback) fellBack(ctx context.Context, op string, err error) {
	if f.OnFallback != nil {
		f.OnFallback(op)
	}
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return // logged once when the circuit opened
	}
	f.Logger.WarnContext(ctx, "search: primary failed; Postgres answers", "backend", f.Primary.Name(), "op", op, "err", err)
}
