package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"go/build"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"shopflow/api"
	"shopflow/app"
	"shopflow/config"
	"shopflow/store/storetest"
	"shopflow/workflows"
)

var recordHistories = flag.Bool("record-histories", false,
	"record histories of real sagas into workflows/testdata (same as SHOPFLOW_RECORD_HISTORIES=1)")

// sagaDeadline bounds every wait for a saga to finish; a saga that needs longer is a failure.
const sagaDeadline = 90 * time.Second

// suite is what TestMain sets up once for the package: one Temporal dev server that every test
// shares, each on task queues of its own.
var suite struct {
	root     string // module root (holds go.mod)
	tmp      string
	temporal client.Client
	address  string // the dev server's frontend, host:port
	// err says why there is no dev server; every test fails with it.
	err error

	build struct {
		once sync.Once
		path string
		err  error
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	gin.SetMode(gin.TestMode)
	code := runSuite(m)
	storetest.DropTemplate()
	os.Exit(code)
}

func runSuite(m *testing.M) int {
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	suite.root = root
	if suite.tmp, err = os.MkdirTemp("", "shopflow-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(suite.tmp)
	srv, err := startTemporal(root)
	if err != nil {
		suite.err = err
	} else {
		suite.temporal, suite.address = srv.Client(), srv.FrontendHostPort()
		defer func() {
			suite.temporal.Close()
			if err := srv.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "e2e: stop temporal dev server:", err)
			}
		}()
	}
	return m.Run()
}

// startTemporal starts the dev server built by scripts/install-temporal.sh, on 127.0.0.1 and a
// free port, with Shopflow's search attributes registered.
func startTemporal(root string) (*testsuite.DevServer, error) {
	exe := filepath.Join(root, "bin", "temporal")
	if _, err := os.Stat(exe); err != nil {
		return nil, fmt.Errorf("end-to-end tests need the Temporal dev server at %s (%v): run scripts/install-temporal.sh", exe, err)
	}
	var banner io.Writer = io.Discard // the address and metrics port it prints on start
	if testing.Verbose() {
		banner = os.Stdout
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		Stdout:        banner,
		Stderr:        os.Stderr,
		ExistingPath:  exe,
		ClientOptions: &client.Options{Namespace: "default", Logger: temporalLogger()},
		LogLevel:      "error",
		ExtraArgs: []string{
			"--search-attribute", "OrderId=Keyword",
			"--search-attribute", "CustomerId=Keyword",
			"--search-attribute", "OrderStatus=Keyword",
			"--headless", // also the SDK's default without EnableUI; stated so it stays true
		},
	})
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server %s: %w", exe, err)
	}
	return srv, nil
}

