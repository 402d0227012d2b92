//go:build js && wasm && !tinygo

package main

import "syscall/js"

// free does nothing under Go's compiler: a finalizer on each js.Value tells
// wasm_exec.js when Go no longer holds it, and freeing it here as well would
// free it twice.
func free(...js.Value) {}
