package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"

	"shopflow/migrations"
)

// Servers of a test's own, for fault injection: stopping or restarting one disturbs no other
// test. Each binds to 127.0.0.1 on a free port and is stopped, by its PID, when the test ends.

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// process is a server the test runs as a child; start may be called again after stop.
type process struct {
	t    *testing.T
	name string
	args []string
	cmd  *exec.Cmd
	done chan struct{}
	out  *lockedBuffer
}

func newProcess(t *testing.T, name string, args ...string) *process {
	p := &process{t: t, name: name, args: args, out: &lockedBuffer{}}
	t.Cleanup(p.stop)
	return p
}

func (p *process) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.name, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(p.cmd, p.done)
}

// stop ends the process (SIGTERM, then SIGKILL after 10 s) and waits for it to exit.
func (p *process) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// waitTCP waits until addr accepts connections.
func waitTCP(t *testing.T, addr string, what func() string) {
	t.Helper()
	eventually(t, 60*time.Second, func() (bool, error) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil, nil
	}, what)
}

// --- Redis ---

// redisServer is a Redis of the test's own, keeping nothing on disk.
type redisServer struct {
	*process
	addr string
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	port := freePort(t)
	r := &redisServer{addr: fmt.Sprintf("127.0.0.1:%d", port)}
	r.process = newProcess(t, "redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	r.start()
	return r
}

func (r *redisServer) start() {
	r.t.Helper()
	r.process.start()
	waitTCP(r.t, r.addr, func() string { return "redis-server on " + r.addr + ": " + r.out.String() })
}

func (r *redisServer) url() string { return "redis://" + r.addr + "/0" }

// --- Postgres ---

// pgServer is a Postgres cluster of the test's own, created with initdb in a temporary
// directory (as the postgres user when the test runs as root, which initdb refuses to be).
type pgServer struct {
	t       *testing.T
	bin     string
	dir     string
	port    int
	asOwner []string // the command prefix that runs a server binary as the cluster's owner
}

func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("fault tests need the PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
	}
	slices.Sort(bins)
	dir, err := os.MkdirTemp("", "shopflow-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgServer{t: t, bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: freePort(t)}
	t.Cleanup(func() { p.ctl("stop", "-m", "immediate"); os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		owner, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, fault tests need the postgres user to own their cluster: %v", err)
		}
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.asOwner = []string{"runuser", "-u", "postgres", "--"}
	}
	p.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	p.ctl("start")
	return p
}

func (p *pgServer) run(tool string, args ...string) {
	p.t.Helper()
	cmd := append(slices.Clone(p.asOwner), append([]string{filepath.Join(p.bin, tool)}, args...)...)
	out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("%s: %v\n%s", strings.Join(cmd, " "), err, out)
	}
}

// ctl runs pg_ctl with the cluster's settings: loopback only, its own socket directory, and no
// fsync (a test cluster has nothing to keep).
func (p *pgServer) ctl(action string, extra ...string) {
	p.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c max_connections=200", p.port, p.dir)
	args := append([]string{"-D", filepath.Join(p.dir, "data"), "-w", "-t", "60", "-l", filepath.Join(p.dir, "log"), "-o", opts, action}, extra...)
	p.run("pg_ctl", args...)
}

// restart stops the server the way a failover or an operator's restart does (fast: open
// connections are cut, transactions in flight roll back) and starts it again.
func (p *pgServer) restart() { p.ctl("restart", "-m", "fast") }

// newDatabase creates a migrated database on the cluster and returns its URL.
func (p *pgServer) newDatabase() string {
	p.t.Helper()
	ctx := context.Background()
	admin := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		p.t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := "shopflow_" + randHex(4)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		p.t.Fatal(err)
	}
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, name)
	pool := openPool(p.t, url)
	if err := migrations.Apply(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
		p.t.Fatal(err)
	}
	return url
}

// --- stripe-mock ---

// stripeMock is bin/stripe-mock on a port of the test's own.
type stripeMock struct {
	*process
	addr string
}

func startStripeMock(t *testing.T) *stripeMock {
	t.Helper()
	port := freePort(t)
	s := &stripeMock{addr: fmt.Sprintf("127.0.0.1:%d", port)}
	exe := filepath.Join(suite.root, "bin", "stripe-mock")
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("fault tests need stripe-mock at %s (%v): run scripts/install-stripe-mock.sh", exe, err)
	}
	s.process = newProcess(t, exe, "-http-addr", s.addr, "-https-addr", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	s.start()
	return s
}

func (s *stripeMock) start() {
	s.t.Helper()
	s.process.start()
	waitTCP(s.t, s.addr, func() string { return "stripe-mock on " + s.addr + ": " + s.out.String() })
}

// --- Temporal ---

// temporalServer is a Temporal dev server of the test's own whose state lives in a SQLite file,
// so a restart keeps every workflow, as a real cluster's restart does.
type temporalServer struct {
	*process
	addr   string
	client client.Client
}

func startTemporalServer(t *testing.T) *temporalServer {
	t.Helper()
	port := freePort(t)
	ts := &temporalServer{addr: fmt.Sprintf("127.0.0.1:%d", port)}
	ts.process = newProcess(t, filepath.Join(suite.root, "bin", "temporal"), "server", "start-dev",
		"--ip", "127.0.0.1", "--port", strconv.Itoa(port), "--headless", "--log-level", "error",
		"--http-port", strconv.Itoa(freePort(t)), "--metrics-port", strconv.Itoa(freePort(t)),
		"--db-filename", filepath.Join(t.TempDir(), "temporal.db"),
		"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=1",
		"--search-attribute", "OrderId=Keyword", "--search-attribute", "CustomerId=Keyword",
		"--search-attribute", "OrderStatus=Keyword")
	ts.start()
	c, err := client.Dial(client.Options{HostPort: ts.addr, Namespace: "default", Logger: temporalLogger()})
	if err != nil {
		t.Fatalf("connect to the test's Temporal at %s: %v", ts.addr, err)
	}
	t.Cleanup(c.Close)
	ts.client = c
	return ts
}

func (ts *temporalServer) start() {
	ts.t.Helper()
	ts.process.start()
	waitTCP(ts.t, ts.addr, func() string { return "temporal dev server on " + ts.addr + ": " + ts.out.String() })
}

// restart stops the server (SIGTERM, as an orchestrator does) and starts it on the same state.
func (ts *temporalServer) restart() {
	ts.t.Helper()
	ts.stop()
	ts.start()
}
