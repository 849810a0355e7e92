#!/usr/bin/env bash
# Builds stripe-mock (Stripe's API simulator, used by the payment package's tests) into
# bin/stripe-mock, unless it is there.
set -euo pipefail

STRIPE_MOCK_VERSION=${STRIPE_MOCK_VERSION:-v0.203.0}

usage() {
  cat <<TXT
Usage: scripts/install-stripe-mock.sh [--force]

Builds stripe-mock ${STRIPE_MOCK_VERSION} from the Go module proxy into bin/stripe-mock
(go install github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}). It does nothing when
bin/stripe-mock already exists, unless --force is given.

The payment package's tests start bin/stripe-mock themselves, or use a running one named by
SHOPFLOW_TEST_STRIPE_URL (e.g. http://127.0.0.1:12111).

Environment:
  STRIPE_MOCK_VERSION   module version to build (default v0.203.0)
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
if [ -x bin/stripe-mock ] && [ "$force" = false ]; then
  echo "bin/stripe-mock is present"
  exit 0
fi
echo "building bin/stripe-mock from github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}"
mkdir -p bin
GOBIN="$PWD/bin" go install "github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}"
echo "built bin/stripe-mock"
