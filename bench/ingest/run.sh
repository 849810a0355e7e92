#!/usr/bin/env bash
# Benchmarks batch ingest of order files as an operator runs it (`shopflow worker` + `shopflow
# ingest FILE --no-wait`) against a raw COPY of the same file, and records the figures in
# docs/BENCHMARKS.md ("Batch ingest").
set -euo pipefail

usage() {
  cat <<'TXT'
Usage: bench/ingest/run.sh [options]

One run, all on 127.0.0.1, undone at the end (processes stopped by PID, database dropped,
temporary files removed):

  1. builds shopflow (`go build ./cmd/shopflow`, as `make build`, into the run's temporary
     directory) and this benchmark's helper (bench/ingest); starts a Temporal dev server from
     bin/temporal on spare ports (SQLite WAL, synchronous=1, headless); creates a fresh database
     next to --admin-url, migrates it and seeds --products products;
  2. generates order files with ingest.GenerateFile (--lines, and --small-lines for the memory
     check), and reads them back with encoding/csv to count their lines, keys and units;
  3. baseline: COPY of the same file (header skipped by COPY) into a plain table with the same
     columns (no key, no index), through COPY FROM STDIN like psql's \copy; run twice (before
     and after the Shopflow runs) and averaged;
  4. Shopflow: starts `shopflow worker` as its own process, submits the file with
     `shopflow ingest FILE --no-wait`, polls the batch row until completed (bounded by
     --timeout), and times submission -> completion (and the worker's share, created_at ->
     finished_at); checks that sales_facts, sale_keys and `accepted` equal the file's lines
     and that the rollup's units and revenue equal the file's; reads the worker's peak RSS
     (VmHWM) before stopping it. Then the same with --small-lines (a fresh worker), and the
     --lines file again for each chunk size of --sweep (SHOPFLOW_INGEST_CHUNK_LINES);
  5. where the time goes: the production ingest code run in process (ingest.Batches, no
     Temporal) timing every statement, with a CPU profile of the Go side, and EXPLAIN ANALYZE
     (auto_explain) of one chunk of --chunk-lines lines into the tables the run filled;
  6. --variants: candidate production changes, each a patch in bench/ingest/variants/ applied
     to a scratch copy of the repository in the temporary directory (the repository itself is
     never changed), measured in process on a fresh database of their own (migrated by the
     patched tree); --worker-variant also runs one of them through the real worker;
  7. prints a Markdown report and writes it into --doc between this benchmark's markers.

Targets: Shopflow lines/s >= 0.5 x raw COPY lines/s; worker peak RSS < 200 MB and flat in the
file's size. CPU seconds of the worker, the Temporal server and the run database's Postgres
backends are reported per phase, with the machine's busy cores: other users share the machine.

Needs Postgres (127.0.0.1:5432, user postgres, trust, superuser: it creates and drops its
database, LOADs auto_explain and CHECKPOINTs), Redis (the worker connects to it; its keys go
under a prefix of this run and are deleted), Go, and bin/temporal (`make temporal`). Takes
about 10-20 minutes on two cores.

Options:
  --lines N            order lines of the main file (default 1000000)
  --small-lines N      order lines of the memory-check file (default 250000)
  --products N         products (default 1000)
  --chunk-lines N      SHOPFLOW_INGEST_CHUNK_LINES of the main runs (default 50000, the default)
  --sweep "N..."       other chunk sizes to run the main file with, next to --chunk-lines
                       (default "10000 200000"; '' none)
  --variants "V..."    variants to measure in process (default: "baseline", every patch of
                       bench/ingest/variants/, and the set named in variants/COMBINED; '' none).
                       A variant is a patch name, or several joined with '+'
  --worker-variant V   also run variant V through the real worker, right after the main run
                       (default: the one named in variants/WORKER, the proposed change; '' none)
  --rounds N           the chunk sizes and the variants are measured N times, round-robin, each
                       round starting one further along the list, so that a burst of other
                       users' load does not decide a comparison (default 2)
  --timeout D          bound on each ingest (default 30m)
  --admin-url URL      database to create the run's database next to
                       (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
  --redis-url URL      Redis for the worker (default redis://127.0.0.1:6379/0)
  --doc FILE           where to record the figures (default docs/BENCHMARKS.md); '' prints only
  -h, --help           this text
TXT
}

lines=1000000 small_lines=250000 products=1000 chunk=50000 sweep="10000 200000" variants=default
worker_variant=default rounds=2 timeout=30m doc=docs/BENCHMARKS.md
admin_url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" redis_url="redis://127.0.0.1:6379/0"
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --lines) lines=$2; shift 2 ;;
    --small-lines) small_lines=$2; shift 2 ;;
    --products) products=$2; shift 2 ;;
    --chunk-lines) chunk=$2; shift 2 ;;
    --sweep) sweep=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --worker-variant) worker_variant=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --admin-url) admin_url=$2; shift 2 ;;
    --redis-url) redis_url=$2; shift 2 ;;
    --doc) doc=$2; shift 2 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/../.."
