package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"shopflow/store"
	"shopflow/workflows"
)

// run sets everything up, runs the phases, reports, and tears everything down.
func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	started := time.Now()
	m := describeMachine(o.TemporalBin)
	fmt.Fprintf(stdout, "checkout bench: %d CPUs, %s, %s, load average %s\n", m.CPUs, m.GoVersion, m.TemporalVersion, m.LoadBefore)
	if l := firstLoad(m.LoadBefore); l > float64(m.CPUs) {
		fmt.Fprintf(stdout, "checkout bench: warning: the machine is busy (load %.2f > %d CPUs); figures will be low\n", l, m.CPUs)
	}

	tmp, err := os.MkdirTemp("", "shopflow-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// Temporal.
	temporalAddress, ownServer, temporalPID := o.TemporalAddress, false, 0
	if temporalAddress == "" {
		fmt.Fprintf(stdout, "checkout bench: starting Temporal dev server (%s)\n", o.TemporalBin)
		srv, err := startDevServer(ctx, o.TemporalBin, tmp, o.TemporalNamespace, o.TemporalWait, o.DevServer)
		if err != nil {
			return err
		}
		defer func() {
			fmt.Fprintf(stdout, "checkout bench: stopping Temporal dev server (pid %d)\n", srv.PID())
			srv.Stop()
		}()
		temporalAddress, ownServer, temporalPID = srv.Address, true, srv.PID()
		fmt.Fprintf(stdout, "checkout bench: Temporal at %s (pid %d)\n", srv.Address, srv.PID())
	}

	// Postgres.
	db, err := createDatabase(ctx, o.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Drop(context.Background()); err != nil {
			fmt.Fprintln(stderr, "checkout bench:", err)
		} else {
			fmt.Fprintf(stdout, "checkout bench: dropped database %s\n", db.name)
		}
	}()
	fmt.Fprintf(stdout, "checkout bench: database %s\n", db.name)
	params := map[string]string{}
	if o.PoolMaxConns > 0 {
		params["pool_max_conns"] = itoa(o.PoolMaxConns)
	}
	appDBURL := db.URL(params)
	setupPool, err := pgxpool.New(ctx, db.URL(nil))
	if err != nil {
		return err
	}
	if err := migrate(ctx, setupPool); err != nil {
		setupPool.Close()
		return err
	}
	cat, err := seedCatalog(ctx, setupPool, o.Products, 1_000_000_000)
	m.PostgresVersion = postgresVersion(ctx, setupPool)
	setupPool.Close()
	if err != nil {
		return err
	}

	// Shopflow, in process.
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(o.LogLevel))
	log := newLogger(lvl, stderr)
	cfg, err := benchConfig(appDBURL, o.RedisURL, temporalAddress, o.TemporalNamespace, o.Customers)
	if err != nil {
		return err
	}
	appOpts := appOptions{OwnServer: ownServer, EagerStart: o.EagerStart, Worker: o.Worker}
	a, err := startApp(ctx, cfg, log, appOpts)
	if err != nil {
		return err
	}
	defer a.Close()
	observer, err := client.DialContext(ctx, client.Options{HostPort: temporalAddress, Namespace: o.TemporalNamespace, Logger: quietLogger()})
	if err != nil {
		return fmt.Errorf("temporal observer client: %w", err)
	}
	defer observer.Close()
	bareQueue := cfg.TaskQueue + "-bare"
	bw, err := startBareWorker(a.temporal, bareQueue, o.Worker.Options())
	if err != nil {
		return err
	}
	defer bw.Stop()

	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConns: 4 * o.Concurrency, MaxIdleConnsPerHost: 4 * o.Concurrency, IdleConnTimeout: time.Minute}}
	customers, err := registerCustomers(ctx, httpClient, a.BaseURL, o.Customers)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "checkout bench: API at %s, %d products, %d customers; pool %d conns; worker %s; eager start %v\n",
		a.BaseURL, len(cat.Products), len(customers), a.pool.Config().MaxConns, o.Worker, o.EagerStart)

	b := &bench{
		o: o, app: a, observer: observer, http: httpClient, catalog: cat, customers: customers,
		runID: randomHex(4), bare: &bareStarter{client: a.temporal, taskQueue: bareQueue, eager: o.EagerStart},
	}
	prof := &profiler{temporalPID: temporalPID, pool: a.pool, registry: a.registry, adminURL: o.DatabaseURL, dbName: db.name}
	var results []*phaseResult
	baseRunID := b.runID
	for round := 1; round <= o.Rounds && ctx.Err() == nil; round++ {
		b.runID = fmt.Sprintf("%s-%d", baseRunID, round) // workflow ids and idempotency keys stay unique
		for _, name := range o.phases() {
			if ctx.Err() != nil {
				break
			}
			fn, desc, unit, cleanup, err := b.phase(ctx, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "\n== %s (round %d of %d): %s\n", name, round, o.Rounds, desc)
			r := runPhase(ctx, stdout, name, o.loadConfig(), prof, fn)
			r.Description, r.Unit, r.Round = desc, unit, round
			if cleanup != nil {
				cleanup()
			}
			fmt.Fprintf(stdout, "  %s: %.1f %s/s, p50 %s, p95 %s, p99 %s, %d errors\n",
				name, r.Throughput(), unit, ms(r.Latency.P50), ms(r.Latency.P95), ms(r.Latency.P99), r.Errors)
			results = append(results, r)
		}
	}
	if ctx.Err() != nil {
		return errors.New("interrupted; nothing recorded")
	}
	counts, err := orderStatusCounts(ctx, a.pool)
	if err != nil {
		return fmt.Errorf("count orders: %w", err)
	}
	m.LoadAfter = loadAverage()

	rep := &report{
		Label: o.Label, Started: started, Machine: m, Command: commandLine(), Options: o,
		PoolMaxConns: a.pool.Config().MaxConns, Results: results, OrderCounts: counts,
	}
	md := rep.Markdown()
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, md)
	if o.Doc != "" {
		if err := updateDoc(o.Doc, o.Label, md); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\ncheckout bench: wrote section %q of %s\n", o.Label, o.Doc)
	}
	return nil
}

