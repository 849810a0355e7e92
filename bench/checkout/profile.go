package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"shopflow/workflows"
)

// profiler watches where the time goes during a phase's window: CPU by process, the app's
// Postgres pool, what the run's Postgres backends wait on, and the means of the SDK's and the
// API's latency histograms.
type profiler struct {
	temporalPID int // 0 when the server is not ours
	pool        *pgxpool.Pool
	registry    *prometheus.Registry
	adminURL    string
	dbName      string

	mu      sync.Mutex
	startAt time.Time
	cpu0    cpuSample
	pool0   *pgxpool.Stat
	hist0   map[string]histPoint
	stopPG  context.CancelFunc
	pgDone  chan pgWaits
}

// phaseProfile is what the profiler saw in one window.
type phaseProfile struct {
	// CPU in cores (1.0 = one core busy for the whole window).
	CPUBench, CPUTemporal, CPUPostgres, CPUMachine float64
	// The app's pool: acquisitions, the share that found no idle connection, mean wait.
	PoolMax          int32
	PoolAcquires     int64
	PoolWaitedShare  float64
	PoolMeanWait     time.Duration
	PG               pgWaits
	Histograms       []histMean
	WindowSeconds    float64
	TemporalIncluded bool
}

// pgWaits are the run database's client backends, averaged over samples.
type pgWaits struct {
	Samples                              int
	Active, LockWait, LWLockIO, IdleInTx float64
	TopWaits                             map[string]float64 // wait_event -> mean backends
}

type histMean struct {
	Name  string
	Count uint64
	Mean  time.Duration
}

type histPoint struct {
	count uint64
	sum   float64
	unit  time.Duration // what one unit of sum is
}

type cpuSample struct {
	at                    time.Time
	bench, temporal, busy time.Duration
	backends              map[int]time.Duration // the run database's backends by PID
}

// begin starts the window.
func (p *profiler) begin() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startAt = time.Now()
	p.cpu0 = p.sampleCPU()
	if p.pool != nil {
		p.pool0 = p.pool.Stat()
	}
	p.hist0 = p.histograms()
	ctx, cancel := context.WithCancel(context.Background())
	p.stopPG = cancel
	p.pgDone = make(chan pgWaits, 1)
	go func() { p.pgDone <- p.samplePG(ctx) }()
}

// end closes the window and reports.
func (p *profiler) end() *phaseProfile {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	cpu1 := p.sampleCPU()
	secs := cpu1.at.Sub(p.cpu0.at).Seconds()
	cores := func(a, b time.Duration) float64 { return (b - a).Seconds() / secs }
	pr := &phaseProfile{
		WindowSeconds:    secs,
		CPUBench:         cores(p.cpu0.bench, cpu1.bench),
		CPUTemporal:      cores(p.cpu0.temporal, cpu1.temporal),
		CPUPostgres:      backendCores(p.cpu0.backends, cpu1.backends, secs),
		CPUMachine:       cores(p.cpu0.busy, cpu1.busy),
		TemporalIncluded: p.temporalPID != 0,
	}
	if p.pool != nil {
		s := p.pool.Stat()
		pr.PoolMax = s.MaxConns()
		pr.PoolAcquires = s.AcquireCount() - p.pool0.AcquireCount()
		if pr.PoolAcquires > 0 {
			pr.PoolWaitedShare = float64(s.EmptyAcquireCount()-p.pool0.EmptyAcquireCount()) / float64(pr.PoolAcquires)
			pr.PoolMeanWait = (s.AcquireDuration() - p.pool0.AcquireDuration()) / time.Duration(pr.PoolAcquires)
		}
	}
	for name, h1 := range p.histograms() {
		h0 := p.hist0[name]
		if n := h1.count - h0.count; n > 0 {
			mean := time.Duration((h1.sum - h0.sum) / float64(n) * float64(h1.unit))
			pr.Histograms = append(pr.Histograms, histMean{Name: name, Count: n, Mean: mean})
		}
	}
	sort.Slice(pr.Histograms, func(i, j int) bool { return pr.Histograms[i].Name < pr.Histograms[j].Name })
	p.stopPG()
	pr.PG = <-p.pgDone
	return pr
}

// histograms reads the latency histograms worth knowing from the registry: the Temporal SDK's
// (local activity, workflow task, end-to-end, per-RPC) and the API's.
func (p *profiler) histograms() map[string]histPoint {
	out := map[string]histPoint{}
	if p.registry == nil {
		return out
	}
	families, err := p.registry.Gather()
	if err != nil {
		return out
	}
	for _, f := range families {
		name := f.GetName()
		if f.GetType() != dto.MetricType_HISTOGRAM || !interestingHistogram(name) || strings.Contains(name, "_attempt") {
			continue
		}
		unit := time.Second
		if strings.HasSuffix(name, "_milliseconds") {
			unit = time.Millisecond
		}
		for _, m := range f.GetMetric() {
			label := histLabel(name, m.GetLabel())
			if label == "" {
				continue
			}
			h := m.GetHistogram()
			pt := out[label]
			pt.count += h.GetSampleCount()
			pt.sum += h.GetSampleSum()
			pt.unit = unit
			out[label] = pt
		}
	}
	return out
}

