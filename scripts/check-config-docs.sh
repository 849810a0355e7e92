#!/usr/bin/env bash
# Fails when README.md's configuration table and config/ disagree on the SHOPFLOW_*
# variables, so the documentation cannot silently fall behind the code.
set -euo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  cat <<'TXT'
Usage: scripts/check-config-docs.sh        (also run by: make test, make config-docs)

Compares the variables named in config/*.go (tests excluded; env:"SHOPFLOW_..." tags) with the
rows of the configuration table in README.md (lines starting with "| `SHOPFLOW_"). Prints each
variable missing from either side and exits 1 if there is any.
TXT
  exit 0
fi

cd "$(dirname "$0")/.."
# Every non-test Go file of config/, so the Config struct may be spread over several files.
sources=$(find config -maxdepth 1 -name '*.go' ! -name '*_test.go' | sort)
# shellcheck disable=SC2086 # one word per file name; config/ has no spaces in file names
code=$(grep -ho 'env:"SHOPFLOW_[A-Z0-9_]*' $sources | sed 's/^env:"//' | sort -u)
docs=$(grep -o '^| `SHOPFLOW_[A-Z0-9_]*`' README.md | tr -d '|` ' | sort -u)
undocumented=$(comm -23 <(echo "$code") <(echo "$docs"))
stale=$(comm -13 <(echo "$code") <(echo "$docs"))
status=0
if [ -n "$undocumented" ]; then
  echo "README.md's configuration table lacks:" $undocumented
  status=1
fi
if [ -n "$stale" ]; then
  echo "README.md's configuration table names variables config/ does not read:" $stale
  status=1
fi
[ "$status" = 1 ] || echo "config docs: README.md names all $(echo "$code" | wc -l) SHOPFLOW_* variables"
exit "$status"
