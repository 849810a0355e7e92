#!/usr/bin/env bash
# Builds the Temporal CLI (which includes the dev server) into bin/temporal, unless it is there.
set -euo pipefail

# Pinned: newer tags of the CLI fail to build with `go install` on our machines.
TEMPORAL_CLI_VERSION=${TEMPORAL_CLI_VERSION:-v1.5.1}

usage() {
  cat <<TXT
Usage: scripts/install-temporal.sh [--force]

Builds the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy into bin/temporal
(go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}). It does nothing
when bin/temporal already exists, unless --force is given. The first build takes a few
minutes; later ones reuse the Go build cache.

Environment:
  TEMPORAL_CLI_VERSION   module version to build (default v1.5.1)
TXT
}

force=false
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --force) force=true ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
command -v go >/dev/null 2>&1 || PATH="/usr/local/go/bin:$PATH"
if [ -x bin/temporal ] && [ "$force" = false ]; then
  echo "bin/temporal is present ($(bin/temporal --version))"
  exit 0
fi
echo "building bin/temporal from github.com/temporalio/cli@${TEMPORAL_CLI_VERSION} (a few minutes the first time)"
mkdir -p bin
GOBIN="$PWD/bin" go install "github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}"
echo "built $(bin/temporal --version)"
