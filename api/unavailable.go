package api

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/api/serviceerror"

	"shopflow/errs"
)

// asUnavailable classifies an unclassified (or Internal) error caused by a dependency that is
// down or not answering as Unavailable, so the client gets 503 with Retry-After rather than a
// 500 that says "bug". Handlers and stores need not each recognise Postgres, Redis and
// Temporal outages: fail asks this once for every error. Anything else is returned as is.
func asUnavailable(err error) error {
	var e *errs.Error
	if errors.As(err, &e) && e.Code != errs.Internal {
		return err
	}
	if !dependencyDown(err) {
		return err
	}
	return errs.Wrap(err, errs.Unavailable, "a service this request needs is unavailable; try again shortly")
}

// dependencyDown reports whether err says a dependency could not be reached or did not answer
// in time, rather than that it refused the request.
func dependencyDown(err error) bool {
	var (
		connect  *pgconn.ConnectError
		pgErr    *pgconn.PgError
		netErr   *net.OpError
		dns      *net.DNSError
		tUnavail *serviceerror.Unavailable
		tTimeout *serviceerror.DeadlineExceeded
	)
	switch {
	case errors.As(err, &connect), errors.As(err, &netErr), errors.As(err, &dns),
		errors.As(err, &tUnavail), errors.As(err, &tTimeout):
		return true
	case errors.As(err, &pgErr):
		// 08: connection exception; 57P01-03: the server is shutting down or starting; 53300:
		// too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout):
		return true
	}
	return pgconn.Timeout(err)
}
