package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// results are the run's KEY='value' lines, as run.sh collected them.
type results map[string]string

func readResults(name string) (results, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := results{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
		}
		r[k] = v
	}
	return r, sc.Err()
}

func (r results) s(k string) string { return r[k] }
func (r results) f(k string) float64 {
	v, _ := strconv.ParseFloat(r[k], 64)
	return v
}
func (r results) has(k string) bool { _, ok := r[k]; return ok }

func num(v float64) string { // 1234567 -> 1,234,567
	s := strconv.FormatFloat(v, 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func report(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	resultsFile := fs.String("results", "", "the run's results")
	explainFile := fs.String("explain", "", "the captured plans")
	pprofFile := fs.String("pprof", "", "go tool pprof -top -cum output")
	variantsDir := fs.String("variants-dir", "bench/ingest/variants", "the variants' patches (their descriptions)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := readResults(*resultsFile)
	if err != nil {
		return err
	}
	w := &strings.Builder{}
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }

	lines := r.f("GEN_LINES")
	raw := (r.f("RAW1_LINES_PER_S") + r.f("RAW2_LINES_PER_S")) / 2
	mainRate := lines / r.f("MAIN_TOTAL_SECONDS")
	ratio := mainRate / raw

	p("## Batch ingest\n\n")
	p("An order file of %s lines submitted as an operator does (`shopflow ingest FILE --no-wait`, ingested by `shopflow worker` in its own process through a Temporal dev server), against a raw `COPY` of the same file into a plain table, in the same run on a fresh database of %s products.\n\n",
		num(lines), r.s("PRODUCTS"))
	p("- Date: %s; code: %s (built from the working tree, as `make build`)\n", r.s("DATE"), r.s("COMMIT"))
	p("- Machine: %s CPUs (%s), %s RAM, **shared** with other engineers: load average %s before, %s after; each run's busy cores (all users) are in the tables\n",
		r.s("CORES"), r.s("CPU_MODEL"), r.s("MEM"), r.s("LOAD_BEFORE"), r.s("LOAD_AFTER"))
	p("- Software: %s; PostgreSQL %s (%s); Temporal CLI %s (dev server, SQLite WAL, synchronous=1)\n",
		r.s("GO_VERSION"), r.s("PG_VERSION"), r.s("PG_SETTINGS"), r.s("TEMPORAL_VERSION"))
	p("- Files: `ingest.GenerateFile` (orders of 1 to 5 lines, uniform over %s products and 19 days of November 2026, source `gen`): %s lines, %.1f MiB (seed 1), and %s lines (seed 2) for the memory check; read back with `encoding/csv`: %s distinct keys, %s invalid lines, %s units\n",
		r.s("PRODUCTS"), num(lines), r.f("GEN_BYTES")/(1<<20), num(r.f("GENS_LINES")), num(r.f("GEN_KEYS")), r.s("GEN_BAD"), num(r.f("GEN_UNITS")))
	p("\n```sh\n%s\n```\n\n", r.s("COMMAND"))

	p("| run | lines | chunk lines | wall | **lines/s** | worker side (created_at -> finished_at) | worker peak RSS (VmHWM) | CPU s: worker / Temporal / run DB backends | machine busy cores | checks |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for i, k := range []string{"RAW1", "RAW2"} {
		p("| raw `COPY ... FROM STDIN WITH (FORMAT csv, HEADER true)` into a plain table, run %d of 2 | %s | - | %.2f s | **%s** | - | - | backend %.2f | - | %s rows, %s distinct keys, %s units |\n",
			i+1, num(r.f(k+"_ROWS")), r.f(k+"_SECONDS"), num(r.f(k+"_LINES_PER_S")), r.f(k+"_BACKEND_CPU"), num(r.f(k+"_ROWS")), num(r.f(k+"_KEYS")), num(r.f(k+"_UNITS")))
	}
	type run struct{ key, what string }
	runs := []run{{"MAIN", "Shopflow, `shopflow ingest --no-wait` -> completed"}}
	if r.has("WV_STATUS") {
		runs = append(runs, run{"WV", "Shopflow **with variant " + r.s("WV_NAME") + "** (patched build, its own fresh database, right after the run above)"})
	}
	runs = append(runs, run{"SMALL", "Shopflow, the smaller file (fresh worker)"})
	rounds, _ := strconv.Atoi(r.s("ROUNDS"))
	sizes := strings.Fields(r.s("CHUNK") + " " + r.s("SWEEP"))
	if strings.TrimSpace(r.s("SWEEP")) == "" {
		sizes = nil
	}
	for _, x := range runs {
		if !r.has(x.key + "_STATUS") {
			continue
		}
		n := r.f(x.key + "_ACCEPTED")
		p("| %s | %s | %s | %.1f s | **%s** | %.1f s | %.1f MiB | %.1f / %.1f / %.1f | %.2f | %s |\n",
			x.what, num(n), num(r.f("CHUNK")), r.f(x.key+"_TOTAL_SECONDS"), num(n/r.f(x.key+"_TOTAL_SECONDS")), r.f(x.key+"_WORKER_SECONDS"),
			r.f(x.key+"_HWM_KB")/1024, r.f(x.key+"_CPU_WORKER"), r.f(x.key+"_CPU_TEMPORAL"), r.f(x.key+"_CPU_PG_BACKENDS"),
			r.f(x.key+"_CPU_MACHINE_BUSY_CORES"), checkText(r, x.key))
	}
	var checked, wrong int
	for k := range r {
		if strings.HasSuffix(k, "_V_OK") {
			checked++
			if r[k] != "yes" {
				wrong++
			}
		}
	}
	if r.has("RAWKEY_SECONDS") {
		p("| (reference) raw `COPY` into the same table with a primary key on (source, external_order_id, line_no): the least a once-only count needs | %s | - | %.2f s | %s | - | - | backend %.2f | - | |\n",
			num(r.f("RAWKEY_ROWS")), r.f("RAWKEY_SECONDS"), num(r.f("RAWKEY_LINES_PER_S")), r.f("RAWKEY_BACKEND_CPU"))
	}
	p("\nWall time runs from launching `shopflow ingest` (which stores the file under its hash, registers the batch and starts the workflow) to the batch's `finished_at`; the ingest of every run was checked against the file as read back independently.\n\n")

	// Chunk sizes, round-robin.
	type sizeStat struct {
		size                   string
		rates, pg, worker, hwm []float64
	}
	var sizeStats []sizeStat
	best, bestSize := 0.0, ""
	if len(sizes) > 0 {
		p("Chunk size (`SHOPFLOW_INGEST_CHUNK_LINES`), the %s-line file through the worker, %d rounds round-robin (each run on emptied sales tables, a fresh worker):\n\n", num(lines), rounds)
		p("| chunk lines | lines/s, median | each run | Postgres CPU s (run DB backends), mean | worker CPU s, mean | worker peak RSS, max | machine busy cores, mean |\n|---:|---:|---|---:|---:|---:|---:|\n")
		for _, c := range sizes {
			st := sizeStat{size: c}
			var busy []float64
			for i := 1; i <= rounds; i++ {
				k := fmt.Sprintf("SW%d_%s", i, c)
				if !r.has(k + "_TOTAL_SECONDS") {
					continue
				}
				st.rates = append(st.rates, r.f(k+"_ACCEPTED")/r.f(k+"_TOTAL_SECONDS"))
				st.pg = append(st.pg, r.f(k+"_CPU_PG_BACKENDS"))
				st.worker = append(st.worker, r.f(k+"_CPU_WORKER"))
				st.hwm = append(st.hwm, r.f(k+"_HWM_KB")/1024)
				busy = append(busy, r.f(k+"_CPU_MACHINE_BUSY_CORES"))
			}
			if len(st.rates) == 0 {
				continue
			}
			each := make([]string, len(st.rates))
			for i, v := range st.rates {
				each[i] = num(v)
			}
			p("| %s | **%s** | %s | %.1f | %.1f | %.1f MiB | %.2f |\n", num(mustFloat(c)), num(median(st.rates)), strings.Join(each, ", "),
				mean(st.pg), mean(st.worker), maxOf(st.hwm), mean(busy))
			if median(st.rates) > best {
				best, bestSize = median(st.rates), c
			}
			sizeStats = append(sizeStats, st)
		}
		p("\n")
	}

	hwmBig, hwmSmall := r.f("MAIN_HWM_KB")/1024, r.f("SMALL_HWM_KB")/1024
	p("| target | measured | met? |\n|---|---:|---|\n")
	p("| Shopflow lines/s / raw COPY lines/s >= 0.5 | %.3f (%s / %s, the mean of the two raw runs) | %s |\n", ratio, num(mainRate), num(raw), yes(ratio >= 0.5))
	p("| worker peak RSS < 200 MB | %.1f MiB (%s lines), %.1f MiB (%s lines) | %s |\n", hwmBig, num(lines), hwmSmall, num(r.f("GENS_LINES")), yes(max(hwmBig, hwmSmall) < 200*1e6/(1<<20)))
	p("| peak RSS flat in the file's size | x%.2f for x%.0f the lines | %s |\n", hwmBig/hwmSmall, lines/r.f("GENS_LINES"), yes(hwmBig/hwmSmall < 1.25))
	p("| every line counted exactly once; rollup = file | %d runs checked, %d wrong | %s |\n", checked, wrong, yes(checked > 0 && wrong == 0))
	if best > 0 {
		p("| (best measured configuration) chunks of %s: median lines/s / raw COPY | %.3f (%s / %s) | %s |\n", num(mustFloat(bestSize)), best/raw, num(best), num(raw), yes(best/raw >= 0.5))
	}
	if r.has("PROF_LINES") {
		pgPerLine := r.f("PROF_BACKEND_CPU") / r.f("PROF_LINES") * 1e6
		rawPerLine := (r.f("RAW1_BACKEND_CPU") + r.f("RAW2_BACKEND_CPU")) / 2 / r.f("RAW1_ROWS") * 1e6
		p("| (reference) Postgres CPU per line, Shopflow / raw COPY | %.1f µs / %.1f µs = x%.0f | - |\n", pgPerLine, rawPerLine, pgPerLine/rawPerLine)
	}
	p("\n")

	if r.has("PROF_LINES") {
		// What limits it, from the figures above and below.
		wall := r.f("PROF_WALL")
		rawCPU := (r.f("RAW1_BACKEND_CPU") + r.f("RAW2_BACKEND_CPU")) / 2 / r.f("RAW1_ROWS") * 1e6
		p("What limits it:\n\n")
		p("- **Postgres, in one statement.** In process (below), `countSales` takes %.0f%% of a chunk's wall time; Go (reading, parsing, checking, encoding) %.0f%%. Per line the Postgres backend spends %.1f µs of CPU against %.1f µs for the raw COPY",
			100*r.f("PROF_T_COUNTSALES")/wall, 100*r.f("PROF_OUTSIDE_DB")/wall, r.f("PROF_BACKEND_CPU")/r.f("PROF_LINES")*1e6, rawCPU)
		if r.has("RAWKEY_BACKEND_CPU") {
			p(", and %.1f µs for a raw COPY into a table keyed on the sale key alone (%s lines/s, %.2f x the raw COPY)",
				r.f("RAWKEY_BACKEND_CPU")/r.f("RAWKEY_ROWS")*1e6, num(r.f("RAWKEY_LINES_PER_S")), r.f("RAWKEY_LINES_PER_S")/raw)
		}
		p(". Where the baseline appends one heap row, each counted line costs a staged row, a `sale_keys` row and primary-key entry (with its conflict check), a `sales_facts` row with its primary-key entry (`sales_facts_order_idx` indexes only source `shopflow`), the join of claimed keys back to the staged lines (no DISTINCT ON sorts when a chunk's keys are unique), and an upsert into `sales_hourly` (three indexes).\n")
		p("- **Temporal and the worker process:** in process the same code ingests %s lines/s; through the CLI, Temporal and `shopflow worker`, %s lines/s (%.0f%% of it); the Temporal server used %.1f s of CPU for the whole file.\n",
			num(r.f("PROF_LINES_PER_S")), num(mainRate), 100*mainRate/r.f("PROF_LINES_PER_S"), r.f("MAIN_CPU_TEMPORAL"))
		if len(sizeStats) > 0 {
			var parts []string
			for _, st := range sizeStats {
				parts = append(parts, fmt.Sprintf("%s lines: %s lines/s, %.1f MiB", num(mustFloat(st.size)), num(median(st.rates)), maxOf(st.hwm)))
			}
			lo, hi := 0.0, 0.0
			for i, st := range sizeStats {
				if c := mean(st.pg); i == 0 || c < lo {
					lo = c
				}
				if c := mean(st.pg); c > hi {
					hi = c
				}
			}
			p("- **Chunk size** (median lines/s, peak RSS; memory follows the chunk, not the file): %s. The Postgres CPU the file costs varies by %.0f%% between the sizes (%.1f to %.1f s)",
				strings.Join(parts, "; "), 100*(hi-lo)/lo, lo, hi)
			if (hi-lo)/lo < 0.1 {
				p(", so the differences in wall time between them are mostly other users' load (see the busy cores)")
			}
			p(".\n")
		}
		p("- **The generated file is the rollup's worst case:** its lines are spread uniformly over 19 days x 24 hours x %s products, so nearly every line of a chunk lands in an (hour, product) row of its own (see the plan's `sales_hourly` rows against the chunk's lines); a real day's export, concentrated on a day and on popular products, folds many lines into each rollup row.\n\n", r.s("PRODUCTS"))
	}

	if r.has("PROF_LINES") {
		wall := r.f("PROF_WALL")
		p("### Where the time goes\n\n")
		p("The same ingest code (`ingest.Submit`, then `ingest.Batches.IngestChunk` until done, as the activity runs it) in one process without Temporal, on one connection, every statement timed by a pgx tracer: %s lines in %s chunks of %s in %.1f s = **%s lines/s** (the worker above: %s). CPU: Go %.1f s, the Postgres backend %.1f s; Go allocated %.0f MiB in all.\n\n",
			num(r.f("PROF_LINES")), r.s("PROF_CHUNKS"), num(r.f("CHUNK")), wall, num(r.f("PROF_LINES_PER_S")), num(mainRate),
			r.f("PROF_GO_CPU"), r.f("PROF_BACKEND_CPU"), r.f("PROF_GO_ALLOC_MB"))
		p("| part of a chunk | wall s | share |\n|---|---:|---:|\n")
		type part struct {
			name string
			t    float64
		}
		parts := []part{{"Go: read, parse and check lines, product lookup bookkeeping, pgx (outside any statement)", r.f("PROF_OUTSIDE_DB")}}
		for _, c := range statementClasses {
			key := "PROF_T_" + strings.ToUpper(strings.NewReplacer(" ", "_", "+", "", "__", "_").Replace(c))
			if t := r.f(key); t > 0.0005 {
				name := c
				switch c {
				case "countSales":
					name = "`countSales`: claim sale keys, insert facts, upsert the hourly rollup (one statement)"
				case "staging COPY":
					name = "COPY of the chunk into the staging table (pgx encoding included)"
				}
				parts = append(parts, part{name, t})
			}
		}
		sort.SliceStable(parts, func(i, j int) bool { return parts[i].t > parts[j].t })
		for _, x := range parts {
			p("| %s | %.2f | %.0f%% |\n", x.name, x.t, 100*x.t/wall)
		}
		p("\n")
	}

	if *pprofFile != "" {
		if top, total, err := pprofTop(*pprofFile); err == nil && total > 0 {
			p("Go CPU profile of that run (%.2f s of samples; cumulative, so the rows overlap):\n\n| what (function) | CPU s | share |\n|---|---:|---:|\n", total)
			for _, fn := range []struct{ name, what string }{
				{"shopflow/ingest.(*Batches).IngestChunk", "the chunks, all of the Go side"},
				{"shopflow/ingest.csvHeader.parseRow", "parsing and validating CSV rows"},
				{"shopflow/ingest.splitCSV", "- of which splitting fields"},
				{"shopflow/ingest.Order.Validate", "- of which the order checks"},
				{"time.Parse", "- of which parsing times"},
				{"shopflow/ingest.(*LineReader).Next", "reading lines"},
				{"github.com/jackc/pgx/v5.(*copyFrom).buildCopyBuf", "pgx encoding the COPY rows"},
				{"shopflow/ingest.(*Batches).dropUnknownProducts", "the product check"},
				{"runtime.gcBgMarkWorker", "garbage collection (background)"},
				{"runtime.mallocgc", "allocation"},
			} {
				if v, ok := top[fn.name]; ok {
					p("| %s (`%s`) | %.2f | %.0f%% |\n", fn.what, fn.name, v, 100*v/total)
				}
			}
			p("\n")
		}
	}

	if *explainFile != "" {
		if plan, err := os.ReadFile(*explainFile); err == nil && len(plan) > 0 {
			first := string(plan)
			if i := strings.Index(first[1:], "\nduration:"); i >= 0 {
				first = first[:i+1]
			}
			p("EXPLAIN (ANALYZE, BUFFERS) of `countSales` for one more chunk of %s lines (seed 3) into the tables the profile filled (%s lines), via auto_explain (timing on, so slower than untimed):\n\n",
				num(r.f("PROF_EXPLAIN_LINES")), num(r.f("PROF_LINES")))
			p("%s\n", summarizePlan(first))
			p("<details><summary>the plan</summary>\n\n```\n%s\n```\n</details>\n\n", strings.TrimSpace(stripQueryText(first)))
		}
	}

	if names := strings.Fields(r.s("VARIANTS")); len(names) > 0 && r.has("V1_1_LINES") {
		p("### Candidate changes, measured\n\n")
		p("Each variant is a patch in `bench/ingest/variants/`, applied to a scratch copy of the repository; the in-process ingest above runs with the patched code on a fresh database migrated by the patched tree (the same file, chunks of %s), %d rounds round-robin; the repository is never changed. On a shared machine, CPU seconds are the steadier signal: wall time moves with other users' load.\n\n", num(r.f("CHUNK")), rounds)
		type vstat struct{ rates, pg, goCPU, count []float64 }
		stats := map[string]*vstat{}
		for i, name := range names {
			st := &vstat{}
			for rr := 1; rr <= rounds; rr++ {
				k := fmt.Sprintf("V%d_%d_", rr, i+1)
				if !r.has(k + "LINES") {
					continue
				}
				if r.f(k+"LINES") != lines {
					p("- **variant %s, round %d: %s lines counted, not %s**\n", name, rr, num(r.f(k+"LINES")), num(lines))
				}
				st.rates = append(st.rates, r.f(k+"LINES_PER_S"))
				st.pg = append(st.pg, r.f(k+"BACKEND_CPU"))
				st.goCPU = append(st.goCPU, r.f(k+"GO_CPU"))
				st.count = append(st.count, r.f(k+"T_COUNTSALES"))
			}
			stats[name] = st
		}
		base := stats["baseline"]
		p("| variant | what it changes | lines/s, median | each run | Postgres CPU s, mean (each) | Go CPU s | `countSales` s, mean | lines/s vs baseline | Postgres CPU vs baseline |\n|---|---|---:|---|---:|---:|---:|---:|---:|\n")
		for _, name := range names {
			st := stats[name]
			if st == nil || len(st.rates) == 0 {
				continue
			}
			each, eachPG := make([]string, len(st.rates)), make([]string, len(st.pg))
			for i := range st.rates {
				each[i], eachPG[i] = num(st.rates[i]), fmt.Sprintf("%.1f", st.pg[i])
			}
			vsRate, vsCPU := "-", "-"
			if base != nil && len(base.rates) > 0 && name != "baseline" {
				vsRate = fmt.Sprintf("%+.0f%%", 100*(median(st.rates)/median(base.rates)-1))
				vsCPU = fmt.Sprintf("%+.0f%%", 100*(mean(st.pg)/mean(base.pg)-1))
			}
			p("| %s | %s | **%s** | %s | %.1f (%s) | %.1f | %.1f | %s | %s |\n", name, variantWhat(*variantsDir, name), num(median(st.rates)),
				strings.Join(each, ", "), mean(st.pg), strings.Join(eachPG, ", "), mean(st.goCPU), mean(st.count), vsRate, vsCPU)
		}
		p("\n")
	}
	fmt.Print(w.String())
	return nil
}

func mustFloat(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t / float64(max(len(v), 1))
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// checkText says what the check of a run found.
func checkText(r results, key string) string {
	if r.s(key+"_V_OK") != "yes" {
		return "**WRONG: " + r.s(key+"_V_PROBLEMS") + "**"
	}
	return fmt.Sprintf("ok: facts = keys = accepted = %s, 0 duplicates, 0 rejected; rollup units and revenue = the file's", num(r.f(key+"_ACCEPTED")))
}

// variantWhat is the first line of a patch's description (patch ignores text before the diff).
func variantWhat(dir, name string) string {
	if name == "baseline" {
		return "the code as it is"
	}
	var whats []string
	for _, p := range strings.Split(name, "+") {
		b, err := os.ReadFile(filepath.Join(dir, p+".patch"))
		if err != nil {
			whats = append(whats, p)
			continue
		}
		line, _, _ := strings.Cut(string(b), "\n")
		whats = append(whats, strings.TrimSpace(line))
	}
	return strings.Join(whats, "; ")
}

var pprofLine = regexp.MustCompile(`^\s*\S+\s+\S+%\s+\S+%\s+([0-9.]+)(ms|s)\s+\S+%\s+(.+)$`)
var pprofTotal = regexp.MustCompile(`Total samples = ([0-9.]+)(ms|s)`)

// pprofTop reads `go tool pprof -top -cum` output: cumulative seconds per function.
func pprofTop(name string) (map[string]float64, float64, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, 0, err
	}
	secs := func(v, unit string) float64 {
		f, _ := strconv.ParseFloat(v, 64)
		if unit == "ms" {
			f /= 1000
		}
		return f
	}
	out := map[string]float64{}
	var total float64
	for _, l := range strings.Split(string(b), "\n") {
		if m := pprofTotal.FindStringSubmatch(l); m != nil {
			total = secs(m[1], m[2])
		}
		if m := pprofLine.FindStringSubmatch(l); m != nil {
			fn := strings.TrimSuffix(strings.TrimSpace(m[3]), " (inline)")
			out[fn] = secs(m[1], m[2])
		}
	}
	return out, total, nil
}

func stripQueryText(plan string) string {
	i := strings.Index(plan, "Query Text:")
	j := strings.Index(plan, "\nAggregate")
	if i < 0 || j < 0 || j < i {
		return plan
	}
	return plan[:i] + "Query Text: (countSales, store/sales.go)" + plan[j:]
}

// planNode is one node of a text EXPLAIN ANALYZE plan.
type planNode struct {
	indent   int
	label    string
	total    float64 // ms, actual total time x loops
	rows     int64
	children []*planNode
	extra    []string
}

var nodeLine = regexp.MustCompile(`^(\s*)(?:->\s+)?(.+?)\s+\(cost=[^)]*\)\s+\(actual time=[0-9.]+\.\.([0-9.]+) rows=([0-9]+) loops=([0-9]+)\)`)

func parsePlan(text string) []*planNode {
	var all []*planNode
	var stack []*planNode
	for _, l := range strings.Split(text, "\n") {
		m := nodeLine.FindStringSubmatch(l)
		if m == nil {
			if len(stack) > 0 {
				stack[len(stack)-1].extra = append(stack[len(stack)-1].extra, strings.TrimSpace(l))
			}
			continue
		}
		t, _ := strconv.ParseFloat(m[3], 64)
		rows, _ := strconv.ParseInt(m[4], 10, 64)
		loops, _ := strconv.ParseFloat(m[5], 64)
		n := &planNode{indent: len(m[1]), label: m[2], total: t * loops, rows: rows}
		for len(stack) > 0 && stack[len(stack)-1].indent >= n.indent {
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			stack[len(stack)-1].children = append(stack[len(stack)-1].children, n)
		}
		stack = append(stack, n)
		all = append(all, n)
	}
	return all
}

// summarizePlan turns the countSales plan into a few lines: the statement's duration and the
// time of each insert, its input, and the sorts that spilled.
func summarizePlan(text string) string {
	var dur float64
	if m := regexp.MustCompile(`duration: ([0-9.]+) ms`).FindStringSubmatch(text); m != nil {
		dur, _ = strconv.ParseFloat(m[1], 64)
	}
	nodes := parsePlan(text)
	find := func(prefix string) *planNode {
		for _, n := range nodes {
			if strings.HasPrefix(n.label, prefix) {
				return n
			}
		}
		return nil
	}
	childTotal := func(n *planNode) float64 {
		s := 0.0
		for _, c := range n.children {
			s += c.total
		}
		return s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- the statement: %.0f ms\n", dur)
	keys, facts, roll := find("Insert on sale_keys"), find("Insert on sales_facts"), find("Insert on sales_hourly")
	if keys != nil {
		fmt.Fprintf(&b, "- claim keys (`Insert on sale_keys`, %d rows): %.0f ms, of which its input (the staging join and the DISTINCT ON sort) %.0f ms, inserting (heap + primary key + the conflict check) %.0f ms\n",
			keys.rows, keys.total, childTotal(keys), keys.total-childTotal(keys))
	}
	if facts != nil && keys != nil {
		fmt.Fprintf(&b, "- facts (`Insert on sales_facts`, %d rows): %.0f ms including the claim above; the join of the staged lines with the claimed keys and its sorts %.0f ms, inserting (heap, default partition, primary key, order index) %.0f ms\n",
			facts.rows, facts.total, childTotal(facts)-keys.total, facts.total-childTotal(facts))
	}
	if roll != nil {
		inserted, conflicts := "", ""
		for _, e := range roll.extra {
			if strings.HasPrefix(e, "Tuples Inserted:") {
				inserted = strings.TrimSpace(strings.TrimPrefix(e, "Tuples Inserted:"))
			}
			if strings.HasPrefix(e, "Conflicting Tuples:") {
				conflicts = strings.TrimSpace(strings.TrimPrefix(e, "Conflicting Tuples:"))
			}
		}
		fmt.Fprintf(&b, "- hourly rollup (`Insert on sales_hourly`, %d rows: %s new, %s updated): %.0f ms, of which grouping and sorting %.0f ms, upserting %.0f ms\n",
			roll.rows, inserted, conflicts, roll.total, childTotal(roll), roll.total-childTotal(roll))
	}
	var spills []string
	for _, n := range nodes {
		for _, e := range n.extra {
			if strings.HasPrefix(e, "Sort Method: external") {
				spills = append(spills, strings.TrimPrefix(e, "Sort Method: "))
			}
		}
	}
	if len(spills) > 0 {
		fmt.Fprintf(&b, "- %d sorts spilled to disk (work_mem): %s\n", len(spills), strings.Join(spills, "; "))
	}
	return b.String()
}
