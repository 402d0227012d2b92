// Package gcstacks holds the tests of the patch toolchain.sh applies to
// TinyGo's GC (../patches/runtime-gc-scans-used-stacks.patch): a goroutine's
// stack is scanned only where it is in use, not all -stack-size bytes of it.
// What they check is that nothing a goroutine still holds is collected (a
// parked goroutine, a running one, one under a call from JavaScript into Go),
// and that a pointer left behind in a stack's unused part no longer keeps its
// object alive. make test runs them under TinyGo and Node; the package has no
// code of its own.
package gcstacks
