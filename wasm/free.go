//go:build js && wasm

package main

import "syscall/js"

// The JavaScript values the core is handed (a property it read, what a call
// returned, a string it passed in) sit in wasm_exec.js's table until the Go
// side lets go of them. Go's compiler lets go through finalizers, as its GC
// runs; TinyGo has no finalizers, so under it a value stays until free is
// called (wasm/free_tinygo.go). The core therefore frees every value it is
// done with, exactly once, and never one it still holds: freeing one twice
// would drop another's entry. Under Go's compiler free does nothing.
//
// One more rule follows from TinyGo's: a Go string passed to a js.Value
// method (Call, Set, Invoke, New) becomes a value nobody frees, so strings
// go in as values made with scope.str.

// A scope collects values to free together, when it ends.
type scope []js.Value

// keep adds v to the scope and returns it.
func (s *scope) keep(v js.Value) js.Value {
	*s = append(*s, v)
	return v
}

// str is the JavaScript string for x, freed with the scope.
func (s *scope) str(x string) js.Value { return s.keep(js.ValueOf(x)) }

// end frees the scope's values.
func (s *scope) end() {
	free(*s...)
	*s = (*s)[:0]
}

// release frees f's function and forgets f. js.Func.Release forgets only
// the Go side.
func release(f js.Func) {
	f.Release()
	free(f.Value)
}
