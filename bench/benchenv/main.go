package benchenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
)

// Flags are the flags every driver takes: where its dependencies are and where its section goes.
type Flags struct {
	TemporalBin, DatabaseURL, RedisURL, Doc string
}

// Register adds the flags to fs; --temporal-bin only for drivers that start a dev server.
func (f *Flags) Register(fs *flag.FlagSet, temporal bool) {
	if temporal {
		fs.StringVar(&f.TemporalBin, "temporal-bin", "bin/temporal", "Temporal CLI that runs the dev server (make temporal builds it)")
	}
	// sslmode=disable, as Shopflow's own default and the tests': pgx would otherwise negotiate
	// TLS with a local server that offers it, and every round trip would pay for encryption.
	fs.StringVar(&f.DatabaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "Postgres `URL` allowed to CREATE DATABASE")
	fs.StringVar(&f.RedisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis `URL`; the run's keys get a prefix of their own")
	fs.StringVar(&f.Doc, "doc", "docs/BENCHMARKS.md", "Markdown `file` to write the section into ('' = print only)")
}

// Main runs the driver bench/NAME: it parses the command line (exit status 2 on a mistake, 0
// after --help), then runs it with a context that ends on Ctrl-C, SIGTERM or after bound(o),
// so that a run always ends and stops what it started; exit status 1 when run fails.
func Main[O any](name string, parse func(args []string, stderr io.Writer) (O, error), bound func(O) time.Duration,
	run func(ctx context.Context, o O, out, stderr io.Writer) error) {
	o, err := parse(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s bench: %v\n", name, err)
		os.Exit(2)
	}
	gin.SetMode(gin.ReleaseMode) // as in production: no route listing on stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, bound(o))
	err = run(ctx, o, os.Stdout, os.Stderr)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s bench: %v\n", name, err)
		os.Exit(1)
	}
}
