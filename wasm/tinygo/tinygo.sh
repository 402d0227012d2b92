#!/usr/bin/env bash
# Runs the TinyGo that toolchain.sh built into DIR: usage `tinygo.sh DIR args...`.
# Build with -target=wasm/tinygo/wasm.json: TinyGo's wasm target without the
# two features it lists for newer LLVMs (bulk-memory-opt, call-indirect-overlong,
# both implied by bulk-memory), which LLVM 19 does not know and warns about on
# every compile. The output is byte for byte the same.
set -euo pipefail
DIR=$(cd "${1:?usage: tinygo.sh DIR args...}" && pwd)
shift
# GOROOT: Go's standard library with goroot-patches/ applied (toolchain.sh).
export TINYGOROOT="$DIR/root" XDG_CACHE_HOME="$DIR/cache" GOROOT="$DIR/goroot"
GOCACHE=$(go env GOCACHE)
export GOCACHE
exec "$DIR/bin/tinygo" "$@"
