#!/usr/bin/env bash
# Builds the TinyGo compiler that compiles the widget core (see README "The
# widget core and TinyGo") into DIR, once: usage `toolchain.sh DIR`.
# `toolchain.sh --missing` prints the Debian packages it needs that are not
# installed (nothing when all are), for .ci/run to install.
#
# TinyGo comes from the Go module proxy at the version below and is built
# against Debian's LLVM 19. The module zip has no git submodules, so instead of
# TinyGo's own copies this uses Debian's prebuilt wasi-libc and compiler-rt
# builtins (put where TinyGo looks for its built libraries) and an empty
# src/net (the core uses no networking package). Exits 2, naming the Debian
# packages to install, when one is missing; 0 when DIR holds a working TinyGo.
set -euo pipefail

VERSION=v0.41.1 # the newest TinyGo whose dependencies the module proxy serves (v0.42.0 needs one it refuses)
DIR=${1:?usage: toolchain.sh DIR | toolchain.sh --missing}
STAMP="tinygo $VERSION, llvm 19, debian wasi-libc"

# what TinyGo needs, as "file-or-command package"
needs=(
	"clang-19 clang-19"
	"wasm-ld-19 lld-19"
	"wasm-opt binaryen"
	"/usr/lib/llvm-19/bin/llvm-config llvm-19-dev"
	"/usr/lib/llvm-19/include/clang-c/Index.h libclang-19-dev"
	"/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a libclang-rt-19-dev-wasm32"
	"/usr/lib/wasm32-wasi/libc.a wasi-libc"
)
missing=()
for n in "${needs[@]}"; do
	what=${n% *} pkg=${n#* }
	if [[ $what == /* ]]; then [ -e "$what" ] || missing+=("$pkg"); else command -v "$what" >/dev/null || missing+=("$pkg"); fi
done
if [ "$DIR" = --missing ]; then
	echo "${missing[*]}"
	exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "TinyGo $VERSION needs Debian packages that are not installed: apt-get install -y ${missing[*]}" >&2
	exit 2
fi

if [ -x "$DIR/bin/tinygo" ] && [ "$(cat "$DIR/stamp" 2>/dev/null)" = "$STAMP" ]; then
	exit 0
fi

echo "==> TinyGo $VERSION: building it into $DIR (once)" >&2
src=$(go mod download -json "github.com/tinygo-org/tinygo@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "go mod download github.com/tinygo-org/tinygo@$VERSION gave no directory" >&2; exit 1; }

tmp="$DIR.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/bin"
cp -r "$src" "$tmp/root"
chmod -R u+w "$tmp/root"
mkdir -p "$tmp/root/src/net"
(cd "$tmp/root" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=1 go build -tags llvm19 -o ../bin/tinygo .)

# TinyGo's cache layout (compileopts.Config.LibraryPath): a library found
# there as lib.a is used instead of being built from source.
cache="$tmp/cache/tinygo"
mkdir -p "$cache/wasi-libc-wasm32-unknown-wasi-generic" "$cache/compiler-rt-wasm32-unknown-wasi-generic"
cp /usr/lib/wasm32-wasi/libc.a "$cache/wasi-libc-wasm32-unknown-wasi-generic/lib.a"
cp -r /usr/include/wasm32-wasi "$cache/wasi-libc-wasm32-unknown-wasi-generic/include"
cp /usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a "$cache/compiler-rt-wasm32-unknown-wasi-generic/lib.a"

echo "$STAMP" > "$tmp/stamp"
rm -rf "$DIR"
mv "$tmp" "$DIR"
"$DIR/bin/tinygo" version >&2 || true
