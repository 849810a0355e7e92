package benchenv

import (
	"context"
	"errors"
)

// Background is a function running until its context is cancelled, such as app.App.RunWorker
// or app.App.ServeAPI.
type Background struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Go runs f(ctx) in a goroutine until Stop.
func Go(ctx context.Context, f func(context.Context) error) *Background {
	ctx, cancel := context.WithCancel(ctx)
	b := &Background{cancel: cancel, done: make(chan struct{})}
	go func() { b.err = f(ctx); close(b.done) }()
	return b
}

// Failed reports whether f has returned already (it should not before Stop), with its error.
func (b *Background) Failed() (bool, error) {
	select {
	case <-b.done:
		return true, b.err
	default:
		return false, nil
	}
}

// Stop cancels f's context, waits for f to return, and returns its error.
func (b *Background) Stop() error {
	b.cancel()
	<-b.done
	return b.err
}

// Undo holds what undoes each step of a run's set-up, to run last first at the end.
type Undo []func() error

// Push adds the undoing of the step just done.
func (u *Undo) Push(f func() error) { *u = append(*u, f) }

// Run undoes every step, last first, and returns every error.
func (u *Undo) Run() error {
	var errs []error
	for i := len(*u) - 1; i >= 0; i-- {
		errs = append(errs, (*u)[i]())
	}
	*u = nil
	return errors.Join(errs...)
}
