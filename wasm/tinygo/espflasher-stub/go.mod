// A stand-in for tinygo.org/x/espflasher, which TinyGo v0.42.0 requires at
// v0.8.1 and the module proxy refuses to serve. toolchain.sh wires it into
// the copy of TinyGo it builds with a replace directive. Only TinyGo's
// flashing of ESP chips (tinygo flash) uses espflasher; the widget core is
// never flashed, so every operation here fails with ErrNotBuilt.
module tinygo.org/x/espflasher

go 1.22
