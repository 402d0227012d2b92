#!/usr/bin/env bash
# Builds the TinyGo compiler that compiles the widget core (see README "The
# widget core and TinyGo") into DIR, once: usage `toolchain.sh DIR`.
# `toolchain.sh --missing` prints the Debian packages it needs that are not
# installed (nothing when all are), for .ci/run to install.
#
# TinyGo comes from the Go module proxy at the version below and is built
# against Debian's LLVM 19. One of its dependencies, tinygo.org/x/espflasher
# (v0.8.1, used only to flash ESP chips), the proxy refuses: the copy built
# here replaces it with espflasher-stub/ beside this script, which has the
# same API and flashes nothing. The module zip has no git submodules, so instead of
# TinyGo's own copies this uses Debian's prebuilt wasi-libc and compiler-rt
# builtins (put where TinyGo looks for its built libraries) and an empty
# src/net (the core uses no networking package). The patches in patches/
# beside this script are applied to TinyGo's source (each says why), and those
# in goroot-patches/ to Go's standard library as TinyGo compiles it: DIR/goroot
# links to every file of $(go env GOROOT) but the patched ones, which are
# copies, and tinygo.sh runs TinyGo with GOROOT=DIR/goroot. Exits 2, naming the Debian
# packages to install, when one is missing and it does not run as root (as
# root it installs them with apt-get); 0 when DIR holds a working TinyGo.
set -euo pipefail

VERSION=v0.42.0 # the newest TinyGo the module proxy serves (0.42.1 and later it refuses)
DIR=${1:?usage: toolchain.sh DIR | toolchain.sh --missing}
here=$(cd "$(dirname "$0")" && pwd)
# A DIR whose stamp differs (another version, another stub) is built again.
STAMP="tinygo $VERSION, llvm 19, debian wasi-libc, espflasher stub $(cat "$here"/espflasher-stub/go.mod "$here"/espflasher-stub/pkg/espflasher/*.go | sha256sum | cut -c1-12), patches $(cat "$here"/patches/*.patch "$here"/goroot-patches/*.patch | sha256sum | cut -c1-12), $(go env GOROOT) $(go env GOVERSION)"

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
	if [ "$(id -u)" -ne 0 ]; then
		echo "TinyGo $VERSION, which compiles the widget core, needs Debian packages that are not installed; run as root:" >&2
		echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 2
	fi
	echo "==> TinyGo $VERSION needs Debian packages: apt-get update && apt-get install -y ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
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
cp -r "$here/espflasher-stub" "$tmp/root/espflasher-stub"
ceiling=$(cd "$(dirname "$tmp")" && pwd)
# apply_patch DIR PATCH WHAT: git apply as a plain patch (GIT_CEILING_DIRECTORIES:
# even when DIR lies inside a repository), which refuses a patch that does not
# apply exactly; the reverse check proves it was applied, not skipped.
apply_patch() {
	(cd "$1" && export GIT_CEILING_DIRECTORIES="$ceiling" && git apply -p1 "$2" && git apply -R --check -p1 "$2") ||
		{ echo "toolchain.sh: $(basename "$2") does not apply to $3" >&2; exit 1; }
}
for p in "$here"/patches/*.patch; do
	apply_patch "$tmp/root" "$p" "TinyGo $VERSION"
done
# Go's standard library as TinyGo sees it: links to GOROOT's entries, down
# to the directories of the files goroot-patches/ changes, which are copied
# and patched (each patch names its files as a/PATH, PATH under GOROOT/src).
goroot=$(go env GOROOT)
link_tree() { # link_tree SRC DST REL...: DST mirrors SRC, with each REL (a file) copied, not linked
	local src=$1 dst=$2
	shift 2
	mkdir -p "$dst"
	local e name sub
	for e in "$src"/*; do
		name=$(basename "$e")
		sub=()
		for rel in "$@"; do
			case "$rel" in "$name") sub+=(.) ;; "$name"/*) sub+=("${rel#"$name"/}") ;; esac
		done
		if [ ${#sub[@]} -eq 0 ]; then
			ln -s "$e" "$dst/$name"
		elif [ "${sub[0]}" = . ]; then
			cp "$e" "$dst/$name"
		else
			link_tree "$e" "$dst/$name" "${sub[@]}"
		fi
	done
}
patched=()
for p in "$here"/goroot-patches/*.patch; do
	while read -r f; do patched+=("src/$f"); done < <(sed -n 's|^--- a/\([^[:space:]]*\).*|\1|p' "$p")
done
link_tree "$goroot" "$tmp/goroot" "${patched[@]}"
for p in "$here"/goroot-patches/*.patch; do
	apply_patch "$tmp/goroot/src" "$p" "$(go env GOVERSION)'s standard library"
done
(cd "$tmp/root" && GOWORK=off go mod edit -replace tinygo.org/x/espflasher=./espflasher-stub)
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
