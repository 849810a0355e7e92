package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"shopflow/config"
	"shopflow/workflows"
)

// schedule is one Temporal Schedule Shopflow keeps in place.
type schedule struct {
	id      string
	every   time.Duration
	offset  time.Duration // within each interval, e.g. a minute past the hour
	catchup time.Duration // how far back missed runs are still made up; zero means 10 minutes
	// daily, when set, replaces every/offset: once a day at this wall-clock time of zone, so a
	// day's job follows the zone's midnight (and its daylight-saving shifts), not UTC's.
	daily *dailyAt
	// queue is the role (config.QueueCheckout, QueueBatch) whose task queue runs start on.
	queue    string
	workflow string
	args     []any
	// timeout bounds one run, retries included: long enough for the work's slowest legitimate
	// run (every activity attempt the workflow allows), short enough that a stuck run ends and
	// the next one can start (the overlap policy skips runs while one is going).
	timeout time.Duration
}

// Scheduled runs that fail are retried with this policy; a run that still fails shows in the
// Temporal UI as a failed workflow with its error, and in the SDK metrics.
var scheduledRunRetry = temporal.RetryPolicy{InitialInterval: time.Minute, BackoffCoefficient: 2, MaximumAttempts: 3}

// dailyAt is a time of day in a named IANA zone.
type dailyAt struct {
	hour, minute int
	zone         string
}

func (s schedule) spec() client.ScheduleSpec {
	if s.daily != nil {
		return client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Hour:       []client.ScheduleRange{{Start: s.daily.hour}},
				Minute:     []client.ScheduleRange{{Start: s.daily.minute}},
				Second:     []client.ScheduleRange{{Start: 0}},
				DayOfMonth: []client.ScheduleRange{{Start: 1, End: 31}},
				Month:      []client.ScheduleRange{{Start: 1, End: 12}},
				DayOfWeek:  []client.ScheduleRange{{Start: 0, End: 6}},
			}},
			TimeZoneName: s.daily.zone,
		}
	}
	return client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: s.every, Offset: s.offset}}}
}

// action is what each of the Schedule's runs starts.
func (s schedule) action(taskQueue string) *client.ScheduleWorkflowAction {
	retry := scheduledRunRetry
	return &client.ScheduleWorkflowAction{
		ID:                       s.id,
		Workflow:                 s.workflow,
		Args:                     s.args,
		TaskQueue:                taskQueue,
		WorkflowExecutionTimeout: s.timeout,
		RetryPolicy:              &retry,
	}
}

func schedules(cfg config.Config) []schedule {
	all := []schedule{
		// The sweep runs the saga's activities and restarts sagas: it lives on their queue.
		{id: workflows.SweepScheduleID, every: cfg.ReservationSweepInterval, queue: config.QueueCheckout, workflow: workflows.SweepWorkflowName,
			args: []any{workflows.SweepInput{PaymentTimeout: cfg.PaymentTimeout, FraudReviewTimeout: cfg.FraudReviewTimeout}}, timeout: 15 * time.Minute},
		// Expired Idempotency-Keys go hourly; a key outlives its TTL by an hour at most.
		{id: workflows.ExpireIdempotencyKeysScheduleID, every: time.Hour, queue: config.QueueBatch, workflow: workflows.ExpireIdempotencyKeysWorkflowName,
			args: []any{workflows.ExpireIdempotencyKeysInput{TTL: cfg.IdempotencyTTL}}, timeout: 30 * time.Minute},
	}
	all = append(all, ingestSchedules(cfg)...)
	all = append(all, rankingSchedules(cfg)...)
	all = append(all, recommendSchedules(cfg)...)
	all = append(all, reportSchedules(cfg)...)
	all = append(all, searchSchedules(cfg)...)
	all = append(all, auditSchedules(cfg)...)
	return append(all, notifySchedules(cfg)...)
}

// EnsureSchedules creates every Schedule that is missing and brings existing ones to the
// configured interval. It is part of the deploy step (`shopflow temporal setup`), not of every
// worker start. Schedules skip a run while the previous one is still going, and make up
// missed runs only within their catch-up window (a sweep that missed an hour needs one run, not
// sixty). They are visible, pausable and triggerable in the Temporal UI.
func EnsureSchedules(ctx context.Context, c client.Client, cfg config.Config) error {
	for _, s := range schedules(cfg) {
		catchup := s.catchup
		if catchup == 0 {
			catchup = 10 * time.Minute
		}
		spec := s.spec()
		action := s.action(cfg.QueueName(s.queue))
		_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
			ID:            s.id,
			Spec:          spec,
			Action:        action,
			Overlap:       enums.SCHEDULE_OVERLAP_POLICY_SKIP,
			CatchupWindow: catchup,
		})
		if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
			err = c.ScheduleClient().GetHandle(ctx, s.id).Update(ctx, client.ScheduleUpdateOptions{
				DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
					in.Description.Schedule.Spec = &spec
					in.Description.Schedule.Action = action
					if in.Description.Schedule.Policy != nil {
						in.Description.Schedule.Policy.CatchupWindow = catchup
					}
					return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
				},
			})
		}
		if err != nil {
			return fmt.Errorf("ensure schedule %s: %w", s.id, err)
		}
	}
	return nil
}
