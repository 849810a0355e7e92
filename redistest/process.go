package redistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is a child process of the test, in its own process group so it is stopped whole.
type server struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	out  *output
}

// startServer starts name with args and stops it, by its PID, when t ends.
func startServer(t testing.TB, name string, args ...string) *server {
	t.Helper()
	s := &server{name: name, cmd: exec.Command(name, args...), done: make(chan struct{}), out: &output{}}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.stop)
	return s
}

// stop sends SIGTERM to the process group, then SIGKILL if it has not exited in 10 s.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// exited reports whether the process has ended (it should not have, while a test needs it).
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// freePort returns a free port on 127.0.0.1 whose cluster bus port (port+10000) is free too.
func freePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			ln.Close()
			continue
		}
		bus, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+10000))
		ln.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port
	}
	t.Fatal("no free port with a free cluster bus port")
	return 0
}

// eventually polls check until it reports done, failing t with what() at the deadline.
func eventually(t testing.TB, timeout time.Duration, check func(ctx context.Context) (bool, error), what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		done, err := check(ctx)
		cancel()
		if done {
			return
		}
		last = err
		time.Sleep(20 * time.Millisecond) // a poll interval, not a wait for an event
	}
	t.Fatalf("timed out after %s (last error %v): %s", timeout, last, what())
}

// output collects a process's stdout and stderr for failure messages.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
