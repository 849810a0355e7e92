package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"shopflow/store"
	"shopflow/workflows"
)

// OutboxPush turns committed outbox items into an immediate drain: it LISTENs on the channel
// the store announces them on after each commit (store.AnnounceOutbox) and, for each burst of notifications, signals the push drain workflow, starting it
// if it is not running. Bursts are folded for Coalesce, so a flash sale's hundred orders a
// second cost a few signals a second, not a hundred.
type OutboxPush struct {
	Pool      *pgxpool.Pool
	Client    client.Client
	TaskQueue string
	Logger    *slog.Logger
	// Coalesce is how long notifications are gathered before one signal; zero means 200ms.
	Coalesce time.Duration
	// Retry is the pause before listening again after the connection failed; zero means 1s.
	Retry time.Duration
	// Channel is what is listened on; empty means the notification outbox's (store.OutboxChannel).
	Channel string
	// Signal is sent for each burst; nil signals the notification drain. The search index
	// drain (SearchPush) is pushed the same way.
	Signal func(ctx context.Context) error

	ready func() // tests: called each time LISTEN is in place
}

// Run listens until ctx is done, reconnecting after failures (the Schedule delivers meanwhile).
// Each time it starts listening it signals once, for what was committed while it was not.
func (p *OutboxPush) Run(ctx context.Context) {
	retry := p.Retry
	if retry <= 0 {
		retry = time.Second
	}
	for ctx.Err() == nil {
		err := p.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		p.Logger.WarnContext(ctx, "push: listening failed; the one-minute Schedule still delivers", "channel", p.Channel, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}

func (p *OutboxPush) listen(ctx context.Context) error {
	coalesce := p.Coalesce
	if coalesce <= 0 {
		coalesce = 200 * time.Millisecond
	}
	// A connection of its own, not the pool's: it stays subscribed, and a wait that times out
	// (the end of a burst) only sets a read deadline instead of sending the server a cancel
	// request, so the connection survives it.
	cfg := p.Pool.Config().ConnConfig.Copy()
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	raw, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer raw.Close(context.WithoutCancel(ctx)) //nolint:errcheck // nothing to do about a failed close
	channel := p.Channel
	if channel == "" {
		channel = store.OutboxChannel
	}
	if _, err := raw.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen %s: %w", channel, err)
	}
	if p.ready != nil {
		p.ready()
	}
	// Items committed while nobody listened (start-up, a lost connection) get a drain now.
	if err := p.signal(ctx); err != nil {
		p.Logger.WarnContext(ctx, "outbox push: could not start the drain; the Schedule will", "err", err)
	}
	for {
		if _, err := raw.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("wait for outbox notifications: %w", err)
		}
		// Fold the rest of the burst into this signal.
		burst, cancel := context.WithTimeout(ctx, coalesce)
		for {
			if _, err := raw.WaitForNotification(burst); err != nil {
				if burst.Err() == nil || ctx.Err() != nil {
					cancel()
					return fmt.Errorf("wait for outbox notifications: %w", err)
				}
				break
			}
		}
		cancel()
		if err := p.signal(ctx); err != nil {
			p.Logger.WarnContext(ctx, "outbox push: could not start the drain; the Schedule will", "err", err)
		}
	}
}

// signal sends the burst's signal.
func (p *OutboxPush) signal(ctx context.Context) error {
	if p.Signal != nil {
		return p.Signal(ctx)
	}
	return p.signalOutbox(ctx)
}

// signalOutbox asks the push drain to look at the outbox, starting it if it is not running.
func (p *OutboxPush) signalOutbox(ctx context.Context) error {
	id := workflows.DeliverOutboxPushWorkflowID(p.TaskQueue)
	_, err := p.Client.SignalWithStartWorkflow(ctx, id, workflows.DeliverOutboxSignal, nil,
		// A run timeout, not an execution timeout: the latter would end a busy push drain's
		// whole continue-as-new chain.
		client.StartWorkflowOptions{ID: id, TaskQueue: p.TaskQueue, WorkflowRunTimeout: time.Hour},
		workflows.DeliverOutboxWorkflowName, workflows.DeliverOutboxInput{})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("signal %s: %w", id, err)
	}
	return nil
}
