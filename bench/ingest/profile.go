package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/ingest"
	"shopflow/store"
)

// The profile runs the production ingest code (ingest.Submit, then ingest.Batches.IngestChunk
// until the file is read, as the IngestChunk activity does) in this process, without Temporal,
// on a pool of one connection, and times every statement the chunks send (a pgx tracer): what
// is left of a chunk's wall time is Go (reading, parsing and checking lines, and the
// bookkeeping around them). A CPU profile covers the run. Then one more file of one chunk is
// ingested with auto_explain on (ANALYZE, BUFFERS), its plans captured as notices.

// statement classes, in report order.
var statementClasses = []string{"countSales", "staging COPY", "staging CREATE", "staging TRUNCATE",
	"commit", "products check", "batch read", "batch lock + update", "begin", "other"}

func classify(sql string) string {
	s := strings.TrimSpace(sql)
	switch {
	case strings.Contains(s, "INSERT INTO sale_keys"):
		return "countSales"
	case strings.HasPrefix(s, "CREATE") && strings.Contains(s, "sale_staging"):
		return "staging CREATE"
	case strings.HasPrefix(s, "TRUNCATE sale_staging"):
		return "staging TRUNCATE"
	case strings.EqualFold(s, "commit"):
		return "commit"
	case strings.HasPrefix(strings.ToLower(s), "begin"):
		return "begin"
	case strings.Contains(s, "FROM products"):
		return "products check"
	case strings.Contains(s, "FOR UPDATE") || strings.HasPrefix(s, "UPDATE ingest_batches"):
		return "batch lock + update"
	case strings.Contains(s, "FROM ingest_batches"):
		return "batch read"
	}
	return "other"
}

type traceKey struct{}

type traceStart struct {
	class string
	at    time.Time
}

// tracer adds up the wall time of statements by class.
type tracer struct {
	mu    sync.Mutex
	total map[string]time.Duration
	count map[string]int
}

func (t *tracer) add(class string, d time.Duration) {
	t.mu.Lock()
	t.total[class] += d
	t.count[class]++
	t.mu.Unlock()
}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{class: classify(data.SQL), at: time.Now()})
}

func (t *tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if s, ok := ctx.Value(traceKey{}).(traceStart); ok {
		t.add(s.class, time.Since(s.at))
	}
}

func (t *tracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{class: "staging COPY", at: time.Now()})
}

func (t *tracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromEndData) {
	if s, ok := ctx.Value(traceKey{}).(traceStart); ok {
		t.add(s.class, time.Since(s.at))
	}
}

func (t *tracer) sum() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var d time.Duration
	for _, v := range t.total {
		d += v
	}
	return d
}

// notices keeps the notices of the session while capturing (auto_explain's plans).
type notices struct {
	mu      sync.Mutex
	on      bool
	entries []string
}

func (n *notices) handle(_ *pgconn.PgConn, no *pgconn.Notice) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.on && strings.Contains(no.Message, "Query Text") || n.on && strings.Contains(no.Message, "duration:") {
		n.entries = append(n.entries, no.Message)
	}
}