// temporalLogger keeps the SDK quiet unless -v: stopping a test's worker logs poll errors.
func temporalLogger() tlog.Logger {
	level := slog.LevelError
	if testing.Verbose() {
		level = slog.LevelWarn
	}
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// shopflowBinary builds cmd/shopflow once per package run, for tests that need the worker as a
// separate process they can kill.
func shopflowBinary(t *testing.T) string {
	t.Helper()
	b := &suite.build
	b.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(build.Default.GOROOT, "bin", "go")
		}
		b.path = filepath.Join(suite.tmp, "shopflow")
		cmd := exec.Command(goTool, "build", "-o", b.path, "./cmd/shopflow")
		cmd.Dir = suite.root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build ./cmd/shopflow: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// env is one Shopflow deployment for one test: its own database, Redis key prefix and task
// queue, the API as package app builds it behind an httptest server, and (unless the test runs
// its own) an in-process worker, all talking to the package's Temporal dev server.
type env struct {
	t         *testing.T
	cfg       config.Config
	db        *pgxpool.Pool         // the test's own connections, for setup and assertions
	redis     redis.UniversalClient // the API's client
	temporal  client.Client
	checkouts *workflows.Checkouts // the API's, for the test's own queries of sagas
	api       *httptest.Server
	http      *http.Client

	catalog struct {
		once     sync.Once
		seller   account
		category int64
	}
}

type envSettings struct {
	paymentTimeout time.Duration
	worker         bool
	adjust         []func(*config.Config)
}

type envOption func(*envSettings)

// withPaymentTimeout sets how long sagas wait for a payment that needs action.
func withPaymentTimeout(d time.Duration) envOption {
	return func(s *envSettings) { s.paymentTimeout = d }
}

// withoutWorker leaves the task queue without a worker: the test runs its own.
func withoutWorker() envOption {
	return func(s *envSettings) { s.worker = false }
}

// withConfig changes the deployment's configuration before anything is built.
func withConfig(f func(*config.Config)) envOption {
	return func(s *envSettings) { s.adjust = append(s.adjust, f) }
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	if suite.err != nil {
		t.Fatal(suite.err)
	}
	settings := envSettings{paymentTimeout: 5 * time.Minute, worker: true}
	for _, o := range opts {
		o(&settings)
	}
	dbURL := storetest.WithMaxConns(storetest.NewDatabase(t), 10)
	queue := taskQueueFor(t)
	redisURL := os.Getenv("SHOPFLOW_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	cfg, err := config.Load([]string{
		"SHOPFLOW_DATABASE_URL=" + dbURL,
		"SHOPFLOW_REDIS_URL=" + redisURL,
		"SHOPFLOW_REDIS_PREFIX=e2e:" + randHex(6) + ":",
		"SHOPFLOW_TEMPORAL_ADDRESS=" + suite.address,
		"SHOPFLOW_TEMPORAL_NAMESPACE=default",
		"SHOPFLOW_TASK_QUEUE=" + queue,
		"SHOPFLOW_BATCH_TASK_QUEUE=" + queue + "-batch",
		"SHOPFLOW_PAYMENT_TIMEOUT=" + settings.paymentTimeout.String(),
		"SHOPFLOW_RESERVATION_SWEEP_INTERVAL=1h", // a worker process's sweep must not interfere
		"SHOPFLOW_JWT_SECRET=e2e-secret-e2e-secret-e2e-secret!!",
		"SHOPFLOW_BCRYPT_COST=4",
		"SHOPFLOW_DEV_ENDPOINTS=true",
		"SHOPFLOW_PAYMENT_PROVIDER=sandbox",
		// Every test's shoppers come from 127.0.0.1; the limits have tests of their own.
		"SHOPFLOW_RATE_LIMIT_AUTH=0", "SHOPFLOW_RATE_LIMIT_WRITES=0", "SHOPFLOW_RATE_LIMIT_READS=0",
		// Every test's orders come from one address and one sandbox card, often one customer:
		// the velocity rules would send them to fraud review. Counted still, never reached.
		"SHOPFLOW_FRAUD_VELOCITY_LIMIT=1000000",
		// The default directory is relative to the working directory and shared by every test.
		"SHOPFLOW_REPORTS_DIR=" + filepath.Join(t.TempDir(), "reports"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range settings.adjust {
		f(&cfg)
	}
	return assembleEnv(t, cfg, suite.temporal, settings.worker)
}

// assembleEnv builds the deployment on cfg and the Temporal client c: the API as package app
// builds it behind an httptest server and, with worker, an in-process worker. The worker (if
// any) shares the API's Temporal client, so sagas take the eager path as in shopflow dev.
func assembleEnv(t *testing.T, cfg config.Config, c client.Client, worker bool) *env {
	t.Helper()
	e := &env{t: t, cfg: cfg, db: openPool(t, cfg.DatabaseURL), temporal: c}
	if worker {
		e.startWorker()
	}
	a := e.openApp()
	e.redis = a.Redis
	srv, err := a.API(func(d *api.Deps) { e.checkouts = d.Checkouts.(*workflows.Checkouts) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := e.redis.Keys(ctx, e.cfg.RedisPrefix+"*").Result(); len(keys) > 0 {
			e.redis.Del(ctx, keys...)
		}
	})
	e.api = httptest.NewServer(srv.Handler())
	t.Cleanup(e.api.Close)
	e.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t.Cleanup(e.http.CloseIdleConnections)
	// Runs first: sagas a test leaves waiting (long payment timeouts) are ended, not left to
	// fire timers on a task queue nobody polls.
	t.Cleanup(e.terminateRunningSagas)
	return e
}

// openApp opens one process's worth of Shopflow on the deployment's configuration and the
// suite's Temporal client: its own database pool and Redis client, as a separate process has.
func (e *env) openApp() *app.App {
	e.t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.Open(context.Background(), e.cfg, app.Options{Logger: logger, Temporal: e.temporal})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(a.Close)
	return a
}

// startWorker runs the production worker in this process, with connections of its own.
func (e *env) startWorker() {
	e.t.Helper()
	w := e.openApp().NewWorker()
	if err := w.Start(); err != nil {
		e.t.Fatalf("start worker on %s: %v", e.cfg.TaskQueue, err)
	}
	e.t.Cleanup(w.Stop)
}

// workerEnviron is the deployment's configuration as the SHOPFLOW_* variables a worker process
// started by the test gets.
func (e *env) workerEnviron() []string {
	return []string{
		"SHOPFLOW_DATABASE_URL=" + e.cfg.DatabaseURL,
		"SHOPFLOW_REDIS_URL=" + e.cfg.RedisURL,
		"SHOPFLOW_REDIS_PREFIX=" + e.cfg.RedisPrefix,
		"SHOPFLOW_TEMPORAL_ADDRESS=" + e.cfg.TemporalAddress,
		"SHOPFLOW_TEMPORAL_NAMESPACE=" + e.cfg.TemporalNamespace,
		"SHOPFLOW_TASK_QUEUE=" + e.cfg.TaskQueue,
		"SHOPFLOW_BATCH_TASK_QUEUE=" + e.cfg.BatchTaskQueue,
		"SHOPFLOW_PAYMENT_TIMEOUT=" + e.cfg.PaymentTimeout.String(),
		"SHOPFLOW_RESERVATION_SWEEP_INTERVAL=" + e.cfg.ReservationSweepInterval.String(),
		"SHOPFLOW_LOG_LEVEL=warn",
		"SHOPFLOW_PAYMENT_PROVIDER=" + e.cfg.PaymentProvider,
		"SHOPFLOW_FRAUD_VELOCITY_LIMIT=" + fmt.Sprint(e.cfg.FraudVelocityLimit),
	}
}

// taskQueueFor names a task queue no other test (or earlier run) uses.
func taskQueueFor(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, t.Name())
	return "e2e-" + name + "-" + randHex(4)
}

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// terminateRunningSagas ends what the test left running on its task queues.
func (e *env) terminateRunningSagas() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := e.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("(TaskQueue = '%s' OR TaskQueue = '%s') AND ExecutionStatus = 'Running'", e.cfg.TaskQueue, e.cfg.BatchTaskQueue),
	})
	if err != nil {
		return
	}
	for _, x := range res.GetExecutions() {
		_ = e.temporal.TerminateWorkflow(ctx, x.GetExecution().GetWorkflowId(), x.GetExecution().GetRunId(), "end-to-end test over")
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