// bench holds what the phases share.
type bench struct {
	o         options
	app       *app
	observer  client.Client
	http      *http.Client
	catalog   *catalog
	customers []customer
	runID     string
	bare      *bareStarter
}

// phase returns the op of the named phase, what it measures, its unit, and an optional
// cleanup to run after it.
func (b *bench) phase(ctx context.Context, name string) (op, string, string, func(), error) {
	switch name {
	case "checkout":
		if b.o.CheckoutVia == "direct" {
			return b.checkoutDirect, "store.CreateOrder + Checkouts.Start (the handler without HTTP) -> saga placed", "checkouts", nil, nil
		}
		return b.checkoutViaAPI, "POST /api/v1/checkout -> 202 -> saga returns placed", "checkouts", nil, nil
	case "bare-local", "bare-local-sa", "bare-regular":
		wf, what := bareLocalName, "local"
		if name == "bare-regular" {
			wf, what = bareRegularName, "regular"
		}
		in := BareInput{Steps: sagaSuccessSteps}
		desc := fmt.Sprintf("bare workflow, %d no-op %s activities, started and awaited like a saga", in.Steps, what)
		if name == "bare-local-sa" {
			in.SearchAttributes, in.Upserts = true, b.o.SAUpserts
			desc += fmt.Sprintf(", with the saga's 3 search attributes and %d upserts", in.Upserts)
		}
		fn := func(ctx context.Context, _ int, seq int64) (time.Duration, error) {
			id := fmt.Sprintf("%s-%s-%d", name, b.runID, seq)
			t0 := time.Now()
			if err := b.bare.start(ctx, wf, id, in); err != nil {
				return 0, fmt.Errorf("start: %w", err)
			}
			first := time.Since(t0)
			return first, awaitBare(ctx, b.observer, id, in)
		}
		return fn, desc, "workflows", nil, nil
	case "sql":
		size := b.o.SQLPoolMaxConns
		if size == 0 {
			size = b.o.Concurrency
		}
		cfg := b.app.pool.Config().Copy()
		cfg.MaxConns = int32(size)
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, "", "", nil, err
		}
		fn := func(ctx context.Context, _ int, seq int64) (time.Duration, error) {
			c := b.customers[int(seq)%len(b.customers)]
			return 0, placeOrderSQL(ctx, pool, c.ID, b.catalog.pick(), fmt.Sprintf("sql-%s-%d", b.runID, seq))
		}
		desc := fmt.Sprintf("one plain Postgres transaction per order (pool of %d)", size)
		return fn, desc, "orders", pool.Close, nil
	}
	return nil, "", "", nil, fmt.Errorf("unknown phase %q", name)
}

// checkoutRequest is the body of POST /api/v1/checkout.
type checkoutRequest struct {
	Items           []checkoutItem        `json:"items"`
	PaymentMethod   string                `json:"payment_method"`
	ShippingAddress store.ShippingAddress `json:"shipping_address"`
}

type checkoutItem struct {
	ProductID int64 `json:"product_id"`
	Quantity  int   `json:"quantity"`
}

