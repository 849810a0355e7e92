// Package pgtest starts throwaway Postgres clusters for tests that need more than a database of
// the shared server: a primary with a streaming replica, or a server a test may stop. Clusters
// bind to 127.0.0.1 on free ports, run as the postgres OS user when the tests run as root, and
// are stopped and removed in t.Cleanup.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is one Postgres cluster of a test's own.
type Server struct {
	t       testing.TB
	bin     string
	dir     string // holds the cluster's data, socket and log
	asOwner []string
	// Port is where the server listens on 127.0.0.1.
	Port int
}

// URL is the server's connection URL for database db, as the postgres superuser.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// Stop stops the server at once, as a crash or a lost host would; Start starts it again.
func (s *Server) Stop() { s.ctl("stop", "-m", "immediate") }

// Start starts the server and waits until it accepts connections.
func (s *Server) Start() {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c max_connections=100 "+
		"-c wal_level=replica -c max_wal_senders=5 -c hot_standby=on", s.Port, s.dir)
	s.ctl("start", "-o", opts)
}

// ctl runs pg_ctl on the cluster, waiting (-w) for the action to finish.
func (s *Server) ctl(action string, extra ...string) {
	s.t.Helper()
	args := append([]string{"-D", s.data(), "-w", "-t", "60", "-l", filepath.Join(s.dir, "log"), action}, extra...)
	s.run("pg_ctl", args...)
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// run runs one of the server binaries as the cluster's owner and fails the test on error.
func (s *Server) run(tool string, args ...string) {
	s.t.Helper()
	cmd := append(slices.Clone(s.asOwner), append([]string{filepath.Join(s.bin, tool)}, args...)...)
	out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("%s: %v\n%s", strings.Join(cmd, " "), err, out)
	}
}

// newServer prepares (but does not create) a cluster directory and picks its port. Cleanup
// stops the server, if it runs, and removes the directory.
func newServer(t testing.TB) *Server {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("pgtest needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
	}
	slices.Sort(bins)
	dir, err := os.MkdirTemp("", "shopflow-pg-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: filepath.Dir(bins[len(bins)-1]), dir: dir, Port: freePort(t)}
	t.Cleanup(func() {
		// pg_ctl stops the postmaster whose PID the data directory's postmaster.pid holds.
		if _, err := os.Stat(filepath.Join(s.data(), "postmaster.pid")); err == nil {
			s.Stop()
		}
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		// Postgres refuses to run as root: the postgres user owns the cluster.
		owner, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, pgtest needs the postgres user to own its clusters: %v", err)
		}
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.asOwner = []string{"runuser", "-u", "postgres", "--"}
	}
	return s
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls check until it returns nil or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, check func(context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %s: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// query runs sql on url once and scans its one row into dest.
func query(ctx context.Context, url, sql string, dest ...any) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql).Scan(dest...)
}
