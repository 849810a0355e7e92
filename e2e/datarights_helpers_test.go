package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shopflow/report"
)

// exportAndDownload asks for an export, waits for its notice and downloads the archive with
// the link in it, returning the archive's files.
func (e *env) exportAndDownload(cust account) map[string][]byte {
	e.t.Helper()
	var started struct {
		ID        string `json:"id"`
		StatusURL string `json:"status_url"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/users/me/export", token: cust.Token, key: "export-" + randHex(4)}, &started, http.StatusAccepted)
	link := e.awaitExportReady(cust, started.ID)
	u, err := url.Parse(link)
	if err != nil {
		e.t.Fatal(err)
	}
	code, body, err := e.send(request{method: "GET", path: u.RequestURI()}) // no Authorization: the link is enough
	if err != nil || code != http.StatusOK {
		e.t.Fatalf("download %s: %d %v", u.Path, code, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			e.t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(r)
		r.Close()
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return files
}

// scanOne reads one row into dest.
func (e *env) scanOne(sql string, args []any, dest ...any) {
	e.t.Helper()
	if err := e.db.QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// deliverNotices delivers everything queued (the push is off in these tests) and checks the
// customer got notifications, so the erasure has a send log and an inbox to clear.
func (e *env) deliverNotices(userID string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	if res, _ := e.drainOutbox(ctx); res.Sent == 0 {
		e.t.Fatalf("drain: %+v, want notices sent", res)
	}
	var sent int
	e.scanOne(`SELECT count(*) FROM notifications WHERE recipient_id = $1`, []any{userID}, &sent)
	if sent == 0 {
		e.t.Fatal("the customer has no notifications to erase")
	}
}

// awaitExportReady waits for the export to be ready and returns the link its notice carries.
func (e *env) awaitExportReady(cust account, exportID string) string {
	e.t.Helper()
	deadline := time.Now().Add(sagaDeadline)
	for {
		var status struct {
			Status string `json:"status"`
		}
		e.mustSend(request{method: "GET", path: "/api/v1/users/me/exports/" + exportID, token: cust.Token}, &status, http.StatusOK)
		switch status.Status {
		case "failed":
			e.t.Fatalf("export %s failed", exportID)
		case "ready":
			var link string
			e.scanOne(`SELECT payload->>'url' FROM notification_outbox WHERE key = $1`, []any{"export:" + exportID}, &link)
			return link
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("export %s is %s after %s", exportID, status.Status, sagaDeadline)
		}
		time.Sleep(100 * time.Millisecond) // polling with a deadline
	}
}

// awaitErasure waits until the customer's erasure is done.
func (e *env) awaitErasure(userID string) {
	e.t.Helper()
	deadline := time.Now().Add(sagaDeadline)
	for {
		var status string
		e.scanOne(`SELECT status FROM erasures WHERE user_id = $1`, []any{userID}, &status)
		if status == "done" {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("erasure of %s is %s after %s", userID, status, sagaDeadline)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// columnsHolding lists the table.column of every text-like column of every public table that
// holds needle anywhere, ignoring case.
func (e *env) columnsHolding(needle string) []string {
	e.t.Helper()
	ctx := context.Background()
	rows, err := e.db.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns c
		WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY',
			'inet', 'bytea', 'tsvector', 'USER-DEFINED')
		AND EXISTS (SELECT 1 FROM information_schema.tables t WHERE t.table_schema = 'public' AND t.table_name = c.table_name
			AND t.table_type = 'BASE TABLE')`)
	if err != nil {
		e.t.Fatal(err)
	}
	type col struct{ table, column, typ string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.column, &c.typ); err != nil {
			e.t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if rows.Err() != nil || len(cols) < 50 {
		e.t.Fatalf("%d columns to search (%v)", len(cols), rows.Err())
	}
	var hits []string
	for _, c := range cols {
		expr := fmt.Sprintf("%q::text", c.column)
		if c.typ == "bytea" {
			expr = fmt.Sprintf("encode(%q, 'escape')", c.column)
		}
		var n int
		q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE strpos(lower(%s), lower($1)) > 0`, c.table, expr)
		if err := e.db.QueryRow(ctx, q, needle).Scan(&n); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
		if n > 0 {
			hits = append(hits, c.table+"."+c.column)
		}
	}
	return hits
}

// redisKeysWith lists the deployment's keys whose names contain s.
func (e *env) redisKeysWith(s string) []string {
	e.t.Helper()
	var out []string
	iter := e.redis.Scan(context.Background(), 0, "*"+e.cfg.RedisPrefix+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		if strings.Contains(strings.ToLower(iter.Val()), strings.ToLower(s)) {
			out = append(out, iter.Val())
		}
	}
	if err := iter.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// redisHolding lists the deployment's keys whose name or value holds needle, ignoring case.
func (e *env) redisHolding(needle string) []string {
	e.t.Helper()
	ctx := context.Background()
	needle = strings.ToLower(needle)
	var out []string
	iter := e.redis.Scan(ctx, 0, "*"+e.cfg.RedisPrefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		var values []string
		switch typ, _ := e.redis.Type(ctx, key).Result(); typ {
		case "string":
			v, _ := e.redis.Get(ctx, key).Result()
			values = []string{v}
		case "hash":
			m, _ := e.redis.HGetAll(ctx, key).Result()
			for k, v := range m {
				values = append(values, k, v)
			}
		case "list":
			values, _ = e.redis.LRange(ctx, key, 0, -1).Result()
		case "set":
			values, _ = e.redis.SMembers(ctx, key).Result()
		case "zset":
			values, _ = e.redis.ZRange(ctx, key, 0, -1).Result()
		}
		all := strings.ToLower(key + "\x00" + strings.Join(values, "\x00"))
		if strings.Contains(all, needle) {
			out = append(out, key)
		}
	}
	if err := iter.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// salesTotals is the sales facts' line count, units and amount, and the orders' totals.
func (e *env) salesTotals() string {
	e.t.Helper()
	var lines, units, amount, orderTotals int64
	e.scanOne(`SELECT count(*), coalesce(sum(quantity), 0), coalesce(sum(quantity * unit_price_cents), 0),
		(SELECT coalesce(sum(total_cents), 0) FROM orders) FROM sales_facts`, nil, &lines, &units, &amount, &orderTotals)
	return fmt.Sprintf("%d lines, %d units, %d cents, orders %d cents", lines, units, amount, orderTotals)
}

// dailyReport builds today's daily report (UTC) and returns its manifest, whose files' hashes
// change if any figure does.
func (e *env) dailyReport() string {
	e.t.Helper()
	dir := e.t.TempDir()
	m, err := report.BuildDaily(context.Background(), e.db, report.Local{Dir: dir}, report.DailyOptions{
		Date: time.Now().UTC().Format(time.DateOnly), GeneratedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		StagingDir: e.t.TempDir()})
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}
