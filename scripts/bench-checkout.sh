#!/usr/bin/env bash
# Runs the checkout benchmark (bench/checkout) once the machine is quiet enough to give figures
# worth recording. Every argument goes to the benchmark; see: go run ./bench/checkout --help
set -euo pipefail

usage() {
  cat <<'TXT'
Usage: scripts/bench-checkout.sh [benchmark flags]

Waits until the 1-minute load average is below the number of CPUs (other builds and tests on a
shared machine make every figure low), then runs `go run ./bench/checkout` with the given flags
from the repository root. With no flags it is the documented run: 2 rounds of 20 s per phase,
about 2 minutes, and it writes the checkout section of docs/BENCHMARKS.md.

Needs Postgres (127.0.0.1:5432, user postgres), Redis (127.0.0.1:6379) and bin/temporal
(`make temporal` builds it).

Environment (optional):
  BENCH_QUIET_LOAD   start when the 1-minute load average is below this (default: CPU count)
  BENCH_WAIT_SECONDS how long to wait for it before running anyway (default 600)

Examples:
  scripts/bench-checkout.sh
  scripts/bench-checkout.sh --duration 10s --doc ''
  scripts/bench-checkout.sh --rounds 4 --duration 30s
TXT
}

case "${1:-}" in -h | --help) usage; exit 0 ;; esac

cd "$(dirname "$0")/.."
command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"
[ -x bin/temporal ] || scripts/install-temporal.sh

quiet=${BENCH_QUIET_LOAD:-$(nproc)}
wait_seconds=${BENCH_WAIT_SECONDS:-600}
deadline=$((SECONDS + wait_seconds))
load() { cut -d' ' -f1 /proc/loadavg; }
while awk -v l="$(load)" -v q="$quiet" 'BEGIN { exit !(l >= q) }'; do
  if ((SECONDS >= deadline)); then
    echo "bench-checkout: load is still $(load) after ${wait_seconds}s; running anyway (the report records the load)" >&2
    break
  fi
  echo "bench-checkout: load average $(load) >= $quiet; waiting for a quieter machine" >&2
  sleep 15
done
exec go run ./bench/checkout "$@"
