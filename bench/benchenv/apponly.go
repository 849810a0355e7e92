package benchenv

import (
	"context"
	"errors"
	"io"
	"os"

	"shopflow/app"
	"shopflow/config"
)

// APIOnly is a Shopflow app on a fresh database without Temporal, for drivers whose endpoints
// read only Postgres and Redis (top sellers, search, recommendations).
type APIOnly struct {
	App    *app.App
	Config config.Config
	// Dir is a temporary directory for the driver's files, removed by Close.
	Dir   string
	close []func(context.Context) error
}

// OpenAPIOnly creates a fresh database named after driver, a temporary directory and the app,
// with extra KEY=VALUE settings. Close undoes all of it, Redis keys included.
func OpenAPIOnly(ctx context.Context, driver, databaseURL, redisURL string, stderr io.Writer, extra ...string) (_ *APIOnly, err error) {
	a := &APIOnly{}
	defer func() {
		if err != nil {
			err = errors.Join(err, a.Close(context.WithoutCancel(ctx)))
		}
	}()
	db, err := CreateDatabase(ctx, databaseURL, "shopflow_bench_"+driver+"_")
	if err != nil {
		return nil, err
	}
	a.close = append(a.close, db.Drop)
	if a.Dir, err = os.MkdirTemp("", "shopflow-bench-"+driver+"-"); err != nil {
		return nil, err
	}
	a.close = append(a.close, func(context.Context) error { return os.RemoveAll(a.Dir) })
	// No Temporal address is dialed (NoTemporal below).
	if a.Config, _, err = Config(a.Dir, db.URL, redisURL, "127.0.0.1:7233", extra...); err != nil {
		return nil, err
	}
	prefix := a.Config.RedisPrefix
	a.close = append(a.close, func(ctx context.Context) error { return DeleteRedisKeys(ctx, redisURL, prefix) })
	if a.App, err = app.Open(ctx, a.Config, app.Options{Logger: Logger(stderr), NoTemporal: true}); err != nil {
		return nil, err
	}
	a.close = append(a.close, func(context.Context) error { a.App.Close(); return nil })
	return a, nil
}

// Close closes the app and removes what OpenAPIOnly made, newest first.
func (a *APIOnly) Close(ctx context.Context) error {
	var err error
	for i := len(a.close) - 1; i >= 0; i-- {
		err = errors.Join(err, a.close[i](ctx))
	}
	a.close = nil
	return err
}
