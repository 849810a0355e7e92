package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"shopflow/app"
	"shopflow/bench/benchdoc"
	"shopflow/bench/benchenv"
	"shopflow/ranking"
	"shopflow/ranking/rankingtest"
	"shopflow/recommend"
)

// listLength is how many products each published "also bought" list holds.
const listLength = 20

// target is the least requests/s each recommendations endpoint keeps of top sellers'.
const target = 0.8

// endpoint is one URL measured, with the header wrk sends ("" for none).
type endpoint struct{ name, url, header string }

// run sets up the shop and the API, measures the endpoints in turn, and reports.
func run(ctx context.Context, o options, out, stderr io.Writer) (err error) {
	rep := report{Started: time.Now().UTC(), Machine: benchenv.Machine(), Command: benchenv.CommandLine("recsload"), Options: o}
	fmt.Fprintf(out, "recsload bench: %s\n", rep.Machine)
	env, err := benchenv.OpenAPIOnly(ctx, "recsload", o.DatabaseURL, o.RedisURL, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close(context.WithoutCancel(ctx))) }()
	a := env.App
	shop, best, err := seed(ctx, a, o, out)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	api := benchenv.Go(ctx, func(ctx context.Context) error { return a.ServeAPI(ctx, ln) })
	defer func() { err = errors.Join(err, api.Stop()) }()
	base := "http://" + ln.Addr().String() + "/api/v1"
	token, err := customer(ctx, base, shop.Products[:10])
	if err != nil {
		return err
	}
	endpoints := []endpoint{
		{"topsellers", fmt.Sprintf("%s/categories/%d/top-sellers", base, shop.Categories[0]), ""},
		{"product", fmt.Sprintf("%s/products/%d/recommendations", base, best), ""},
		{"customer", base + "/users/me/recommendations", "Authorization: Bearer " + token},
		// The same authentication with no recommendation behind it: what the customer
		// endpoint's own serving costs, apart from checking the session.
		{"me", base + "/users/me", "Authorization: Bearer " + token},
	}
	for _, ep := range endpoints {
		n, err := get(ctx, ep.url, token)
		if err != nil {
			return err
		}
		rep.BodyBytes = append(rep.BodyBytes, n)
	}
	fmt.Fprintf(out, "recsload bench: API on %s; warming up\n", ln.Addr())
	for _, ep := range endpoints {
		if _, err := runWrk(ctx, o, ep.url, ep.header, 2*time.Second); err != nil {
			return err
		}
	}
	for round := 1; round <= o.Rounds; round++ {
		for _, ep := range endpoints {
			fmt.Fprintf(out, "recsload bench: round %d of %d: %s, %s (load %s)\n", round, o.Rounds, ep.name, o.Duration, benchenv.LoadAverage())
			res, err := runWrk(ctx, o, ep.url, ep.header, o.Duration)
			if err != nil {
				return err
			}
			res.Name, res.Round = ep.name, round
			fmt.Fprintf(out, "  %.0f requests/s, p99 %.2f ms, %d non-2xx\n", res.PerSecond, res.P99, res.Non2xx)
			rep.Runs = append(rep.Runs, res)
		}
	}
	rep.LoadAfter = benchenv.LoadAverage()
	md := rep.markdown()
	fmt.Fprint(out, "\n", md)
	if o.Doc != "" {
		if err := benchdoc.Write(o.Doc, "recsload", md); err != nil {
			return err
		}
		fmt.Fprintf(out, "recsload bench: wrote its section of %s\n", o.Doc)
	}
	return nil
}

