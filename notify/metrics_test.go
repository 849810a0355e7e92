package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"shopflow/notify"
	"shopflow/store"
)

// flakyChannel fails its first sends with the errors given, then delivers.
type flakyChannel struct{ errs []error }

func (c *flakyChannel) Name() string { return store.ChannelEmail }

func (c *flakyChannel) Send(context.Context, notify.Message) error {
	if len(c.errs) == 0 {
		return nil
	}
	err := c.errs[0]
	c.errs = c.errs[1:]
	return err
}

// Every failed attempt is counted by channel, kind and failure; a send that succeeds, and a
// Service without metrics, count nothing.
func TestSendFailuresAreCounted(t *testing.T) {
	ch := &flakyChannel{errs: []error{errors.New("connection reset"), errors.New("timeout"),
		notify.Permanent(550, errors.New("mailbox unavailable"))}}
	svc, _ := newService(t, ch)
	reg := prometheus.NewRegistry()
	m, err := notify.NewPrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	svc.Metrics = m
	ctx := context.Background()
	send := func(key string) notify.Outcome {
		out, err := svc.Send(ctx, notify.Request{Key: key, To: "a@shop.test", Channel: store.ChannelEmail, Kind: "order_placed", Subject: "s", Text: "t"})
		if err != nil {
			t.Fatalf("send %s: %v", key, err)
		}
		return out
	}
	if out := send("k1"); out.Status != store.NotificationFailed {
		t.Fatalf("first send %+v, want failed after two transient errors and a permanent one", out)
	}
	if out := send("k2"); out.Status != store.NotificationSent {
		t.Fatalf("second send %+v, want sent", out)
	}
	for failure, want := range map[string]float64{"transient": 2, "permanent": 1} {
		var got dto.Metric
		if err := m.Failures().WithLabelValues(store.ChannelEmail, "order_placed", failure).Write(&got); err != nil {
			t.Fatal(err)
		}
		if got.GetCounter().GetValue() != want {
			t.Errorf("%s{failure=%s} = %v, want %v", notify.MetricSendFailures, failure, got.GetCounter().GetValue(), want)
		}
	}
	// Registering again in the same registry (API and worker in one process) shares the counter.
	again, err := notify.NewPrometheusMetrics(reg)
	if err != nil {
		t.Fatalf("second registration: %v", err)
	}
	if again.Failures() != m.Failures() {
		t.Error("second registration made a counter of its own")
	}
	svc.Metrics = nil
	ch.errs = []error{errors.New("down")}
	if _, err := svc.Send(ctx, notify.Request{Key: "k3", To: "a@shop.test", Channel: store.ChannelEmail, Kind: "order_placed", Text: "t"}); err != nil {
		t.Fatalf("send without metrics: %v", err)
	}
}
