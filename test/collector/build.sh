#!/usr/bin/env bash
# Builds the test Collector from go.mod/go.sum/main.go into a cache directory keyed by their hash, and prints the
# binary's path. A second run with the same files reuses the binary; Go's module and build caches live beside it so
# that a changed go.sum rebuilds only what changed. Any failure exits non-zero with Go's own message.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v go >/dev/null 2>&1 || { echo "FATAL: go is not installed: cannot build the test Collector" >&2; exit 1; }
cache_root="${EGRESSGUARD_CACHE_DIR:-$HOME/.cache/egressguard}/otelcol"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
bin="$cache_root/bin/$key/otelcol"
if [ ! -x "$bin" ]; then
  export GOMODCACHE="$cache_root/gomod" GOCACHE="$cache_root/gocache" GOFLAGS="-mod=readonly -trimpath" GOTOOLCHAIN=local
  mkdir -p "$(dirname "$bin")"
  echo "building the test Collector ($key) with $(go version)" >&2
  (cd "$here" && go build -o "$bin.tmp" .)
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