// checkoutViaAPI posts one checkout and waits for its saga; the first stage is the 202.
func (b *bench) checkoutViaAPI(ctx context.Context, _ int, seq int64) (time.Duration, error) {
	c := b.customers[int(seq)%len(b.customers)]
	body, _ := json.Marshal(checkoutRequest{
		Items:         []checkoutItem{{ProductID: b.catalog.pick().ID, Quantity: 1}},
		PaymentMethod: "pm_card_visa", ShippingAddress: shippingAddress,
	})
	t0 := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.app.BaseURL+"/api/v1/checkout", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%s-%d", b.runID, seq))
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST /checkout: %w", err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("POST /checkout: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("POST /checkout: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	var answer struct {
		Order struct {
			ID string `json:"id"`
		} `json:"order"`
		StatusURL string `json:"status_url"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || answer.Order.ID == "" {
		return 0, fmt.Errorf("POST /checkout: 202 without order.id: %.200s", raw)
	}
	first := time.Since(t0)
	return first, b.awaitPlaced(ctx, answer.Order.ID)
}

// checkoutDirect does what the handler does, without HTTP, JSON and auth: store.CreateOrder,
// then Start on the same CheckoutSagas the API holds.
func (b *bench) checkoutDirect(ctx context.Context, _ int, seq int64) (time.Duration, error) {
	c := b.customers[int(seq)%len(b.customers)]
	t0 := time.Now()
	order, _, err := b.app.store.CreateOrder(ctx, store.NewOrder{
		CustomerID: c.ID, IdempotencyKey: fmt.Sprintf("bench-%s-%d", b.runID, seq),
		Items:         []store.OrderItem{{ProductID: b.catalog.pick().ID, Quantity: 1}},
		PaymentMethod: "pm_card_visa", ShippingAddress: shippingAddress,
	})
	if err != nil {
		return 0, err
	}
	if err := b.app.sagas.Start(ctx, order.ID, c.ID); err != nil {
		return 0, err
	}
	first := time.Since(t0)
	return first, b.awaitPlaced(ctx, order.ID)
}

// shippingAddress is where every benchmark order goes.
var shippingAddress = store.ShippingAddress{
	Name: "Bench Shopper", Line1: "1 Load Street", City: "Springfield", PostalCode: "12345", Country: "US",
}

// awaitPlaced waits for the order's saga to return and checks that it placed the order.
func (b *bench) awaitPlaced(ctx context.Context, orderID string) error {
	var res workflows.CheckoutResult
	if err := b.observer.GetWorkflow(ctx, workflows.CheckoutWorkflowID(orderID), "").Get(ctx, &res); err != nil {
		return fmt.Errorf("await saga: %w", err)
	}
	if res.Status != store.OrderPlaced {
		return fmt.Errorf("saga ended %s (%s)", res.Status, res.CancelReason)
	}
	return nil
}

// customer is a registered, logged-in customer.
type customer struct {
	ID, Email, Token string
}

// registerCustomers registers n customers through the API and logs each in.
func registerCustomers(ctx context.Context, hc *http.Client, baseURL string, n int) ([]customer, error) {
	suffix := randomHex(4)
	out := make([]customer, 0, n)
	for i := range n {
		c := customer{Email: fmt.Sprintf("bench-%s-%d@example.com", suffix, i)}
		password := "bench-password-" + suffix
		var user struct {
			ID string `json:"id"`
		}
		if err := postJSON(ctx, hc, baseURL+"/api/v1/auth/register", map[string]string{"email": c.Email, "password": password, "name": "Bench Shopper"}, http.StatusCreated, &user); err != nil {
			return nil, err
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := postJSON(ctx, hc, baseURL+"/api/v1/auth/login", map[string]string{"email": c.Email, "password": password}, http.StatusOK, &tok); err != nil {
			return nil, err
		}
		c.ID, c.Token = user.ID, tok.AccessToken
		out = append(out, c)
	}
	return out, nil
}

func postJSON(ctx context.Context, hc *http.Client, url string, body any, want int, into any) error {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: HTTP %d: %s", url, resp.StatusCode, strings.TrimSpace(string(answer)))
	}
	return json.Unmarshal(answer, into)
}

func postgresVersion(ctx context.Context, pool *pgxpool.Pool) string {
	var v string
	if err := pool.QueryRow(ctx, `SHOW server_version`).Scan(&v); err != nil {
		return "unknown"
	}
	return v
}

// commandLine is how this run was started, as a go run command.
func commandLine() string {
	args := []string{"go", "run", "./bench/checkout"}
	for _, a := range os.Args[1:] {
		if a == "" || strings.ContainsAny(a, " '\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}

func firstLoad(s string) float64 {
	var l float64
	_, _ = fmt.Sscan(s, &l)
	return l
}
