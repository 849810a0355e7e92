package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// clockTicks is USER_HZ, the unit of /proc CPU times (100 on every Linux we run on).
const clockTicks = 100

// procCPU is the user + system CPU seconds a process has used.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	// The command name (field 2) may hold spaces; the fields after it start past its ')'.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks, nil
}

// machineCPU is the CPU seconds all cores have spent busy and in total since boot.
func machineCPU() (busy, total float64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)[1:]
	for i, v := range f {
		n, _ := strconv.ParseFloat(v, 64)
		if i >= 8 { // guest times are counted in user already
			break
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy / clockTicks, total / clockTicks, nil
}

// snapshot is the CPU used so far by named processes, by each backend of the run's database,
// by Postgres's own background processes, and by the machine.
type snapshot struct {
	At       float64            `json:"at"`
	Procs    map[string]float64 `json:"procs"`
	Backends map[string]float64 `json:"backends"`
	PgAux    float64            `json:"pg_aux"`
	Busy     float64            `json:"busy"`
	Total    float64            `json:"total"`
	LoadAvg  string             `json:"loadavg"`
}

func snap(args []string) error {
	fs := flag.NewFlagSet("snap", flag.ContinueOnError)
	adminURL := fs.String("admin-url", defaultAdminURL, "any database, to list backends")
	dbName := fs.String("db", "", "the run's database (its backends are counted)")
	procs := fs.String("procs", "", "name=pid,... processes to count")
	file := fs.String("out", "", "where to write the snapshot")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := snapshot{At: float64(time.Now().UnixNano()) / 1e9, Procs: map[string]float64{}, Backends: map[string]float64{}}
	for _, kv := range strings.Split(*procs, ",") {
		name, pid, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		p, err := strconv.Atoi(pid)
		if err != nil {
			return err
		}
		if c, err := procCPU(p); err == nil {
			s.Procs[name] = c
		}
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, *adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid, coalesce(datname, ''), backend_type FROM pg_stat_activity WHERE pid <> pg_backend_pid()`)
	if err != nil {
		return err
	}
	var pid int
	var db, kind string
	_, err = pgx.ForEachRow(rows, []any{&pid, &db, &kind}, func() error {
		c, err := procCPU(pid)
		if err != nil {
			return nil // gone
		}
		switch {
		case db == *dbName && kind == "client backend":
			s.Backends[strconv.Itoa(pid)] = c
		case kind == "walwriter" || kind == "checkpointer" || kind == "background writer":
			s.PgAux += c
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.Busy, s.Total, err = machineCPU()
	if err != nil {
		return err
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		s.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	j, _ := json.Marshal(s)
	return os.WriteFile(*file, j, 0o644)
}

func readSnapshot(name string) (snapshot, error) {
	var s snapshot
	b, err := os.ReadFile(name)
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	return s, err
}

// delta prints the CPU seconds used between two snapshots: by each named process, by the run
// database's backends (a backend born in between counts from zero), by Postgres's background
// writers, and the machine's busy cores on average.
func delta(args []string) error {
	fs := flag.NewFlagSet("delta", flag.ContinueOnError)
	from := fs.String("from", "", "the earlier snapshot")
	to := fs.String("to", "", "the later snapshot")
	prefix := fs.String("prefix", "CPU_", "prefix of the printed results")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := readSnapshot(*from)
	if err != nil {
		return err
	}
	b, err := readSnapshot(*to)
	if err != nil {
		return err
	}
	for name, c := range b.Procs {
		out(*prefix+strings.ToUpper(name), c-a.Procs[name])
	}
	var backends float64
	for pid, c := range b.Backends {
		backends += c - a.Backends[pid]
	}
	wall := b.At - a.At
	out(*prefix+"PG_BACKENDS", backends)
	out(*prefix+"PG_AUX", b.PgAux-a.PgAux)
	out(*prefix+"WALL", wall)
	out(*prefix+"MACHINE_BUSY_CORES", (b.Busy-a.Busy)/(b.Total-a.Total)*float64(cores()))
	out(*prefix+"LOADAVG_END", b.LoadAvg)
	return nil
}

func cores() int {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 1
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "cpu") && len(l) > 3 && l[3] >= '0' && l[3] <= '9' {
			n++
		}
	}
	return max(n, 1)
}