repo=$(pwd)
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
say() { echo "ingest bench: $*" >&2; }
[ -x bin/temporal ] || { say "bin/temporal is missing: run make temporal"; exit 1; }

if [ "$variants" = default ]; then
  variants="baseline"
  for p in bench/ingest/variants/*.patch; do variants+=" $(basename "$p" .patch)"; done
  [ -f bench/ingest/variants/COMBINED ] && variants+=" $(cat bench/ingest/variants/COMBINED)"
fi
if [ "$worker_variant" = default ]; then
  worker_variant=""
  [ -f bench/ingest/variants/WORKER ] && worker_variant=$(cat bench/ingest/variants/WORKER)
fi
command_line="bench/ingest/run.sh --lines $lines --small-lines $small_lines --products $products --chunk-lines $chunk --sweep '$sweep' --variants '$variants' --worker-variant '$worker_variant' --rounds $rounds"

tmp=$(mktemp -d /tmp/bench-ingest.XXXXXX)
results=$tmp/results.env
: >"$results"
temporal_pid="" worker_pid="" db_name="" extra_dbs=""
redis_prefix="shopflow-bench-ingest-$(basename "$tmp"):"

# stop PID: SIGTERM, then SIGKILL after 20 s; only processes this run started.
stop() {
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  set +e
  stop "$worker_pid"
  stop "$temporal_pid"
  if [ -x "$tmp/bin/helper" ]; then
    for d in $db_name $extra_dbs; do "$tmp/bin/helper" drop --admin-url "$admin_url" --name "$d" || say "could not drop database $d"; done
  fi
  if command -v redis-cli >/dev/null 2>&1; then
    local host port
    host=$(sed -E 's|redis://([^:/]+).*|\1|' <<<"$redis_url"); port=$(sed -nE 's|redis://[^:/]+:([0-9]+).*|\1|p' <<<"$redis_url")
    redis-cli -h "$host" -p "${port:-6379}" --scan --pattern "${redis_prefix}*" 2>/dev/null |
      xargs -r redis-cli -h "$host" -p "${port:-6379}" unlink >/dev/null 2>&1
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# rotate N WORD...: the words, starting with the (N mod count)-th.
rotate() {
  local n=$1; shift
  local words=("$@") k=${#@} j
  for ((j = 0; j < k; j++)); do echo "${words[$(((j + n) % k))]}"; done
}
res() { tee -a "$results"; }                  # results (KEY=value) go to the results file
set_res() { printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}" >>"$results"; }
load_res() { . "$results"; }
helper() { "$tmp/bin/helper" "$@"; }

set_res DATE "$(date -u '+%Y-%m-%d %H:%M UTC')"
set_res CPU_MODEL "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
set_res CORES "$(nproc)"
set_res MEM "$(free -g | awk '/Mem:/ {print $2}') GiB"
set_res LOAD_BEFORE "$(cut -d' ' -f1-3 /proc/loadavg)"
set_res GO_VERSION "$(go env GOVERSION)"
set_res COMMAND "$command_line"
set_res LINES_ARG "$lines"; set_res SMALL_LINES_ARG "$small_lines"; set_res CHUNK "$chunk"
set_res SWEEP "$sweep"; set_res VARIANTS "$variants"; set_res WORKER_VARIANT "$worker_variant"; set_res ROUNDS "$rounds"
set_res COMMIT "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . ':!bench' ':!docs' 2>/dev/null || echo '+changes')"

# Everything is built from one snapshot of the working tree, taken now: the repository may be
# edited by others while the run goes on.
say "building shopflow and the helper from a snapshot of the working tree ($tmp/src)"
mkdir -p "$tmp/bin" "$tmp/ingest" "$tmp/src" "$tmp/cwd"
tar -C "$repo" --exclude=./.git --exclude=./bin --exclude=./.dev -cf - . | tar -C "$tmp/src" -xf -
(cd "$tmp/src" && go build -o "$tmp/bin/shopflow" ./cmd/shopflow && go build -o "$tmp/bin/helper" ./bench/ingest)
set_res TEMPORAL_VERSION "$(bin/temporal --version | sed 's/^temporal version //')"
set_res PG_VERSION "$(psql "$admin_url" -Atc 'SHOW server_version' 2>/dev/null || echo unknown)"
set_res PG_SETTINGS "$(psql "$admin_url" -Atc "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'temp_buffers', 'synchronous_commit', 'max_wal_size', 'wal_compression', 'full_page_writes')" 2>/dev/null || echo unknown)"

read -r tport thttp tmetrics < <(helper ports 3)
say "starting the Temporal dev server on 127.0.0.1:$tport"
bin/temporal server start-dev --headless --ip 127.0.0.1 --port "$tport" --http-port "$thttp" --metrics-port "$tmetrics" \
  --db-filename "$tmp/temporal.db" --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=1 --log-level error \
  >"$tmp/temporal.log" 2>&1 &
temporal_pid=$!
for ((i = 0; ; i++)); do
  bin/temporal operator cluster health --address "127.0.0.1:$tport" >/dev/null 2>&1 && break
  if ((i >= 120)) || ! kill -0 "$temporal_pid" 2>/dev/null; then cat "$tmp/temporal.log" >&2; say "Temporal did not start"; exit 1; fi
  sleep 0.5
done

helper setup --admin-url "$admin_url" --products "$products" >"$tmp/setup.env" || { . "$tmp/setup.env" 2>/dev/null; db_name=${DB_NAME:-}; exit 1; }
. "$tmp/setup.env"
db_name=$DB_NAME
cat "$tmp/setup.env" | grep -v DATABASE_URL >>"$results"

say "generating order files"
big=$tmp/orders-$lines.csv small=$tmp/orders-$small_lines.csv explain=$tmp/orders-explain.csv
helper gen --database-url "$DATABASE_URL" --lines "$lines" --seed 1 --out "$big" --prefix GEN_ | res >/dev/null
helper gen --database-url "$DATABASE_URL" --lines "$small_lines" --seed 2 --out "$small" --prefix GENS_ | res >/dev/null
helper gen --database-url "$DATABASE_URL" --lines "$chunk" --seed 3 --out "$explain" --prefix GENX_ | res >/dev/null
load_res

export SHOPFLOW_DATABASE_URL=$DATABASE_URL SHOPFLOW_TEMPORAL_ADDRESS=127.0.0.1:$tport
export SHOPFLOW_TASK_QUEUE="bench-ingest-$(basename "$tmp")" SHOPFLOW_INGEST_DIR=$tmp/ingest SHOPFLOW_INGEST_INBOX=$tmp/ingest/inbox
export SHOPFLOW_REDIS_URL=$redis_url SHOPFLOW_REDIS_PREFIX=$redis_prefix SHOPFLOW_LOG_LEVEL=warn SHOPFLOW_LOG_FORMAT=text

snap() { helper snap --admin-url "$admin_url" --db "$1" --procs "worker=${worker_pid:-0},temporal=$temporal_pid" --out "$2"; }

# ingest_run LABEL FILE LINES UNITS REVENUE CHUNK [SHOPFLOW] [DATABASE]: a fresh worker, one
# file submitted with the CLI and followed to completion, checked, the worker's peak RSS read,
# the worker stopped. Results are prefixed LABEL_.
ingest_run() {
  local label=$1 file=$2 n=$3 units=$4 revenue=$5 chunk_lines=$6 bin=${7:-$tmp/bin/shopflow} db=${8:-$db_name} url=${9:-$DATABASE_URL}
  # In a directory of the run's own, so defaults relative to the working directory land there.
  (cd "$tmp/cwd" && SHOPFLOW_DATABASE_URL=$url SHOPFLOW_INGEST_CHUNK_LINES=$chunk_lines exec "$bin" worker) >"$tmp/worker-$label.log" 2>&1 &
  worker_pid=$!
  sleep 2 # the worker registers search attributes and Schedules, then polls
  kill -0 "$worker_pid" 2>/dev/null || { cat "$tmp/worker-$label.log" >&2; say "the worker exited"; exit 1; }
  say "$label: shopflow ingest $(basename "$file") --no-wait ($n lines, chunks of $chunk_lines; worker pid $worker_pid; load $(cut -d' ' -f1-3 /proc/loadavg))"
  snap "$db" "$tmp/$label.snap0"
  local t0 out batch
  t0=$(date +%s.%N)
  out=$(cd "$tmp/cwd" && SHOPFLOW_DATABASE_URL=$url "$bin" ingest "$file" --no-wait)
  echo "  $out" >&2
  grep -q '(submitted)' <<<"$out" || { say "$label: the file was not a new batch"; exit 1; }
  batch=$(sed -E 's/.*batch ([0-9a-f-]{36}).*/\1/' <<<"$out")
  helper wait --database-url "$url" --batch "$batch" --since "$t0" --timeout "$timeout" --prefix "${label}_" --label "$label" | res >/dev/null
  snap "$db" "$tmp/$label.snap1"
  set_res "${label}_HWM_KB" "$(awk '/VmHWM/ {print $2}' "/proc/$worker_pid/status")"
  set_res "${label}_RSS_KB" "$(awk '/VmRSS/ {print $2}' "/proc/$worker_pid/status")"
  stop "$worker_pid"; worker_pid=""
  helper delta --from "$tmp/$label.snap0" --to "$tmp/$label.snap1" --prefix "${label}_CPU_" | res >/dev/null
  helper verify --database-url "$url" --batch "$batch" --lines "$n" --units "$units" --revenue "$revenue" --prefix "${label}_V_" | res >/dev/null
  load_res
  local hwm="${label}_HWM_KB" secs="${label}_TOTAL_SECONDS"
  say "$label: $(awk -v n="$n" -v s="${!secs}" 'BEGIN {printf "%.0f lines/s", n / s}'), worker peak RSS $(( ${!hwm} / 1024 )) MiB"
}

