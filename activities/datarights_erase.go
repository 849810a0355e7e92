package activities

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"shopflow/audit"
	"shopflow/store"
)

// EraseStepInput names one step (store.ErasureSteps) of a customer's erasure.
type EraseStepInput struct {
	UserID string
	Step   string
}

// EraseStepResult counts what the step removed; Skipped says it had run before (a resumed
// erasure), Count then being what it counted then.
type EraseStepResult struct {
	Count   int64
	Skipped bool
}

// EraseStep runs one step and records it in the erasure's row. Database steps do their work
// and record it in one transaction; the Redis and export-file steps first delete outside
// Postgres (deleting again is harmless) and then record. Every step is safe to run again.
func (a *DataRights) EraseStep(ctx context.Context, in EraseStepInput) (EraseStepResult, error) {
	var outside int64
	if in.Step == store.EraseRedis || in.Step == store.EraseExports {
		e, err := a.Store.ErasureOf(ctx, in.UserID)
		if err != nil {
			return EraseStepResult{}, err
		}
		if e.Done(in.Step) {
			return EraseStepResult{Count: e.Counts[in.Step], Skipped: true}, nil
		}
		sub, err := a.Store.ErasureSubjectOf(ctx, in.UserID)
		if err != nil {
			return EraseStepResult{}, err
		}
		if in.Step == store.EraseRedis {
			outside, err = a.deleteRedisKeys(ctx, in.UserID, sub.Email)
		} else {
			outside, err = a.deleteExportFiles(ctx, in.UserID, sub.ExportFiles)
		}
		if err != nil {
			return EraseStepResult{}, fmt.Errorf("erase %s of %s: %w", in.Step, in.UserID, err)
		}
	}
	n, skipped, err := a.Store.RunErasureStep(ctx, in.UserID, in.Step, outside)
	return EraseStepResult{Count: n, Skipped: skipped}, err
}

// deleteRedisKeys deletes the keys that name the customer: the rate limiter's per-account
// budgets (<prefix>rate:<class>:account:<id>, which redis_rate stores under "rate:") and the
// login limiter's budget keyed by the email. Nothing else in Redis is about a person
// (rankings, recommendations and search answers are about products).
func (a *DataRights) deleteRedisKeys(ctx context.Context, userID, email string) (int64, error) {
	if a.Redis == nil {
		return 0, nil
	}
	patterns := []string{
		"*" + globEscape(a.RedisPrefix) + "*" + globEscape(userID) + "*",
		"*" + globEscape(a.RedisPrefix) + "login:account:" + globEscape(strings.ToLower(email)),
	}
	var n atomic.Int64
	for _, p := range patterns {
		err := forEachKeyNode(ctx, a.Redis, func(ctx context.Context, node redis.Cmdable) error {
			iter := node.Scan(ctx, 0, p, 500).Iterator()
			for iter.Next(ctx) {
				deleted, err := node.Del(ctx, iter.Val()).Result()
				if err != nil {
					return err
				}
				n.Add(deleted)
			}
			return iter.Err()
		})
		if err != nil {
			return n.Load(), err
		}
	}
	return n.Load(), nil
}

// forEachKeyNode runs fn on every node that holds keys: SCAN sees only the keys of the node it
// is sent to, so on a Redis Cluster each master is scanned (concurrently) and its keys deleted
// there; on one node or a Sentinel primary, fn runs once on the client itself.
func forEachKeyNode(ctx context.Context, rdb redis.UniversalClient, fn func(context.Context, redis.Cmdable) error) error {
	if cluster, ok := rdb.(*redis.ClusterClient); ok {
		return cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return fn(ctx, node) })
	}
	return fn(ctx, rdb)
}

// globEscape quotes Redis glob characters, so an email like a[1]@x.com matches only itself.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace(s)
}

// deleteExportFiles deletes the customer's export archives: those their rows name and any
// other file under exports/<user id>/ (an archive written by a build that never finished).
func (a *DataRights) deleteExportFiles(ctx context.Context, userID string, named []string) (int64, error) {
	if a.Files == nil {
		return 0, nil
	}
	objs, err := a.Files.List(ctx, "exports/"+userID+"/")
	if err != nil {
		return 0, err
	}
	names := map[string]bool{}
	for _, n := range named {
		names[n] = true
	}
	for _, o := range objs {
		names[o.Name] = true
	}
	for name := range names {
		if err := a.Files.Delete(ctx, name); err != nil {
			return 0, err
		}
	}
	return int64(len(names)), nil
}

// FinishErasureInput names the erasure and who asked for it, for the audit record.
type FinishErasureInput struct {
	UserID string
	Actor  audit.Actor
}

// FinishErasureResult is what was done, per step.
type FinishErasureResult struct {
	Counts map[string]int64
}

// FinishErasure marks the erasure done and writes its audit record (steps and counts, no
// personal data) as the actor who asked.
func (a *DataRights) FinishErasure(ctx context.Context, in FinishErasureInput) (FinishErasureResult, error) {
	if !in.Actor.IsZero() {
		ctx = audit.WithActor(ctx, in.Actor)
	}
	e, err := a.Store.FinishErasure(ctx, in.UserID)
	return FinishErasureResult{Counts: e.Counts}, err
}
