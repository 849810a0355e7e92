package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/app"
	"shopflow/bench/benchdoc"
	"shopflow/bench/benchenv"
	"shopflow/ranking"
	"shopflow/ranking/rankingtest"
)

// run sets up the shop and both servers, measures them in turn, and reports.
func run(ctx context.Context, o options, out, stderr io.Writer) (err error) {
	rep := report{Started: time.Now().UTC(), Machine: benchenv.Machine(), Command: benchenv.CommandLine("topsellers"), Options: o}
	fmt.Fprintf(out, "topsellers bench: %s\n", rep.Machine)
	env, err := benchenv.OpenAPIOnly(ctx, "topsellers", o.DatabaseURL, o.RedisURL, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close(context.WithoutCancel(ctx))) }()
	a := env.App
	category, err := seedAndRank(ctx, a, o, out)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	api := benchenv.Go(ctx, func(ctx context.Context) error { return a.ServeAPI(ctx, ln) })
	defer func() { err = errors.Join(err, api.Stop()) }()
	apiURL := fmt.Sprintf("http://%s/api/v1/categories/%d/top-sellers", ln.Addr(), category)
	staticURL, stopStatic, err := serveStatic(ctx, apiURL, &rep)
	if err != nil {
		return err
	}
	defer stopStatic()

	fmt.Fprintf(out, "topsellers bench: api %s, static %s; warming both up\n", apiURL, staticURL)
	for _, u := range []string{apiURL, staticURL} {
		if _, err := runWrk(ctx, o, u, 3*time.Second); err != nil {
			return err
		}
	}
	for round := 1; round <= o.Rounds; round++ {
		for _, t := range []struct{ name, url string }{{"api", apiURL}, {"static", staticURL}} {
			fmt.Fprintf(out, "topsellers bench: round %d of %d: %s, %s (load %s)\n", round, o.Rounds, t.name, o.Duration, benchenv.LoadAverage())
			res, err := runWrk(ctx, o, t.url, o.Duration)
			if err != nil {
				return err
			}
			res.Name, res.Round = t.name, round
			fmt.Fprintf(out, "  %.0f requests/s, p99 %.2f ms, %d non-2xx\n", res.PerSecond, res.P99, res.Non2xx)
			rep.Runs = append(rep.Runs, res)
		}
	}
	rep.LoadAfter = benchenv.LoadAverage()
	md := rep.markdown()
	fmt.Fprint(out, "\n", md)
	if o.Doc != "" {
		if err := benchdoc.Write(o.Doc, "topsellers", md); err != nil {
			return err
		}
		fmt.Fprintf(out, "topsellers bench: wrote its section of %s\n", o.Doc)
	}
	return nil
}

// seedAndRank generates the shop, then ranks it and publishes the ranking as the hourly job
// does; it returns the category to ask for, a root, whose ranking is the largest.
func seedAndRank(ctx context.Context, a *app.App, o options, out io.Writer) (int64, error) {
	end := time.Now().UTC().Truncate(time.Hour)
	started := time.Now()
	fmt.Fprintf(out, "topsellers bench: seeding %d sales of %d products\n", o.Facts, o.Products)
	shop, err := rankingtest.Seed(ctx, a.Pool, rankingtest.Spec{Roots: 8, Fanout: 5, Depth: 3, Sellers: o.Sellers,
		Products: o.Products, Facts: o.Facts, Hours: 720, End: end, Seed: 0.42, Source: "bench",
		Progress: func(n int) { fmt.Fprintf(out, "  %d sales seeded, %s\n", n, time.Since(started).Round(time.Second)) }})
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	r, err := ranking.Compute(ctx, a.Pool, ranking.WindowEnding(end, a.Config.TopSellersWindow), a.Config.TopSellersN)
	if err != nil {
		return 0, err
	}
	if _, err := ranking.Publish(ctx, a.Redis, a.Config.RedisPrefix, r); err != nil {
		return 0, err
	}
	return shop.Categories[0], nil
}

// serveStatic fetches the API's answer once and serves the same bytes and caching headers from
// a Gin engine with one route and nothing else, on the http.Server production uses.
func serveStatic(ctx context.Context, apiURL string, rep *report) (string, func(), error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL, nil)
	if err != nil {
		return "", nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("GET %s: %w", apiURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("GET %s: HTTP %d %.200s (%v)", apiURL, resp.StatusCode, body, err)
	}
	path := resp.Request.URL.Path
	rep.BodyBytes = len(body)
	etag, cacheControl, contentType := resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type")
	engine := gin.New()
	engine.GET(path, func(c *gin.Context) {
		c.Header("ETag", etag)
		c.Header("Cache-Control", cacheControl)
		c.Data(http.StatusOK, contentType, body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	hs := app.NewHTTPServer(ctx, engine)
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String() + path, func() { _ = hs.Close() }, nil
}
