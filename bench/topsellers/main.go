// Command topsellers is the server side of the top-sellers endpoint benchmark (run it through
// bench/topsellers/run.sh, which drives it with wrk).
//
// "serve" creates a fresh database next to --database-url, migrates it, generates a shop with
// --facts sales (rankingtest.Seed), times ranking.Compute over the 24-hour and 7-day windows,
// publishes the ranking to Redis under a prefix of its own, then serves two things on
// 127.0.0.1 until interrupted:
//
//   - the Shopflow API (api.New, the production configuration defaults, JSON logs at info to a
//     discarded writer) on --api-addr;
//   - on --static-addr, a bare Gin engine whose one route answers with the very bytes and
//     headers the API gives for the benchmarked category: the ceiling the API is compared with;
//     and /memstats, this process's memory after a forced GC, for the growth measurement.
//
// When ready it writes --ready-file (shell variable assignments for run.sh). On exit it drops
// the database and deletes its Redis keys.
//
// "doc" writes a Markdown section (read from stdin) into a file between this benchmark's
// markers, replacing the previous one, leaving the rest of the file as it was.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"shopflow/api"
	"shopflow/auth"
	"shopflow/bench/benchdoc"
	"shopflow/config"
	"shopflow/migrations"
	"shopflow/ranking"
	"shopflow/ranking/rankingtest"
	"shopflow/store"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: topsellers serve [flags] | topsellers doc --file F (see bench/topsellers/run.sh --help)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "doc":
		err = doc(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: serve or doc", os.Args[1])
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "topsellers bench:", err)
		os.Exit(1)
	}
}

type serveOptions struct {
	DatabaseURL, RedisURL    string
	APIAddr, StaticAddr      string
	ReadyFile                string
	Facts, Products, Sellers int
	Roots, Fanout, Depth     int
	Hours                    int
}

