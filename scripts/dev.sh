#!/usr/bin/env bash
# The whole system on one machine: a Temporal dev server in the background and `shopflow dev`
# (API + worker, migrations, demo data) in the foreground. Ctrl-C stops both.
set -euo pipefail

usage() {
  cat <<'TXT'
Usage: scripts/dev.sh        (or: make dev)

Builds bin/temporal (if missing) and bin/shopflow, starts a Temporal dev server bound to
127.0.0.1 with its SQLite database under .dev/, waits until it answers, then runs
`bin/shopflow dev` in the foreground: it creates and migrates the database, seeds demo data
into an empty catalog, and serves the API and runs the worker. Ctrl-C (or SIGTERM) stops
shopflow, then the Temporal server, each by its PID.

Needs Postgres and Redis running (see SHOPFLOW_DATABASE_URL and SHOPFLOW_REDIS_URL).

Environment (all optional):
  SHOPFLOW_HTTP_ADDR      API listen address            (default 127.0.0.1:8080)
  TEMPORAL_PORT           Temporal gRPC port            (default 7233)
  TEMPORAL_UI_PORT        Temporal Web UI port          (default 8233)
  SHOPFLOW_DEV_DIR        Temporal's database, log and pid files   (default .dev)
  TEMPORAL_WAIT_SECONDS   how long to wait for Temporal to answer  (default 90)
  SHOPFLOW_*              every other variable is passed to shopflow; see README.md.
                          SHOPFLOW_TEMPORAL_ADDRESS is set to 127.0.0.1:$TEMPORAL_PORT.

Two instances run side by side when they differ in SHOPFLOW_HTTP_ADDR, SHOPFLOW_WORKER_HTTP_ADDR,
TEMPORAL_PORT, TEMPORAL_UI_PORT (and, to keep their data apart, SHOPFLOW_DATABASE_URL), e.g.:
  SHOPFLOW_HTTP_ADDR=127.0.0.1:8081 SHOPFLOW_WORKER_HTTP_ADDR=127.0.0.1:9092 TEMPORAL_PORT=7234 TEMPORAL_UI_PORT=8234 \
  SHOPFLOW_DATABASE_URL=postgres://postgres@127.0.0.1:5432/shopflow2?sslmode=disable make dev
TXT
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"

export SHOPFLOW_HTTP_ADDR=${SHOPFLOW_HTTP_ADDR:-127.0.0.1:8080}
export SHOPFLOW_DATABASE_URL=${SHOPFLOW_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/shopflow?sslmode=disable}
export SHOPFLOW_REDIS_URL=${SHOPFLOW_REDIS_URL:-redis://127.0.0.1:6379/0}
export SHOPFLOW_TEMPORAL_NAMESPACE=${SHOPFLOW_TEMPORAL_NAMESPACE:-default}
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
DEV_DIR=${SHOPFLOW_DEV_DIR:-.dev}
TEMPORAL_WAIT_SECONDS=${TEMPORAL_WAIT_SECONDS:-90}

temporal_addr=127.0.0.1:$TEMPORAL_PORT
if [ -n "${SHOPFLOW_TEMPORAL_ADDRESS:-}" ] && [ "$SHOPFLOW_TEMPORAL_ADDRESS" != "$temporal_addr" ]; then
  echo "dev: ignoring SHOPFLOW_TEMPORAL_ADDRESS=$SHOPFLOW_TEMPORAL_ADDRESS: this script runs its own Temporal at $temporal_addr (set TEMPORAL_PORT to move it)" >&2
fi
export SHOPFLOW_TEMPORAL_ADDRESS=$temporal_addr

http_host=${SHOPFLOW_HTTP_ADDR%:*}
http_port=${SHOPFLOW_HTTP_ADDR##*:}
case "$http_host" in "" | 0.0.0.0 | "[::]") http_host=127.0.0.1 ;; esac
base_url=http://$http_host:$http_port

say() { echo "dev: $*"; }

# redact URL: the URL without its password, fit for messages.
redact() { sed -E 's#(//[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

# listening HOST PORT: whether something accepts TCP connections there.
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# A second Ctrl-C while stopping means "now": what is still running is killed.
interrupted=false
force=false
on_signal() {
  if [ "$interrupted" = true ]; then force=true; fi
  interrupted=true
}

# stop_process PID NAME GRACE_SECONDS: SIGTERM, wait up to the grace period (or until a second
# signal), then SIGKILL. Sets stopped_status to the process's exit status.
stopped_status=0
stop_process() {
  local pid=$1 name=$2 grace=$3 deadline
  stopped_status=0
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || stopped_status=$? # it has already exited: collect its status
    return 0
  fi
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)) || [ "$force" = true ]; then
      say "$name did not stop in time; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  wait "$pid" 2>/dev/null || stopped_status=$? # reaps it quietly (bash would report "Killed")
}

temporal_pid=""
app_pid=""
cleanup() {
  local status=$?
  trap - EXIT
  trap 'force=true' INT TERM HUP
  [ -z "$app_pid" ] || stop_process "$app_pid" shopflow 30
  if [ -n "$temporal_pid" ]; then
    stop_process "$temporal_pid" "Temporal server" 15
    rm -f "$DEV_DIR/temporal-$TEMPORAL_PORT.pid"
  fi
  rm -f "$DEV_DIR/shopflow-$http_port.pid"
  exit "$status"
}
trap cleanup EXIT
# Until shopflow runs, a signal simply ends the script (and cleanup stops Temporal).
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Fail early, with the fix, when a dependency is missing rather than deep inside shopflow.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -d "$SHOPFLOW_DATABASE_URL" -t 5; then
  say "Postgres does not answer at SHOPFLOW_DATABASE_URL ($(redact "$SHOPFLOW_DATABASE_URL"))." >&2
  say "Start it (Debian: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start) or point SHOPFLOW_DATABASE_URL at one." >&2
  exit 1
fi
if command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -u "$SHOPFLOW_REDIS_URL" ping 2>/dev/null)" != PONG ]; then
  say "Redis does not answer at SHOPFLOW_REDIS_URL ($(redact "$SHOPFLOW_REDIS_URL"))." >&2
  say "Start it (redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no) or point SHOPFLOW_REDIS_URL at one." >&2
  exit 1
