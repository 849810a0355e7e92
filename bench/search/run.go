package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"shopflow/api"
	"shopflow/app"
	"shopflow/bench/benchdoc"
	"shopflow/bench/benchenv"
	"shopflow/search"
)

// run sets up the catalog and both servers, checks and measures every phase, and reports.
func run(ctx context.Context, o options, out, stderr io.Writer) (err error) {
	if err := findWrk(o.Wrk); err != nil {
		return err
	}
	rep := report{Started: time.Now().UTC(), Machine: benchenv.Machine(), Command: benchenv.CommandLine("search"), Options: o}
	fmt.Fprintf(out, "search bench: %s\n", rep.Machine)
	env, err := benchenv.OpenAPIOnly(ctx, "search", o.DatabaseURL, o.RedisURL, stderr, "SHOPFLOW_SEARCH_BACKEND=postgres")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close(context.WithoutCancel(ctx))) }()
	a := env.App
	cfg, tmp := env.Config, env.Dir
	w, err := prepareCatalog(ctx, a, o, out)
	if err != nil {
		return err
	}
	rep.Workload, rep.CacheTTL = w, cfg.SearchCacheTTL

	uncached, stopUncached, err := serveUncached(ctx, a)
	if err != nil {
		return err
	}
	defer stopUncached()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	cachedAPI := benchenv.Go(ctx, func(ctx context.Context) error { return a.ServeAPI(ctx, ln) })
	defer func() { err = errors.Join(err, cachedAPI.Stop()) }()
	cached := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "search bench: %d queries, %d suggest prefixes, %d popular; uncached API %s, cached API %s\n",
		len(w.Queries), len(w.Prefixes), len(w.Popular), uncached, cached)

	phases := w.phases(uncached, cached)
	rep.Answers = map[string]answerSample{}
	for _, p := range phases {
		s, err := checkPhase(ctx, p)
		if err != nil {
			return err
		}
		rep.Answers[p.Name] = s
		fmt.Fprintf(out, "search bench: checked %s: %d answers, %d bytes on average, %d without items; warming up\n",
			p.Name, s.Checked, s.MeanBytes, s.Empty)
		if _, err := runWrk(ctx, o, tmp, p, 3*time.Second); err != nil {
			return err
		}
	}
	for round := 1; round <= o.Rounds; round++ {
		for _, p := range phases {
			fmt.Fprintf(out, "search bench: round %d of %d: %s, %s (load %s)\n", round, o.Rounds, p.Name, o.Duration, benchenv.LoadAverage())
			res, err := measure(ctx, o, tmp, p, round == o.Rounds)
			if err != nil {
				return err
			}
			res.Round = round
			fmt.Fprintf(out, "  %.0f requests/s, p50 %.2f ms, p99 %.2f ms, %d non-2xx, %d socket errors\n",
				res.PerSecond, res.P50, res.P99, res.Non2xx, res.SocketErrors)
			rep.Runs = append(rep.Runs, res)
		}
	}
	rep.LoadAfter = benchenv.LoadAverage()
	md := rep.markdown()
	fmt.Fprint(out, "\n", md)
	if o.Doc != "" {
		if err := benchdoc.Write(o.Doc, "search", md); err != nil {
			return err
		}
		fmt.Fprintf(out, "search bench: wrote its section of %s\n", o.Doc)
	}
	return nil
}

// measure runs wrk for one phase, under the CPU profiler when --profile asks for it.
func measure(ctx context.Context, o options, dir string, p phase, profile bool) (wrkResult, error) {
	if o.Profile == "" || !profile {
		return runWrk(ctx, o, dir, p, o.Duration)
	}
	if err := os.MkdirAll(o.Profile, 0o755); err != nil {
		return wrkResult{}, err
	}
	f, err := os.Create(filepath.Join(o.Profile, p.Name+".pprof"))
	if err != nil {
		return wrkResult{}, err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return wrkResult{}, fmt.Errorf("profile %s: %w", p.Name, err)
	}
	defer pprof.StopCPUProfile()
	return runWrk(ctx, o, dir, p, o.Duration)
}

// serveUncached serves a second API, built by package app like the production one but with
// the search cache off, so every search and suggestion reaches the engine. It returns the
// server's http://host:port.
func serveUncached(ctx context.Context, a *app.App) (string, func(), error) {
	srv, err := a.API(func(d *api.Deps) {
		d.SearchCache = search.NewCache(0, a.Redis, a.Config.RedisPrefix, a.Log)
	})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	hs := app.NewHTTPServer(ctx, srv.Handler())
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = hs.Close() }, nil
}
