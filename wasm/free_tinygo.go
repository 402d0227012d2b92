//go:build js && wasm && tinygo

package main

import (
	"syscall/js"
	"unsafe"
)

// finalizeRef is wasm_exec.js's own: it lowers the count of Go's references
// to one value and drops the value from its table at zero. TinyGo's
// syscall/js declares it too, but calls it only for strings it has read.
//
//go:wasmimport gojs syscall/js.finalizeRef
func finalizeRef(ref uint64)

// free tells wasm_exec.js that Go holds vs no more. Numbers, booleans,
// undefined and null are not in the table, nor are the values it starts with
// (ids up to 6: NaN, 0, null, true, false, globalThis and the Go object).
func free(vs ...js.Value) {
	const nanHead = 0x7FF80000
	for i := range vs {
		// A js.Value starts with its ref, a uint64 (syscall/js's Value:
		// {_ [0]func(); ref; gcPtr}). The hold test (wasm/browsertest)
		// counts wasm_exec.js's table.
		ref := *(*uint64)(unsafe.Pointer(&vs[i]))
		if ref>>32&nanHead == nanHead && ref>>32&7 != 0 && uint32(ref) > 6 {
			finalizeRef(ref)
		}
	}
}