# variant_tree V: a scratch copy of the run's snapshot of the repository with the patches of V
# applied, in $tmp/src-V; prints its path.
variant_tree() {
  local v=$1 dir=$tmp/src-${1//+/-} p
  if [ ! -d "$dir" ]; then
    cp -a "$tmp/src" "$dir"
    if [ "$v" != baseline ]; then
      for p in ${v//+/ }; do
        patch -s -d "$dir" -p1 <"$tmp/src/bench/ingest/variants/$p.patch" >&2 || { say "variant $v: $p.patch does not apply"; exit 1; }
      done
    fi
  fi
  echo "$dir"
}

say "baseline: raw COPY of $(basename "$big") (1 of 2)"
helper reset --database-url "$DATABASE_URL"
helper rawcopy --database-url "$DATABASE_URL" --file "$big" --prefix RAW1_ | res >/dev/null

helper reset --database-url "$DATABASE_URL"
ingest_run MAIN "$big" "$GEN_LINES" "$GEN_UNITS" "$GEN_REVENUE" "$chunk"

if [ -n "$worker_variant" ]; then
  # The candidate changes together, through the real worker, right after the main run: a
  # patched build on a fresh database migrated by the patched tree.
  dir=$(variant_tree "$worker_variant")
  say "worker variant $worker_variant: building, fresh database"
  (cd "$dir" && go build -o "$tmp/bin/shopflow-wv" ./cmd/shopflow && go build -o "$tmp/bin/helper-wv" ./bench/ingest)
  "$tmp/bin/helper-wv" setup --admin-url "$admin_url" --products "$products" >"$tmp/wv.env"
  wvdb=$(sed -nE "s/^DB_NAME='(.*)'/\1/p" "$tmp/wv.env"); extra_dbs+=" $wvdb"
  wvurl=$(sed -nE "s/^DATABASE_URL='(.*)'/\1/p" "$tmp/wv.env")
  set_res WV_NAME "$worker_variant"
  ingest_run WV "$big" "$GEN_LINES" "$GEN_UNITS" "$GEN_REVENUE" "$chunk" "$tmp/bin/shopflow-wv" "$wvdb" "$wvurl"
  helper drop --admin-url "$admin_url" --name "$wvdb"; extra_dbs=${extra_dbs/ $wvdb/}
fi
helper reset --database-url "$DATABASE_URL"
ingest_run SMALL "$small" "$GENS_LINES" "$GENS_UNITS" "$GENS_REVENUE" "$chunk"

say "baseline: raw COPY of $(basename "$big") (2 of 2)"
helper reset --database-url "$DATABASE_URL"
helper rawcopy --database-url "$DATABASE_URL" --file "$big" --prefix RAW2_ | res >/dev/null
say "reference: raw COPY into a table with a primary key on the sale key"
helper reset --database-url "$DATABASE_URL"
helper rawcopy --database-url "$DATABASE_URL" --file "$big" --key --prefix RAWKEY_ | res >/dev/null

if [ -n "$sweep" ]; then
  for ((r = 1; r <= rounds; r++)); do
    for c in $(rotate $((r - 1)) $chunk $sweep); do
      helper reset --database-url "$DATABASE_URL"
      ingest_run "SW${r}_$c" "$big" "$GEN_LINES" "$GEN_UNITS" "$GEN_REVENUE" "$c"
    done
  done
fi

say "profile: the ingest code in process, every statement timed, CPU profile; then EXPLAIN ANALYZE of one chunk"
helper reset --database-url "$DATABASE_URL"
helper profile --database-url "$DATABASE_URL" --file "$big" --explain-file "$explain" --chunk-lines "$chunk" \
  --cpuprofile "$tmp/cpu.pprof" --explain-out "$tmp/explain.txt" --prefix PROF_ | res >/dev/null
go tool pprof -top -cum -nodecount=400 "$tmp/bin/helper" "$tmp/cpu.pprof" >"$tmp/pprof.txt" 2>/dev/null || true


# Variants: each one's helper is built once from its patched tree; then, round after round,
# each runs the in-process profile on a fresh database of its own.
i=0
for v in $variants; do
  i=$((i + 1))
  dir=$(variant_tree "$v")
  say "variant $i ($v): building"
  (cd "$dir" && go build -o "$tmp/bin/helper-v$i" ./bench/ingest)
done
nvariants=$(wc -w <<<"$variants")
for ((r = 1; r <= rounds; r++)); do
  for i in $(rotate $((r - 1)) $(seq 1 "$nvariants")); do
    v=$(cut -d' ' -f"$i" <<<"$(echo $variants)")
    say "variant $v (round $r of $rounds): fresh database, ingest in process (load $(cut -d' ' -f1-3 /proc/loadavg))"
    "$tmp/bin/helper-v$i" setup --admin-url "$admin_url" --products "$products" >"$tmp/v.env"
    vdb=$(sed -nE "s/^DB_NAME='(.*)'/\1/p" "$tmp/v.env"); extra_dbs+=" $vdb"
    vurl=$(sed -nE "s/^DATABASE_URL='(.*)'/\1/p" "$tmp/v.env")
    "$tmp/bin/helper-v$i" profile --database-url "$vurl" --file "$big" --chunk-lines "$chunk" --prefix "V${r}_${i}_" | res >/dev/null
    helper drop --admin-url "$admin_url" --name "$vdb"; extra_dbs=${extra_dbs/ $vdb/}
  done
done

set_res LOAD_AFTER "$(cut -d' ' -f1-3 /proc/loadavg)"
report=$(helper report --results "$results" --explain "$tmp/explain.txt" --pprof "$tmp/pprof.txt" --variants-dir "$tmp/src/bench/ingest/variants")
echo
echo "$report"
if [ -n "$doc" ]; then
  helper doc --file "$doc" <<<"$report"
  say "recorded in $doc"
fi
