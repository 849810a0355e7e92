package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/api/serviceerror"

	"shopflow/errs"
)

// TestAsUnavailableKnowsEachDependencyOutage: the ways Postgres, Redis and Temporal say they are
// down become Unavailable (503); errors that are not outages keep their code.
func TestAsUnavailableKnowsEachDependencyOutage(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, tc := range []struct {
		name string
		err  error
		want errs.Code
	}{
		{"redis dial", fmt.Errorf("get cart: %w", dial), errs.Unavailable},
		{"redis pool timeout", redis.ErrPoolTimeout, errs.Unavailable},
		{"postgres shutting down", &pgconn.PgError{Code: "57P01"}, errs.Unavailable},
		{"postgres starting", errs.Wrap(&pgconn.PgError{Code: "57P03"}, errs.Internal, "load"), errs.Unavailable},
		{"postgres connection lost", &pgconn.PgError{Code: "08006"}, errs.Unavailable},
		{"temporal unavailable", serviceerror.NewUnavailable("no frontend"), errs.Unavailable},
		{"temporal deadline", serviceerror.NewDeadlineExceeded("slow"), errs.Unavailable},
		{"a dependency too slow", fmt.Errorf("query: %w", context.DeadlineExceeded), errs.Unavailable},
		{"unique violation", &pgconn.PgError{Code: "23505"}, errs.Internal},
		{"a bug", errors.New("nil map"), errs.Internal},
		{"classified stays", errs.Wrap(dial, errs.NotFound, "gone"), errs.NotFound},
	} {
		if got := errs.CodeOf(asUnavailable(tc.err)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