func profile(args []string) error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	databaseURL := fs.String("database-url", "", "the run's database")
	file := fs.String("file", "", "the CSV file to ingest")
	explainFile := fs.String("explain-file", "", "a file of one chunk, ingested after --file with auto_explain on")
	chunk := fs.Int("chunk-lines", 50_000, "lines per chunk, as SHOPFLOW_INGEST_CHUNK_LINES")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the ingest of --file here")
	explainOut := fs.String("explain-out", "", "write the captured plans here")
	prefix := fs.String("prefix", "P_", "prefix of the printed results")
	sessionSQL := fs.String("session-sql", "", "statements run on the session when it opens (e.g. SET work_mem = '64MB'), as a SET LOCAL in each chunk's transaction would")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(*databaseURL)
	if err != nil {
		return err
	}
	tr := &tracer{total: map[string]time.Duration{}, count: map[string]int{}}
	plans := &notices{}
	cfg.MaxConns = 1 // chunks are sequential; one session, so auto_explain can be switched on for it
	cfg.ConnConfig.Tracer = tr
	cfg.ConnConfig.OnNotice = plans.handle
	var backend int
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, `LOAD 'auto_explain'; SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;
			SET auto_explain.log_timing = on; SET auto_explain.log_level = notice; SET auto_explain.log_min_duration = -1`); err != nil {
			return err
		}
		if *sessionSQL != "" {
			if _, err := c.Exec(ctx, *sessionSQL); err != nil {
				return fmt.Errorf("session SQL: %w", err)
			}
		}
		return c.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	dir, err := os.MkdirTemp("", "bench-ingest-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	files := ingest.Files{Dir: dir}
	batches := &ingest.Batches{Store: st, Files: files, ChunkLines: *chunk}

	submit := func(name string) (store.Batch, error) {
		f, err := os.Open(name)
		if err != nil {
			return store.Batch{}, err
		}
		defer f.Close()
		b, _, err := ingest.Submit(ctx, st, files, ingest.Submission{Filename: filepath.Base(name), Format: ingest.FormatCSV, Body: f, SubmittedBy: "bench"})
		return b, err
	}
	batch, err := submit(*file)
	if err != nil {
		return err
	}
	tr.total, tr.count = map[string]time.Duration{}, map[string]int{} // the submission's statements are not the ingest's
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pf.Close()
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0, _ := procCPU(os.Getpid())
	bcpu0, _ := procCPU(backend)
	start := time.Now()
	chunks := 0
	var slowest, fastest time.Duration
	for {
		t0 := time.Now()
		res, err := batches.IngestChunk(ctx, batch.ID, nil)
		if err != nil {
			return err
		}
		d := time.Since(t0)
		chunks++
		slowest = max(slowest, d)
		if fastest == 0 || d < fastest {
			fastest = d
		}
		if chunks%5 == 0 || res.Done {
			progressf("profile: %d lines in %d chunks, %.1fs", res.Batch.LinesRead, chunks, time.Since(start).Seconds())
		}
		if res.Done {
			break
		}
	}
	wall := time.Since(start)
	cpu1, _ := procCPU(os.Getpid())
	bcpu1, _ := procCPU(backend)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	runtime.ReadMemStats(&ms1)
	if _, err := batches.Complete(ctx, batch.ID); err != nil {
		return err
	}
	done, err := st.BatchByID(ctx, batch.ID)
	if err != nil {
		return err
	}
	inDB := tr.sum()
	out(*prefix+"LINES", done.Accepted)
	out(*prefix+"CHUNKS", chunks)
	out(*prefix+"WALL", wall.Seconds())
	out(*prefix+"LINES_PER_S", float64(done.Accepted)/wall.Seconds())
	out(*prefix+"GO_CPU", cpu1-cpu0)
	out(*prefix+"BACKEND_CPU", bcpu1-bcpu0)
	out(*prefix+"GO_ALLOC_MB", float64(ms1.TotalAlloc-ms0.TotalAlloc)/(1<<20))
	out(*prefix+"CHUNK_MIN", fastest.Seconds())
	out(*prefix+"CHUNK_MAX", slowest.Seconds())
	out(*prefix+"OUTSIDE_DB", (wall - inDB).Seconds())
	var parts []string
	for _, c := range statementClasses {
		key := strings.ToUpper(strings.NewReplacer(" ", "_", "+", "", "__", "_").Replace(c))
		out(*prefix+"T_"+key, tr.total[c].Seconds())
		if tr.count[c] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2fs/%d", c, tr.total[c].Seconds(), tr.count[c]))
		}
	}
	progressf("profile: %d lines in %d chunks of %d in %.1fs = %.0f lines/s; outside the database (Go) %.1fs (CPU %.1fs); backend CPU %.1fs; statements: %s",
		done.Accepted, chunks, *chunk, wall.Seconds(), float64(done.Accepted)/wall.Seconds(), (wall - inDB).Seconds(), cpu1-cpu0, bcpu1-bcpu0,
		strings.Join(parts, ", "))

	if *explainFile == "" {
		return nil
	}
	eb, err := submit(*explainFile)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `SET auto_explain.log_min_duration = 0`); err != nil {
		return err
	}
	plans.mu.Lock()
	plans.on = true
	plans.mu.Unlock()
	// One chunk holding the whole file (its header row counts as a line of the chunk).
	whole := &ingest.Batches{Store: st, Files: files, ChunkLines: 1 << 30, ChunkBytes: 1 << 40}
	t0 := time.Now()
	res, err := whole.IngestChunk(ctx, eb.ID, nil)
	if err != nil {
		return err
	}
	took := time.Since(t0)
	plans.mu.Lock()
	plans.on = false
	entries := plans.entries
	plans.mu.Unlock()
	if _, err := pool.Exec(ctx, `SET auto_explain.log_min_duration = -1`); err != nil {
		return err
	}
	if !res.Done {
		progressf("explain: the explain file did not fit in one chunk; only its first chunk was explained")
	}
	// Keep the plans of the statements that matter: the sales statement first, then the rest by time.
	sort.SliceStable(entries, func(i, j int) bool {
		return strings.Contains(entries[i], "INSERT INTO sale_keys") && !strings.Contains(entries[j], "INSERT INTO sale_keys")
	})
	if *explainOut != "" {
		if err := os.WriteFile(*explainOut, []byte(strings.Join(entries, "\n\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	out(*prefix+"EXPLAIN_CHUNK_SECONDS", took.Seconds())
	out(*prefix+"EXPLAIN_LINES", res.Batch.Accepted)
	progressf("explain: one chunk of %d lines with auto_explain (ANALYZE, BUFFERS) took %.2fs; %d plans in %s",
		res.Batch.Accepted, took.Seconds(), len(entries), *explainOut)
	return nil
}
