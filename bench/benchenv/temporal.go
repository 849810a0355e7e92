// Package benchenv starts and stops what one benchmark run needs, all on 127.0.0.1: a Temporal
// dev server of its own, a fresh migrated Postgres database, and Shopflow's configuration for
// them. Everything it starts it stops: the server by its PID, the database by name.
package benchenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
)

// Temporal is a dev server this run started and must stop.
type Temporal struct {
	// Address is the frontend's host:port.
	Address string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

// StartTemporal runs `binary server start-dev` on spare 127.0.0.1 ports with a fresh SQLite file
// in dir and the SQLite settings `make dev` uses, and waits up to wait for it to answer.
// The server gets its own process group: a Ctrl-C reaches only the benchmark, which stops it.
func StartTemporal(ctx context.Context, binary, dir string, wait time.Duration) (*Temporal, error) {
	ports, err := sparePorts(3)
	if err != nil {
		return nil, err
	}
	t := &Temporal{Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		logPath: filepath.Join(dir, "temporal.log"), exited: make(chan struct{})}
	args := []string{"server", "start-dev", "--headless", "--log-level", "error",
		"--ip", "127.0.0.1", "--port", strconv.Itoa(ports[0]), "--http-port", strconv.Itoa(ports[1]),
		"--metrics-port", strconv.Itoa(ports[2]), "--db-filename", filepath.Join(dir, "temporal.db"),
		"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=1"}
	logFile, err := os.Create(t.logPath)
	if err != nil {
		return nil, fmt.Errorf("temporal log: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor
	t.cmd = exec.Command(binary, args...)
	t.cmd.Stdout, t.cmd.Stderr = logFile, logFile
	t.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := t.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (make temporal builds it): %w", binary, err)
	}
	go func() { _ = t.cmd.Wait(); close(t.exited) }()
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := t.waitReady(waitCtx); err != nil {
		t.Stop()
		return nil, fmt.Errorf("temporal dev server at %s: %w; end of its log:\n%s", t.Address, err, t.logTail())
	}
	return t, nil
}

// PID is the server's process id.
func (t *Temporal) PID() int { return t.cmd.Process.Pid }

// Stop sends SIGTERM to the server's PID and SIGKILL after 15 seconds.
func (t *Temporal) Stop() {
	select {
	case <-t.exited:
		return
	default:
	}
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(15 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.exited
	}
}

// waitReady polls until the default namespace can be described.
func (t *Temporal) waitReady(ctx context.Context) error {
	var last error
	for {
		c, err := client.Dial(client.Options{HostPort: t.Address, Logger: QuietSDKLogger()})
		if err == nil {
			_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
			c.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready (%w); last error: %v", ctx.Err(), last)
		case <-t.exited:
			return errors.New("the process exited while starting")
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (t *Temporal) logTail() string {
	b, err := os.ReadFile(t.logPath)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return string(bytes.Join(lines[max(0, len(lines)-20):], []byte("\n")))
}

// QuietSDKLogger drops the Temporal SDK's logs, for the benchmarks' own clients.
func QuietSDKLogger() tlog.Logger { return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

// sparePorts finds n free TCP ports on 127.0.0.1, held together while chosen so they differ.
func sparePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a spare port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
