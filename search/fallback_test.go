package search_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"shopflow/search"
)

// fakeSearcher answers with its name, or fails with err.
type fakeSearcher struct {
	name  string
	err   error
	calls atomic.Int32
}

func (f *fakeSearcher) Name() string { return f.name }

func (f *fakeSearcher) Search(context.Context, search.Query) (search.Result, error) {
	f.calls.Add(1)
	if f.err != nil {
		return search.Result{}, f.err
	}
	return search.Result{Backend: f.name}, nil
}

func (f *fakeSearcher) Suggest(context.Context, string, int) ([]search.Suggestion, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	return []search.Suggestion{{Kind: "product", Text: f.name}}, nil
}

func TestFallbackAnswersFromTheBackupWhenThePrimaryFails(t *testing.T) {
	primary, backup := &fakeSearcher{name: "elasticsearch"}, &fakeSearcher{name: "postgres"}
	var fallbacks []string
	f := search.NewFallback(primary, backup, time.Hour, nil, func(op string) { fallbacks = append(fallbacks, op) })
	if r, err := f.Search(t.Context(), search.Query{}); err != nil || r.Backend != "elasticsearch" {
		t.Fatalf("healthy primary: %+v, %v", r, err)
	}
	primary.err = errors.New("connection refused")
	if r, err := f.Search(t.Context(), search.Query{}); err != nil || r.Backend != "postgres" {
		t.Fatalf("failed primary: %+v, %v; want postgres's answer", r, err)
	}
	if s, err := f.Suggest(t.Context(), "la", 5); err != nil || s[0].Text != "postgres" {
		t.Fatalf("failed primary suggest: %+v, %v", s, err)
	}
	if len(fallbacks) != 2 || fallbacks[0] != "search" || fallbacks[1] != "suggest" {
		t.Fatalf("fallbacks counted %v, want search then suggest", fallbacks)
	}
	if f.Name() != "elasticsearch" {
		t.Fatalf("name %q, want the primary's", f.Name())
	}
}

// After three failures in a row the primary is not asked until the cooldown ends, so a hung
// cluster costs no query a timeout; afterwards one probe goes through and closes the circuit.
func TestFallbackStopsAskingAFailingPrimaryForTheCooldown(t *testing.T) {
	primary, backup := &fakeSearcher{name: "elasticsearch", err: errors.New("timeout")}, &fakeSearcher{name: "postgres"}
	f := search.NewFallback(primary, backup, 50*time.Millisecond, nil, nil)
	for range 10 {
		if r, err := f.Search(t.Context(), search.Query{}); err != nil || r.Backend != "postgres" {
			t.Fatalf("%+v, %v", r, err)
		}
	}
	if n := primary.calls.Load(); n != 3 {
		t.Fatalf("the failing primary was asked %d times, want 3 before the circuit opened", n)
	}
	primary.err = nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := f.Search(t.Context(), search.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Backend == "elasticsearch" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the recovered primary was not asked again within 5s")
		}
		time.Sleep(10 * time.Millisecond) // polling for the cooldown, which is the behaviour under test
	}
}

// A query the shopper abandoned is not the engine's failure: no fallback, no circuit change.
func TestFallbackDoesNotFallBackForACanceledQuery(t *testing.T) {
	primary, backup := &fakeSearcher{name: "elasticsearch", err: context.Canceled}, &fakeSearcher{name: "postgres"}
	f := search.NewFallback(primary, backup, time.Hour, nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.Search(ctx, search.Query{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if backup.calls.Load() != 0 {
		t.Fatal("the backup answered a canceled query")
	}
}
