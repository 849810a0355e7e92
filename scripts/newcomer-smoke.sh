#!/usr/bin/env bash
# The newcomer's path, end to end: `make dev` (scripts/dev.sh) on a machine with only Postgres
# and Redis running brings the API up, and curl can register, log in and list demo products.
# Every step prints PASS or FAIL; the last line is "N passed, M failed".
set -uo pipefail # not -e: a failed step is recorded and reported, and cleanup always runs

usage() {
  cat <<'TXT'
Usage: scripts/newcomer-smoke.sh        (also run by: make test, make smoke)

Starts scripts/dev.sh in the background on spare ports against a fresh database, waits for
/readyz, then with curl: registers a customer, logs in, reads /api/v1/users/me, lists
/api/v1/products (demo data), searches it with a typo, asks for a copy of its data (the export
workflow), pages through /api/v1/categories (the list envelope), fetches
/docs/ and /metrics, opens the Temporal UI, and finally
stops dev.sh with SIGTERM and checks that it shut down cleanly. Everything it started is
stopped by PID and the database is dropped, whatever happens.

Needs: Postgres and Redis running, curl, psql, and jq or python3. SHOPFLOW_* variables from
your shell are ignored (a newcomer has none), except the tests' own:
  SHOPFLOW_TEST_DATABASE_URL  a database URL allowed to CREATE/DROP DATABASE
                              (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
  SHOPFLOW_TEST_REDIS_URL     Redis URL (default redis://127.0.0.1:6379/0)

Environment (all optional):
  SMOKE_HTTP_PORT          API port            (default 18080)
  SMOKE_TEMPORAL_PORT      Temporal gRPC port  (default 17233)
  SMOKE_TEMPORAL_UI_PORT   Temporal UI port    (default 18233)
  SMOKE_WORKER_PORT        worker /metrics and /healthz port (default 19091)
  SMOKE_READY_TIMEOUT      seconds to wait for /readyz = 200 after start (default 240)
  SMOKE_TIMEOUT            hard limit for the whole run, in seconds      (default 900)
TXT
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"

HTTP_PORT=${SMOKE_HTTP_PORT:-18080}
TEMPORAL_PORT=${SMOKE_TEMPORAL_PORT:-17233}
TEMPORAL_UI_PORT=${SMOKE_TEMPORAL_UI_PORT:-18233}
WORKER_PORT=${SMOKE_WORKER_PORT:-19091}
READY_TIMEOUT=${SMOKE_READY_TIMEOUT:-240}
TIMEOUT=${SMOKE_TIMEOUT:-900}
ADMIN_URL=${SHOPFLOW_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
REDIS_URL=${SHOPFLOW_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

# A newcomer has no SHOPFLOW_* settings; neither does this run, beyond what it sets below.
while read -r name; do
  case "$name" in SHOPFLOW_TEST_*) ;; *) unset "$name" ;; esac
done < <(compgen -e | grep '^SHOPFLOW_' || true)

db_name=shopflow_smoke_$$
admin_base=${ADMIN_URL%%\?*}
admin_query=${ADMIN_URL#"$admin_base"}
db_url=${admin_base%/*}/$db_name$admin_query
redis_prefix=smoke:$$:
api=http://127.0.0.1:$HTTP_PORT
work=$(mktemp -d -t shopflow-smoke.XXXXXX)
dev_dir=$work/dev
dev_log=$work/dev.log

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
note() { echo "smoke: $*"; }

# --- clean-up: always, by PID -----------------------------------------------------------
dev_pid=""
watchdog_pid=""

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# wait_gone PID SECONDS: whether the process ended within the time.
wait_gone() {
  local deadline=$((SECONDS + $2))
  while alive "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

finish() {
  trap - EXIT INT TERM HUP
  if alive "$watchdog_pid"; then kill -TERM "$watchdog_pid" 2>/dev/null; fi
  if alive "$dev_pid"; then
    note "stopping dev.sh (pid $dev_pid)"
    kill -TERM "$dev_pid" 2>/dev/null
    wait_gone "$dev_pid" 45 || kill -KILL "$dev_pid" 2>/dev/null
  fi
  # dev.sh records its children; if it died without stopping them, stop them here.
  local f pid
  for f in "$dev_dir"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if alive "$pid"; then
      note "stopping leftover $(basename "$f" .pid) (pid $pid)"
      kill -TERM "$pid" 2>/dev/null
      wait_gone "$pid" 15 || kill -KILL "$pid" 2>/dev/null
    fi
  done
  psql -q -X "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null 2>&1 ||
    note "could not drop database $db_name"
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -u "$REDIS_URL" --scan --pattern "${redis_prefix}*" 2>/dev/null |
      xargs -r redis-cli -u "$REDIS_URL" del >/dev/null 2>&1
  fi
  if ((failed > 0)) && [ -s "$dev_log" ]; then
    echo "---- last 40 lines of dev.sh output ($dev_log) ----"
    tail -n 40 "$dev_log"
    echo "----"
    note "logs kept in $work"
  else
    rm -rf "$work"
  fi
  echo "$passed passed, $failed failed"
  ((failed == 0)) || exit 1
  exit 0
}
trap finish EXIT
trap 'fail "stopped by a signal, or by the overall time limit (SMOKE_TIMEOUT=${TIMEOUT}s)"; exit 1' INT TERM HUP

# Hard limit: the watchdog signals this script, whose TERM trap ends the run through finish.
(
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$TIMEOUT" &
  sleeper=$!
  wait "$sleeper"
  echo "smoke: the overall time limit of ${TIMEOUT}s is reached; stopping"
  kill -TERM $$ 2>/dev/null
) &
watchdog_pid=$!

# --- helpers ------------------------------------------------------------------------------
# json FILTER FILE prints a value from a JSON file. FILTER is the small jq subset used here:
# .a.b, .a[0].b, and an optional "| length".
if command -v jq >/dev/null 2>&1; then
  json() { jq -r "$1" "$2" 2>/dev/null; }
elif command -v python3 >/dev/null 2>&1; then
  json() {
    python3 -c '
import json, re, sys
flt, path = sys.argv[1], sys.argv[2]
try:
    v = json.load(open(path))
    expr, _, post = flt.partition("|")
    for key, idx in re.findall(r"\.([A-Za-z_]\w*)|\[(\d+)\]", expr):
        v = v.get(key) if key else v[int(idx)]
    if post.strip() == "length":
        v = len(v)
except Exception:
    sys.exit(1)
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v if isinstance(v, str) else json.dumps(v))
' "$1" "$2" 2>/dev/null
  }
else
  json() { return 1; }
fi

# request METHOD PATH [JSON_BODY] [TOKEN]: sets $code and writes the body to $body.
body=$work/body
request() {
  local args=(-sS -o "$body" -w '%{http_code}' --max-time 15 -X "$1")
  [ -z "${3:-}" ] || args+=(-H 'Content-Type: application/json' --data "$3")
  [ -z "${4:-}" ] || args+=(-H "Authorization: Bearer $4")
  code=$(curl "${args[@]}" "$api$2" 2>"$work/curl.err") || code=000
}

# expect WHAT WANT_CODE [CONDITION_DESCRIPTION CONDITION...]: one PASS/FAIL line for a request.
expect() {
  local what=$1 want=$2
  shift 2
  if [ "$code" != "$want" ]; then
    fail "$what: HTTP $code, want $want: $(head -c 300 "$body" 2>/dev/null; cat "$work/curl.err" 2>/dev/null)"
    return 1
  fi
  while (($# >= 2)); do
    if ! eval "$2"; then
      fail "$what: HTTP $code but $1: $(head -c 300 "$body")"
      return 1
    fi
    shift 2
  done
  pass "$what"
}

# --- preconditions ------------------------------------------------------------------------
missing=()
for tool in curl psql; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
json '.a' <(echo '{"a":1}') >/dev/null || missing+=("jq (or python3)")
if ((${#missing[@]})); then
  fail "tools missing: ${missing[*]} (Debian: apt-get install jq curl postgresql-client)"
  exit 1
fi
if ! psql -q -X "$ADMIN_URL" -c 'SELECT 1' >/dev/null 2>&1; then
  fail "Postgres does not answer at $ADMIN_URL (set SHOPFLOW_TEST_DATABASE_URL)"
  exit 1
fi
busy=()
for port in "$HTTP_PORT" "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" "$WORKER_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then busy+=("$port"); fi
done
if ((${#busy[@]})); then
  fail "ports already in use: ${busy[*]} (set SMOKE_HTTP_PORT, SMOKE_TEMPORAL_PORT, SMOKE_TEMPORAL_UI_PORT, SMOKE_WORKER_PORT)"
  exit 1
fi
psql -q -X "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null 2>&1

# --- build, outside the readiness clock (a cold build takes minutes on 2 cores) ------------
note "building bin/shopflow and bin/temporal"
if ! scripts/install-temporal.sh >"$work/build.log" 2>&1 ||
  ! timeout "$TIMEOUT" go build -o bin/shopflow ./cmd/shopflow >>"$work/build.log" 2>&1; then
  fail "build: $(tail -n 20 "$work/build.log")"
  exit 1
fi
pass "build bin/shopflow"

# --- make dev -----------------------------------------------------------------------------
note "starting scripts/dev.sh: API $api, Temporal 127.0.0.1:$TEMPORAL_PORT, UI :$TEMPORAL_UI_PORT, database $db_name"
SHOPFLOW_HTTP_ADDR=127.0.0.1:$HTTP_PORT SHOPFLOW_WORKER_HTTP_ADDR=127.0.0.1:$WORKER_PORT \
  TEMPORAL_PORT=$TEMPORAL_PORT TEMPORAL_UI_PORT=$TEMPORAL_UI_PORT SHOPFLOW_DEV_DIR=$dev_dir \
  SHOPFLOW_DATABASE_URL=$db_url SHOPFLOW_REDIS_URL=$REDIS_URL SHOPFLOW_REDIS_PREFIX=$redis_prefix \
  scripts/dev.sh </dev/null >"$dev_log" 2>&1 &
dev_pid=$!

started=$SECONDS
deadline=$((SECONDS + READY_TIMEOUT))
while :; do
  request GET /readyz
  [ "$code" = 200 ] && break
  if ! alive "$dev_pid"; then
    wait "$dev_pid"
    fail "make dev: dev.sh exited with status $? before /readyz answered 200"
    dev_pid=""
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    fail "make dev: /readyz did not answer 200 within ${READY_TIMEOUT}s (last: HTTP $code $(head -c 300 "$body" 2>/dev/null))"
    exit 1
  fi
  sleep 0.5
done
expect "make dev: /readyz is 200 after $((SECONDS - started))s" 200 \
  'status is "ready"' '[ "$(json .status "$body")" = ready ]'

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 "http://127.0.0.1:$TEMPORAL_UI_PORT/") || code=000
if [ "$code" = 200 ]; then pass "Temporal UI answers at 127.0.0.1:$TEMPORAL_UI_PORT"; else fail "Temporal UI: HTTP $code, want 200"; fi

# --- the newcomer's curl session ----------------------------------------------------------
email=newcomer-$$-$RANDOM@example.com
password=smoke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

request POST /api/v1/auth/register "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"New Comer\"}"
expect "register a customer (201)" 201 \
  "the answer is the new customer" '[ "$(json .email "$body")" = "$email" ] && [ "$(json .role "$body")" = customer ]' \
  "the password hash is not returned" '! grep -q password "$body"'

request POST /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"wrong-$password\"}"
expect "log in with a wrong password is refused (401)" 401 \
  'error code is unauthorized' '[ "$(json .error.code "$body")" = unauthorized ]'

request POST /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}"
token=""
expect "log in (200, bearer token)" 200 \
  "a Bearer token is returned" '[ "$(json .token_type "$body")" = Bearer ] && token=$(json .access_token "$body") && [ ${#token} -gt 20 ]'

request GET /api/v1/users/me "" "$token"
expect "GET /api/v1/users/me with the token (200)" 200 \
  "it is the new customer" '[ "$(json .email "$body")" = "$email" ]'

request GET /api/v1/users/me
expect "GET /api/v1/users/me without a token (401)" 401

request GET /api/v1/products
expect "list products (200, demo data)" 200 \
  "at least one product" '[ "$(json ".items | length" "$body")" -ge 1 ] 2>/dev/null' \
  "products have names and prices in cents" '[ -n "$(json ".items[0].name" "$body")" ] && [ "$(json ".items[0].price_cents" "$body")" -gt 0 ] 2>/dev/null'

request GET "/api/v1/search?q=headphnes"
expect "search the demo catalog with a typo (200, corrected, facets)" 200 \
  "did_you_mean corrects headphnes to headphones" '[ "$(json .did_you_mean "$body")" = headphones ]' \
  "the headphones are found" '[ "$(json .total "$body")" -ge 1 ] 2>/dev/null' \
  "facets count categories" '[ "$(json ".facets.categories | length" "$body")" -ge 1 ] 2>/dev/null'

# The demo shop ships to New York with sales tax, and WELCOME10 takes 10% off.
request POST /api/v1/checkout/quote "{\"items\":[{\"product_id\":1,\"quantity\":1}],\"payment_method\":\"pm_card_visa\",\"coupon\":\"WELCOME10\",\"shipping_address\":{\"name\":\"New Comer\",\"line1\":\"1 Main St\",\"city\":\"New York\",\"region\":\"NY\",\"postal_code\":\"10001\",\"country\":\"US\"}}" "$token"
expect "quote an order with a coupon, shipping and tax (200)" 200 \
  "WELCOME10 is applied" '[ "$(json .promotion.code "$body")" = WELCOME10 ] && [ "$(json .discount_cents "$body")" -gt 0 ] 2>/dev/null' \
  "New York tax is charged" '[ "$(json .tax_cents "$body")" -gt 0 ] 2>/dev/null' \
  "shipping options are offered" '[ "$(json ".shipping_options | length" "$body")" -ge 1 ] 2>/dev/null'

# The demo shoppers reviewed some products: the best rated shows its rating and its reviews.
request GET "/api/v1/search?sort=rating&limit=1"
rated=""
expect "the best rated demo product (200, rated)" 200 \
  "it has published reviews" 'rated=$(json ".items[0].id" "$body") && [ "$(json ".items[0].rating.count" "$body")" -ge 1 ] 2>/dev/null'

request GET "/api/v1/products/$rated/reviews?sort=most_helpful"
expect "its reviews (200)" 200 \
  "at least one published review" '[ "$(json ".items | length" "$body")" -ge 1 ] 2>/dev/null'

request GET "/api/v1/products/$rated/recommendations"
expect "its recommendations (200)" 200 \
  "the answer lists recommended products" '[ "$(json ".items | length" "$body")" -ge 0 ] 2>/dev/null'

request GET /api/v1/users/me/recommendations "" "$token"
expect "the newcomer's recommendations (200)" 200 \
  "the answer lists recommended products" '[ "$(json ".items | length" "$body")" -ge 0 ] 2>/dev/null'

# The newcomer takes a copy of their data: the export workflow builds the archive on the worker.
request POST /api/v1/users/me/export "{}" "$token"
export_id=""
expect "ask for a copy of my data (202, an export workflow)" 202 \
  "the export has an id" 'export_id=$(json .id "$body") && [ -n "$export_id" ] && [ "$export_id" != null ]'
for _ in $(seq 1 60); do
  request GET "/api/v1/users/me/exports/$export_id" "" "$token"
  [ "$(json .status "$body")" = ready ] && break
  sleep 1 # the workflow's progress, polled with a one-minute deadline
done
expect "the export is ready within a minute (200)" 200 \
  "its status is ready and it counts the profile" '[ "$(json .status "$body")" = ready ] && [ "$(json .counts.profile "$body")" = 1 ]'

# Every list answers {"items": [...], "next_cursor": ...}, next_cursor null on the last page.
request GET "/api/v1/categories?limit=1"
cursor=""
expect "list categories one per page (200, a next page)" 200 \
  "one category on the page" '[ "$(json ".items | length" "$body")" -eq 1 ] 2>/dev/null' \
  "next_cursor points at the next page" 'cursor=$(json .next_cursor "$body") && [ -n "$cursor" ] && [ "$cursor" != null ]'

request GET "/api/v1/categories?limit=100&cursor=$cursor"
expect "the next pages of categories (200, the last page)" 200 \
  "the rest of the categories" '[ "$(json ".items | length" "$body")" -ge 1 ] 2>/dev/null' \
  "next_cursor is null on the last page" '[ "$(json .next_cursor "$body")" = null ]'

request GET /docs/
expect "API docs at /docs/ (200, Swagger UI)" 200 \
  "the page is Swagger UI" 'grep -qi swagger "$body"'

request GET /metrics
expect "metrics at /metrics (200)" 200 \
  "HTTP request metrics are exported" 'grep -q "^shopflow_http_requests_total" "$body"'

# The worker's own endpoints, as a probe and Prometheus reach them.
api_url=$api
api=http://127.0.0.1:$WORKER_PORT
request GET /healthz
expect "worker health at :$WORKER_PORT/healthz (200)" 200 \
  "it reports ok" 'grep -q "\"ok\"" "$body"'
request GET /metrics
expect "worker metrics at :$WORKER_PORT/metrics (200)" 200 \
  "Temporal SDK and checkout metrics are exported" 'grep -q "^temporal_" "$body" && grep -q "^shopflow_checkout_stuck_sagas" "$body"'
api=$api_url

# --- clean shutdown -----------------------------------------------------------------------
kill -TERM "$dev_pid"
if wait_gone "$dev_pid" 45; then
  wait "$dev_pid"
  status=$?
  dev_pid=""
  left=()
  for port in "$HTTP_PORT" "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" "$WORKER_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then left+=("$port"); fi
  done
  if [ "$status" = 0 ] && ((${#left[@]} == 0)); then
    pass "SIGTERM stops shopflow and Temporal cleanly (exit 0, ports free)"
  else
    fail "shutdown: dev.sh exited with status $status; ports still open: ${left[*]:-none}"
  fi
else
  fail "shutdown: dev.sh still running 45s after SIGTERM"
fi
