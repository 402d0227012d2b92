// Package resume holds the tests of the patch toolchain.sh applies to TinyGo's
// runtime (../patches/runtime-resume-reuses-goroutine.patch): a call from
// JavaScript into Go is handled by the goroutine that handled the one before,
// instead of a new goroutine with a new stack each. make test runs them under
// TinyGo and Node; the package has no code of its own.
package resume
