package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// devServer is a Temporal dev server this benchmark started and must stop.
type devServer struct {
	Address     string
	MetricsAddr string // 127.0.0.1:port of the server's Prometheus endpoint
	cmd         *exec.Cmd
	logPath     string
	exited      chan struct{}
}

// devServerTuning is what the benchmark can change in the dev server: extra SQLite pragmas
// (beside journal_mode=wal and synchronous=1) and the Go runtime's GOGC.
type devServerTuning struct {
	Pragmas []string // key=value
	GOGC    string   // "" keeps the runtime's default
	// DynamicConfig are --dynamic-config-value settings (key=value, value in JSON).
	DynamicConfig []string
}

func (t devServerTuning) String() string {
	parts := append([]string{"journal_mode=wal", "synchronous=1"}, t.Pragmas...)
	s := "SQLite " + strings.Join(parts, ", ")
	if t.GOGC != "" {
		s += ", GOGC=" + t.GOGC
	}
	for _, d := range t.DynamicConfig {
		s += ", " + d
	}
	return s
}

// startDevServer starts bin/temporal server start-dev on spare 127.0.0.1 ports with a fresh
// SQLite file in dir, in its own process group (a Ctrl-C at the terminal reaches only the
// benchmark, which then stops the server itself), and waits until its namespace answers.
func startDevServer(ctx context.Context, binary, dir, namespace string, wait time.Duration, tuning devServerTuning) (*devServer, error) {
	ports, err := sparePorts(3)
	if err != nil {
		return nil, err
	}
	s := &devServer{
		Address:     net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		MetricsAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2])),
		logPath:     filepath.Join(dir, "temporal.log"),
		exited:      make(chan struct{}),
	}
	args := []string{"server", "start-dev",
		"--ip", "127.0.0.1", "--port", strconv.Itoa(ports[0]), "--http-port", strconv.Itoa(ports[1]),
		"--metrics-port", strconv.Itoa(ports[2]), "--headless",
		"--db-filename", filepath.Join(dir, "temporal.db"),
		"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=1",
		"--log-level", "error",
		"--search-attribute", "OrderId=Keyword", "--search-attribute", "CustomerId=Keyword",
		"--search-attribute", "OrderStatus=Keyword",
	}
	for _, p := range tuning.Pragmas {
		args = append(args, "--sqlite-pragma", p)
	}
	for _, d := range tuning.DynamicConfig {
		args = append(args, "--dynamic-config-value", d)
	}
	if namespace != "default" {
		args = append(args, "--namespace", namespace)
	}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("temporal log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	s.cmd = exec.Command(binary, args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if tuning.GOGC != "" {
		s.cmd.Env = append(os.Environ(), "GOGC="+tuning.GOGC)
	}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()

	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := waitForNamespace(waitCtx, s.Address, namespace, s.exited); err != nil {
		s.Stop()
		return nil, fmt.Errorf("temporal dev server at %s: %w; end of %s:\n%s", s.Address, err, s.logPath, s.logTail())
	}
	return s, nil
}

// PID is the server's process id.
func (s *devServer) PID() int { return s.cmd.Process.Pid }

// Stop asks the server to stop (SIGTERM to its PID) and kills it after 15 seconds.
func (s *devServer) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func (s *devServer) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// waitForNamespace polls until the namespace can be described, the context ends, or the
// process exits.
func waitForNamespace(ctx context.Context, address, namespace string, exited <-chan struct{}) error {
	var last error
	for {
		c, err := client.Dial(client.Options{HostPort: address, Namespace: namespace, Logger: quietLogger()})
		if err == nil {
			_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
			c.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready (%w): last error: %v", ctx.Err(), last)
		case <-exited:
			return errors.New("the process exited while starting")
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// sparePorts finds n free TCP ports on 127.0.0.1. Another process could take one before the
// server binds it; the server then fails to start and the error says so.
func sparePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a spare port: %w", err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// temporalVersion is the first line of `bin/temporal --version`.
func temporalVersion(binary string) string {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}
