#!/bin/sh
# Installs the MinIO server into bin/minio (used by the S3 report storage tests), unless it is
# already there. Builds from source with the Go toolchain (no binary download); the first build
# takes a few minutes, later ones reuse the Go build cache.
set -eu
case "${1:-}" in -h|--help) echo "usage: scripts/install-minio.sh   (builds github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c into bin/minio if missing)"; exit 0;; esac
cd "$(dirname "$0")/.."
if [ -x bin/minio ]; then
	echo "bin/minio is already installed"
	exit 0
fi
mkdir -p bin
GOBIN="$PWD/bin" go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
echo "installed bin/minio"