// seed generates the shop, stocks it (1 product in 20 sold out), publishes its top sellers
// and a list for every product; it returns the shop and the best seller of the first root.
func seed(ctx context.Context, a *app.App, o options, out io.Writer) (rankingtest.Shop, int64, error) {
	end := time.Now().UTC().Truncate(time.Hour)
	started := time.Now()
	fmt.Fprintf(out, "recsload bench: seeding %d sales of %d products\n", o.Facts, o.Products)
	shop, err := rankingtest.Seed(ctx, a.Pool, rankingtest.Spec{Roots: 8, Fanout: 5, Depth: 3, Sellers: o.Sellers,
		Products: o.Products, Facts: o.Facts, Hours: 720, End: end, Seed: 0.42, Source: "bench",
		Progress: func(n int) { fmt.Fprintf(out, "  %d sales seeded, %s\n", n, time.Since(started).Round(time.Second)) }})
	if err != nil {
		return shop, 0, fmt.Errorf("seed: %w", err)
	}
	if _, err := a.Pool.Exec(ctx, `INSERT INTO inventory (product_id, on_hand)
		SELECT id, CASE WHEN id % 20 = 0 THEN 0 ELSE 1000 END FROM products
		ON CONFLICT (product_id) DO UPDATE SET on_hand = EXCLUDED.on_hand, reserved = 0`); err != nil {
		return shop, 0, fmt.Errorf("stock the shop: %w", err)
	}
	r, err := ranking.Compute(ctx, a.Pool, ranking.WindowEnding(end, a.Config.TopSellersWindow), a.Config.TopSellersN)
	if err != nil {
		return shop, 0, err
	}
	if _, err := ranking.Publish(ctx, a.Redis, a.Config.RedisPrefix, r); err != nil {
		return shop, 0, err
	}
	var best int64
	for _, c := range r.Categories {
		if c.CategoryID == shop.Categories[0] && len(c.Products) > 0 {
			best = c.Products[0].ProductID
		}
	}
	if best == 0 {
		return shop, 0, errors.New("the first root category sold nothing")
	}
	fmt.Fprintf(out, "recsload bench: publishing %d also-bought lists of %d products\n", len(shop.Products), listLength)
	rng := rand.New(rand.NewPCG(42, 42))
	pipe := a.Redis.Pipeline()
	for _, id := range shop.Products {
		l := recommend.AlsoBought{ProductID: id, GeneratedAt: end, WindowDays: a.Config.RecsWindowDays()}
		for i := range listLength {
			l.Items = append(l.Items, recommend.Item{ProductID: shop.Products[rng.IntN(len(shop.Products))],
				Score: 1 / float64(i+1), Support: int64(listLength - i)})
		}
		raw, err := json.Marshal(l)
		if err != nil {
			return shop, 0, err
		}
		pipe.Set(ctx, recommend.AlsoBoughtKey(a.Config.RedisPrefix, id), raw, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return shop, 0, fmt.Errorf("publish lists: %w", err)
	}
	return shop, best, nil
}

// customer registers a customer through the API, wishlists products, and returns its token.
func customer(ctx context.Context, base string, wish []int64) (string, error) {
	email := "bench-" + benchenv.RandomHex(4) + "@example.com"
	creds := map[string]string{"email": email, "password": "a-long-password-1"}
	if err := call(ctx, "POST", base+"/auth/register", "", creds, nil); err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := call(ctx, "POST", base+"/auth/login", "", creds, &tok); err != nil {
		return "", err
	}
	for _, id := range wish {
		if err := call(ctx, "PUT", fmt.Sprintf("%s/wishlist/items/%d", base, id), tok.AccessToken, nil, nil); err != nil {
			return "", err
		}
	}
	return tok.AccessToken, nil
}

// get fetches url once (checking it answers 200) and returns the body's length.
func get(ctx context.Context, url, token string) (int, error) {
	var raw json.RawMessage
	if err := call(ctx, "GET", url, token, nil, &raw); err != nil {
		return 0, err
	}
	return len(raw), nil
}

// call sends one JSON request and decodes the answer into out (when not nil).
func call(ctx context.Context, method, url, token string, body, out any) error {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d %.200s (%v)", method, url, resp.StatusCode, raw, err)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