fi
if listening "$http_host" "$http_port"; then
  say "something already listens on $SHOPFLOW_HTTP_ADDR (another 'make dev'?); set SHOPFLOW_HTTP_ADDR to a free address" >&2
  exit 1
fi

scripts/install-temporal.sh
say "building bin/shopflow"
go build -o bin/shopflow ./cmd/shopflow

mkdir -p "$DEV_DIR"
temporal_log=$DEV_DIR/temporal-$TEMPORAL_PORT.log
temporal() { bin/temporal "$@" --address "$temporal_addr" --command-timeout 3s; }
namespace_ready() { temporal operator namespace describe --namespace "$SHOPFLOW_TEMPORAL_NAMESPACE" >/dev/null 2>&1; }

if namespace_ready; then
  # Left running by the user or an earlier session: use it, and leave it running.
  say "a Temporal server already answers at $temporal_addr; using it"
else
  if listening 127.0.0.1 "$TEMPORAL_PORT" || listening 127.0.0.1 "$TEMPORAL_UI_PORT"; then
    say "port $TEMPORAL_PORT or $TEMPORAL_UI_PORT is taken by something that is not a Temporal server; set TEMPORAL_PORT and TEMPORAL_UI_PORT" >&2
    exit 1
  fi
  extra_ns=()
  [ "$SHOPFLOW_TEMPORAL_NAMESPACE" = default ] || extra_ns=(--namespace "$SHOPFLOW_TEMPORAL_NAMESPACE")
  say "starting Temporal dev server on $temporal_addr (UI 127.0.0.1:$TEMPORAL_UI_PORT, log $temporal_log)"
  # setsid: a Ctrl-C at the terminal reaches this script only, which stops the processes in
  # order (shopflow first, so its worker drains while Temporal is still up).
  setsid bin/temporal server start-dev \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$DEV_DIR/temporal-$TEMPORAL_PORT.db" \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=1 \
    "${extra_ns[@]}" </dev/null >"$temporal_log" 2>&1 &
  temporal_pid=$!
  echo "$temporal_pid" >"$DEV_DIR/temporal-$TEMPORAL_PORT.pid"
  deadline=$((SECONDS + TEMPORAL_WAIT_SECONDS))
  until namespace_ready; do
    if ! kill -0 "$temporal_pid" 2>/dev/null; then
      say "the Temporal server exited while starting; the end of $temporal_log:" >&2
      tail -n 20 "$temporal_log" >&2
      temporal_pid=""
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      say "Temporal did not answer within ${TEMPORAL_WAIT_SECONDS}s; the end of $temporal_log:" >&2
      tail -n 20 "$temporal_log" >&2
      exit 1
    fi
    sleep 0.5
  done
  say "Temporal is up (pid $temporal_pid)"
fi

cat <<TXT

  Shopflow (dev)
    API           $base_url/api/v1
    API docs      $base_url/docs/
    Metrics       $base_url/metrics
    Readiness     $base_url/readyz
    Temporal UI   http://127.0.0.1:$TEMPORAL_UI_PORT
    Temporal      $temporal_addr, namespace $SHOPFLOW_TEMPORAL_NAMESPACE
  Press Ctrl-C to stop.

TXT

# From here a signal asks shopflow to shut down cleanly; the script waits for it.
trap on_signal INT TERM HUP
setsid bin/shopflow dev </dev/null &
app_pid=$!
echo "$app_pid" >"$DEV_DIR/shopflow-$http_port.pid"

app_status=0
wait "$app_pid" || app_status=$?
if [ "$interrupted" = true ]; then
  # SHOPFLOW_SHUTDOWN_TIMEOUT (default 15s) bounds shopflow's own drain; allow a little more.
  stop_process "$app_pid" shopflow 30
  app_status=$stopped_status
  app_pid=""
  say "shopflow stopped (exit status $app_status)"
  exit "$app_status"
fi
app_pid=""
say "shopflow exited with status $app_status"
exit "$app_status"
