// Package jsevents holds the tests of the patch toolchain.sh applies to Go's
// syscall/js as TinyGo compiles it
// (../goroot-patches/syscall-js-handle-event.patch, with its JavaScript half
// in ../patches/wasm_exec-syscall-js-events.patch): a call from JavaScript
// into a js.Func hands Go its this, arguments and id in one call and gets
// the result back in another. make test runs them under TinyGo and Node; the
// package has no code of its own.
package jsevents