func serve(args []string) error {
	var o serveOptions
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&o.DatabaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "a database to create the run's database next to")
	fs.StringVar(&o.RedisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis")
	fs.StringVar(&o.APIAddr, "api-addr", "127.0.0.1:18080", "where the API listens")
	fs.StringVar(&o.StaticAddr, "static-addr", "127.0.0.1:18081", "where the static baseline listens")
	fs.StringVar(&o.ReadyFile, "ready-file", "", "written when both servers are up: shell variable assignments")
	fs.IntVar(&o.Facts, "facts", 10_000_000, "sales lines to generate")
	fs.IntVar(&o.Products, "products", 20_000, "products")
	fs.IntVar(&o.Sellers, "sellers", 500, "sellers")
	fs.IntVar(&o.Roots, "roots", 8, "root categories")
	fs.IntVar(&o.Fanout, "fanout", 5, "subcategories per category")
	fs.IntVar(&o.Depth, "depth", 3, "levels of categories")
	fs.IntVar(&o.Hours, "hours", 720, "hours the sales are spread over, ending at the current hour")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	dbURL, drop, err := createDatabase(ctx, o.DatabaseURL)
	if err != nil {
		return err
	}
	defer drop()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrations.New(pool)
	if err != nil {
		return err
	}
	err = m.Up(ctx, slog.New(slog.DiscardHandler))
	m.Close()
	if err != nil {
		return err
	}

	cfg, err := config.Load([]string{
		"SHOPFLOW_DATABASE_URL=" + dbURL,
		"SHOPFLOW_REDIS_URL=" + o.RedisURL,
		"SHOPFLOW_REDIS_PREFIX=shopflow-bench-topsellers-" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":",
		"SHOPFLOW_JWT_SECRET=" + strings.Repeat("b", 40),
	})
	if err != nil {
		return err
	}
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	defer deleteKeys(rdb, cfg.RedisPrefix)

	end := time.Now().UTC().Truncate(time.Hour)
	log.Info("seeding", "facts", o.Facts, "products", o.Products, "hours", o.Hours)
	seedStart := time.Now()
	shop, err := rankingtest.Seed(ctx, pool, rankingtest.Spec{Roots: o.Roots, Fanout: o.Fanout, Depth: o.Depth,
		Sellers: o.Sellers, Products: o.Products, Facts: o.Facts, Hours: o.Hours, End: end, Seed: 0.42, Source: "bench",
		Progress: func(n int) { log.Info("seeded", "facts", n, "elapsed", time.Since(seedStart).Round(time.Second)) }})
	if err != nil {
		return err
	}
	seeded := time.Since(seedStart)
	var rollupRows, windowRows int64
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE hour >= $1) FROM sales_hourly`, end.Add(-cfg.TopSellersWindow)).
		Scan(&rollupRows, &windowRows); err != nil {
		return err
	}

	// ranking.Compute as the hourly job runs it: best of three, plus the 7-day window once.
	w := ranking.WindowEnding(end, cfg.TopSellersWindow)
	var r ranking.Ranking
	var times []time.Duration
	for range 3 {
		start := time.Now()
		if r, err = ranking.Compute(ctx, pool, w, cfg.TopSellersN); err != nil {
			return err
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	start := time.Now()
	if _, err := ranking.Compute(ctx, pool, ranking.WindowEnding(end, 7*24*time.Hour), cfg.TopSellersN); err != nil {
		return err
	}
	week := time.Since(start)
	start = time.Now()
	pub, err := ranking.Publish(ctx, rdb, cfg.RedisPrefix, r)
	if err != nil {
		return err
	}
	published := time.Since(start)
	log.Info("ranked and published", "compute_24h", times[0], "compute_7d", week, "publish", published, "generation", pub.Generation)

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gin.SetMode(gin.ReleaseMode)
	st := store.New(pool)
	pw, err := auth.NewPasswords(4)
	if err != nil {
		return err
	}
	srv, err := api.New(api.Deps{
		Config: cfg, Store: st, Redis: rdb, Passwords: pw, Registry: registry,
		Tokens: &auth.Tokens{Secret: []byte(cfg.JWTSecret), Issuer: cfg.JWTIssuer, TTL: cfg.JWTTTL},
		// As in production (info, JSON), written nowhere: the cost of logging is measured,
		// not the disk.
		Logger: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		return err
	}
	category := shop.Categories[0] // a root: the largest ranking
	path := fmt.Sprintf("/api/v1/categories/%d/top-sellers", category)
	apiURL, err := listen(ctx, o.APIAddr, srv.Handler())
	if err != nil {
		return err
	}
	body, header, err := fetch(apiURL + path)
	if err != nil {
		return err
	}
	staticURL, err := listen(ctx, o.StaticAddr, staticEngine(path, body, header))
	if err != nil {
		return err
	}

	ready := map[string]string{
		"API_URL": apiURL + path, "STATIC_URL": staticURL + path, "FLOOR_URL": apiURL + "/healthz",
		"MEMSTATS_URL": staticURL + "/memstats", "BODY_BYTES": strconv.Itoa(len(body)),
		"FACTS": strconv.Itoa(o.Facts), "PRODUCTS": strconv.Itoa(o.Products), "SELLERS": strconv.Itoa(o.Sellers),
		"CATEGORIES": strconv.Itoa(len(shop.Categories)), "LEVELS": strconv.Itoa(o.Depth), "HOURS": strconv.Itoa(o.Hours),
		"ROLLUP_ROWS": strconv.FormatInt(rollupRows, 10), "WINDOW_ROLLUP_ROWS": strconv.FormatInt(windowRows, 10),
		"SEED_SECONDS":    secs(seeded),
		"COMPUTE_24H_MIN": secs(times[0]), "COMPUTE_24H_MAX": secs(times[len(times)-1]), "COMPUTE_7D": secs(week),
		"PUBLISH_SECONDS": secs(published), "RANKED_SELLERS": strconv.Itoa(r.RankedSellers),
		"GOMAXPROCS": strconv.Itoa(runtime.GOMAXPROCS(0)), "GO_VERSION": runtime.Version(),
	}
	if o.ReadyFile != "" {
		if err := writeReady(o.ReadyFile, ready); err != nil {
			return err
		}
	}
	log.Info("serving", "api", apiURL+path, "static", staticURL+path)
	<-ctx.Done()
	log.Info("stopping")
	return nil
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// staticEngine is the ceiling: Gin with nothing but a handler writing prepared bytes.
func staticEngine(path string, body []byte, h http.Header) http.Handler {
	r := gin.New()
	etag, cacheControl := h.Get("ETag"), h.Get("Cache-Control")
	r.GET(path, func(c *gin.Context) {
		c.Header("ETag", etag)
		c.Header("Cache-Control", cacheControl)
		c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	})
	r.GET("/memstats", func(c *gin.Context) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		c.JSON(http.StatusOK, gin.H{"heap_alloc": ms.HeapAlloc, "heap_inuse": ms.HeapInuse, "sys": ms.Sys,
			"total_alloc": ms.TotalAlloc, "mallocs": ms.Mallocs, "num_gc": ms.NumGC, "rss": rss()})
	})
	return r
}

// rss is this process's resident set size, from /proc (0 elsewhere).
func rss() uint64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func listen(ctx context.Context, addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = hs.Close() })
	return "http://" + ln.Addr().String(), nil
}

func fetch(u string) ([]byte, http.Header, error) {
	res, err := http.Get(u)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %d %s", u, res.StatusCode, body)
	}
	return body, res.Header, nil
}

func writeReady(path string, vars map[string]string) error {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, vars[k])
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path) // the script sees the whole file or none
}

// createDatabase creates an empty database next to the one adminURL names and returns its URL
// and a function dropping it.
func createDatabase(ctx context.Context, adminURL string) (string, func(), error) {
	name := "shopflow_bench_topsellers_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			fmt.Fprintln(os.Stderr, "drop database:", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "drop database:", err)
		}
	}
	return u.String(), drop, nil
}

func deleteKeys(rdb *redis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		rdb.Unlink(ctx, keys[:n]...)
		keys = keys[n:]
	}
}

// doc writes the section read from stdin into --file between this benchmark's markers.
func doc(args []string) error {
	fs := flag.NewFlagSet("doc", flag.ContinueOnError)
	file := fs.String("file", "docs/BENCHMARKS.md", "the Markdown file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	section, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	const begin = "<!-- bench/topsellers: begin (generated by bench/topsellers/run.sh; edits here are overwritten) -->"
	const end = "<!-- bench/topsellers: end -->"
	return benchdoc.Replace(*file, begin, end, string(section))
}
