#!/usr/bin/env bash
# Runs the TinyGo that toolchain.sh built into DIR: usage `tinygo.sh DIR args...`.
# LLVM 19 does not know two wasm features that TinyGo's wasm target lists for
# newer LLVMs (bulk-memory-opt, call-indirect-overlong; both are implied by
# features LLVM 19 does know), and says so on every compile: those lines are
# dropped, everything else TinyGo prints is passed on.
set -euo pipefail
DIR=$(cd "${1:?usage: tinygo.sh DIR args...}" && pwd)
shift
export TINYGOROOT="$DIR/root" XDG_CACHE_HOME="$DIR/cache"
GOCACHE=$(go env GOCACHE)
export GOCACHE
"$DIR/bin/tinygo" "$@" 2> >(grep -v "is not a recognized feature for this target (ignoring feature)" >&2 || true)
