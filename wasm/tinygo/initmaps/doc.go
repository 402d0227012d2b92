// Package initmaps holds the tests of the patch toolchain.sh applies to
// TinyGo's compile-time interpreter
// (../patches/interp-fastrand-at-compile-time.patch): a map that a package
// initializer makes after syscall/js's (which runs at startup) is made at
// compile time, as data in the binary, rather than filled insert by insert at
// every start. What they check is that such a map is data (its header lies
// below the heap, which fails unpatched), and that it behaves as a map made at
// runtime does: every key found, iteration, insertion, growth and deletion;
// and that maps made after startup get seeds of their own. make test runs them
// under TinyGo and Node; the package has no code of its own.
package initmaps
