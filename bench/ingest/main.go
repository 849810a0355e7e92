// Command ingest is the helper of the batch ingest benchmark: bench/ingest/run.sh starts the
// processes (a Temporal dev server, `shopflow worker`, `shopflow ingest FILE --no-wait`) and
// calls this program for everything that talks to Postgres or reads /proc:
//
//	ports N                  N free TCP ports on 127.0.0.1
//	setup                    create a fresh database, migrate it, seed the products
//	drop                     drop it
//	gen                      write an order file with ingest.GenerateFile, then read it back
//	                         with encoding/csv to count its lines, keys and units
//	rawcopy                  the baseline: COPY the same file into a plain table
//	reset                    empty the sales tables (and the baseline's table) between runs
//	wait                     poll an ingest batch until it completes (bounded)
//	verify                   check a completed batch against what gen counted in its file
//	snap                     CPU seconds of given processes, the run database's backends and
//	                         the machine, as JSON, to difference two snapshots
//	delta                    the difference of two snapshots, as shell assignments
//	profile                  ingest a file in process (ingest.Batches, no Temporal), timing
//	                         every statement, with a CPU profile and EXPLAIN ANALYZE of one chunk
//	report                   render the Markdown section from the run's results
//	doc                      write a section into docs/BENCHMARKS.md between this benchmark's
//	                         markers, leaving the rest of the file as it was
//
// Results are printed as shell assignments (KEY=value) on stdout, progress on stderr.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ingest ports|setup|drop|gen|rawcopy|reset|wait|verify|snap|delta|profile|report|doc [flags] (see bench/ingest/run.sh --help)")
		os.Exit(2)
	}
	commands := map[string]func([]string) error{
		"ports": ports, "setup": setup, "drop": drop, "gen": gen, "rawcopy": rawCopy, "reset": reset,
		"wait": wait, "verify": verify, "snap": snap, "delta": delta, "profile": profile, "report": report, "doc": doc,
	}
	run, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "ingest bench: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	err := run(os.Args[2:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest bench:", err)
		os.Exit(1)
	}
}

// out prints one result as a shell assignment.
func out(key string, value any) {
	switch v := value.(type) {
	case float64:
		fmt.Printf("%s=%.6f\n", key, v)
	case string:
		fmt.Printf("%s='%s'\n", key, strings.ReplaceAll(v, "'", `'\''`))
	default:
		fmt.Printf("%s=%v\n", key, v)
	}
}

func progressf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ingest bench: "+format+"\n", args...)
}
