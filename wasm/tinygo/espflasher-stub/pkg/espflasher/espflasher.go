// Package espflasher is the part of tinygo.org/x/espflasher's API that
// TinyGo v0.42.0 calls (main.go, flashBinUsingEsp32), with the same names
// and signatures, and no implementation: New fails with ErrNotBuilt, so
// `tinygo flash` to an ESP chip says why instead of flashing. See go.mod.
package espflasher

import (
	"errors"
	"fmt"
	"io"
)

// ErrNotBuilt is what every operation returns.
var ErrNotBuilt = errors.New("espflasher: ESP flashing is not part of this TinyGo build (wasm/tinygo/espflasher-stub)")

// ResetMode is how the chip would be reset into its bootloader.
type ResetMode int

const (
	ResetDefault ResetMode = iota
	ResetNoReset
	ResetUSBJTAG
)

// Logger receives messages.
type Logger interface {
	Logf(format string, args ...interface{})
}

// StdoutLogger writes each message as a line to W.
type StdoutLogger struct{ W io.Writer }

// Logf writes one line.
func (l *StdoutLogger) Logf(format string, args ...interface{}) {
	fmt.Fprintf(l.W, format+"\n", args...)
}

// FlasherOptions are the options TinyGo sets.
type FlasherOptions struct {
	ResetMode ResetMode
	Compress  bool
	Logger    Logger
}

// DefaultOptions returns espflasher's defaults for what is here.
func DefaultOptions() *FlasherOptions {
	return &FlasherOptions{ResetMode: ResetDefault, Compress: true}
}

// ProgressFunc is called with the bytes done and the total.
type ProgressFunc func(current, total int)

// Flasher would hold the connection to a chip; New never makes one.
type Flasher struct{}

// New fails: there is nothing here to flash with.
func New(portName string, opts *FlasherOptions) (*Flasher, error) {
	return nil, fmt.Errorf("%w (port %s)", ErrNotBuilt, portName)
}

// Close does nothing.
func (f *Flasher) Close() error { return nil }

// ChipName is "Unknown", as espflasher's before a chip is detected.
func (f *Flasher) ChipName() string { return "Unknown" }

// EraseFlash fails.
func (f *Flasher) EraseFlash(progress ProgressFunc) error { return ErrNotBuilt }

// FlashImage fails.
func (f *Flasher) FlashImage(data []byte, offset uint32, progress ProgressFunc) error {
	return ErrNotBuilt
}

// Reset does nothing.
func (f *Flasher) Reset() {}