func interestingHistogram(name string) bool {
	for _, s := range []string{
		"local_activity_execution_latency", "local_activity_succeed_endtoend_latency",
		"workflow_task_execution_latency", "workflow_task_schedule_to_start_latency",
		"workflow_endtoend_latency",
		"activity_execution_latency", "activity_schedule_to_start_latency",
		"temporal_request_latency", "temporal_long_request_latency",
		"shopflow_http_request_duration_seconds",
	} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// histLabel names one series by the labels that tell series apart here (operation, activity
// type, workflow type, route), dropping the rest (namespace, task queue, client name...).
func histLabel(name string, labels []*dto.LabelPair) string {
	var keep []string
	for _, l := range labels {
		switch l.GetName() {
		case "workflow_type":
			// Only the workflows the phases run; the worker's Schedules (sweeps, outbox)
			// fire now and then and would clutter the table.
			switch l.GetValue() {
			case workflows.CheckoutWorkflowName, bareLocalName, bareRegularName:
			default:
				return ""
			}
			keep = append(keep, l.GetName()+"="+l.GetValue())
		case "operation", "activity_type", "route":
			if l.GetValue() != "none" {
				keep = append(keep, l.GetName()+"="+l.GetValue())
			}
		}
	}
	name = strings.TrimPrefix(name, "temporal_")
	if strings.Contains(name, "request_latency") {
		// Only the RPCs a checkout makes; polls are long polls and would swamp the means.
		op := ""
		for _, k := range keep {
			if v, ok := strings.CutPrefix(k, "operation="); ok {
				op = v
			}
		}
		switch op {
		case "StartWorkflowExecution", "RespondWorkflowTaskCompleted", "RespondActivityTaskCompleted", "GetWorkflowExecutionHistory":
		default:
			return ""
		}
	}
	if strings.HasPrefix(name, "shopflow_http") && !strings.Contains(strings.Join(keep, ","), "checkout") {
		return ""
	}
	sort.Strings(keep)
	return name + "{" + strings.Join(keep, ",") + "}"
}

// samplePG counts what the run database's client backends are doing, five times a second,
// until ctx ends.
func (p *profiler) samplePG(ctx context.Context) pgWaits {
	w := pgWaits{TopWaits: map[string]float64{}}
	conn, err := pgx.Connect(context.Background(), p.adminURL)
	if err != nil {
		return w
	}
	defer conn.Close(context.Background())
	counts := map[string]int{}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if w.Samples > 0 {
				n := float64(w.Samples)
				w.Active, w.LockWait, w.LWLockIO, w.IdleInTx = w.Active/n, w.LockWait/n, w.LWLockIO/n, w.IdleInTx/n
				for k, c := range counts {
					w.TopWaits[k] = float64(c) / n
				}
			}
			return w
		case <-t.C:
		}
		rows, err := conn.Query(context.Background(), `
			SELECT state, coalesce(wait_event_type, ''), coalesce(wait_event, '')
			FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`, p.dbName)
		if err != nil {
			continue
		}
		var state, typ, event string
		_, err = pgx.ForEachRow(rows, []any{&state, &typ, &event}, func() error {
			switch {
			case state == "idle in transaction":
				w.IdleInTx++
			case state != "active":
				return nil
			default:
				w.Active++
			}
			switch typ {
			case "Lock":
				w.LockWait++
			case "LWLock", "IO":
				w.LWLockIO++
			}
			if typ != "" && typ != "Client" {
				counts[typ+":"+event]++
			}
			return nil
		})
		if err == nil {
			w.Samples++
		}
	}
}

// sampleCPU reads CPU time used so far by this process, the Temporal server, every postgres
// process on the machine, and the machine as a whole.
func (p *profiler) sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.bench = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if p.temporalPID != 0 {
		s.temporal, _ = procCPU(p.temporalPID)
	}
	s.backends = map[int]time.Duration{}
	for _, pid := range p.backendPIDs() {
		if t, err := procCPU(pid); err == nil {
			s.backends[pid] = t
		}
	}
	s.busy = machineBusy()
	return s
}

// backendPIDs lists the server processes serving the run's database (Postgres runs one process
// per connection), so that other databases on the same server are not counted.
func (p *profiler) backendPIDs() []int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.adminURL)
	if err != nil {
		return nil
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1`, p.dbName)
	if err != nil {
		return nil
	}
	pids, _ := pgx.CollectRows(rows, pgx.RowTo[int32])
	out := make([]int, len(pids))
	for i, pid := range pids {
		out[i] = int(pid)
	}
	return out
}

// backendCores is the CPU the run database's backends used between two samples, in cores. A
// backend that appeared in between counts from zero; one that went away is lost (the pools
// keep their connections, so few do).
func backendCores(before, after map[int]time.Duration, secs float64) float64 {
	var used time.Duration
	for pid, t := range after {
		used += t - before[pid]
	}
	return used.Seconds() / secs
}

// clockTick is USER_HZ, 100 on every Linux we run on.
const clockTick = 10 * time.Millisecond

// procCPU is a process's user plus system time, from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short stat for %d", pid)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * clockTick, nil
}

// machineBusy is the CPU time all cores spent not idle, from /proc/stat.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest times are already in user
			continue
		}
		busy += n
	}
	return time.Duration(busy) * clockTick
}

// loadAverage is /proc/loadavg's first three fields.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
